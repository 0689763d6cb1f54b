"""Action lag: how many steps a recorded action trails the frame it answers.

A person reacts to what they see a few hundred milliseconds late, and a teleoperation pipeline adds its own latency, so
the action stored beside frame t was decided from an earlier frame. A policy acts at once; trained on those pairs it
learns to answer the past. Pairing frame t with the action recorded `lag` steps later undoes it (the latency matching
of diffusion_policy's and UMI's real-robot data, per episode here, since each person has their own). It undoes the
pairing only: on the simulated people's PushT demos it gains nothing, since their delay hurts through how they drive
(benchmarks/results/diffusion_budget.txt).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robot_hf.dataset.reader import DatasetReader


def lag_per_episode(setting: Any, num_episodes: int) -> np.ndarray:
    """`train.action_lag` as one int per episode; ValueError naming the fix when it is neither an int nor a list of them."""
    values = [setting] * num_episodes if isinstance(setting, int) and not isinstance(setting, bool) else setting
    if not isinstance(values, (list, tuple)) or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise ValueError(f"train.action_lag: {setting!r} is not a number of steps; give an int >= 0 or one per episode")
    if len(values) != num_episodes:
        raise ValueError(f"train.action_lag: {len(values)} values for {num_episodes} episodes; give one per episode or a single int")
    if any(v < 0 for v in values):
        raise ValueError(f"train.action_lag: {min(values)} is negative; an action cannot answer a frame it came before")
    return np.asarray(values, np.int64)


def lag_per_frame(reader: DatasetReader, setting: Any) -> np.ndarray:
    return lag_per_episode(setting, reader.num_episodes)[reader.column("episode_index")]
