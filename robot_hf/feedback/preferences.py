"""An intervention is a free preference: the person's segment over the policy's segment it cut short."""

from __future__ import annotations

import time

import numpy as np

from robot_hf.dataset import Preference
from robot_hf.feedback.labels import onsets


def intervention_preferences(intervention: np.ndarray, frame_index: np.ndarray, episode_of: np.ndarray,
                             annotator: str = "intervention", max_len: int = 20) -> list[Preference]:
    """For each take-over: segment a = the person's frames, b = the policy's frames just before (same length)."""
    intervention = np.asarray(intervention, dtype=bool)
    prefs = []
    for start in onsets(intervention, episode_of):
        end = start
        while end < len(intervention) and intervention[end] and episode_of[end] == episode_of[start]:
            end += 1
        length = min(end - start, max_len)
        f0 = int(frame_index[start])
        b_len = min(length, f0)
        if b_len <= 0:
            continue  # a take-over at the first frame replaced nothing the policy did
        prefs.append(Preference(
            a_episode_index=int(episode_of[start]), a_from_frame=f0, a_to_frame=f0 + length,
            b_episode_index=int(episode_of[start]), b_from_frame=f0 - b_len, b_to_frame=f0,
            choice="a", annotator=annotator, strength=1.0, time=time.time(),
        ))
    return prefs
