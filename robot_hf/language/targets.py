"""What a hierarchical policy trains on per frame: the motion it was doing (low level) and the motion to pick (high).

`motion`: the label of the end effector's path over the next window (hindsight): what the action did, whoever acted,
except under a correction: those actions are the policy's own, half-obeying a person who spoke a moment ago, and the
low level does not imitate them (-1; YAY Robot fine-tunes the high level only; on Lift, imitating them lost 6 points
over three rounds where leaving them out gained 14).
`high_target`: what the high level should have picked: a person's motion where a person drove (demos, take-overs;
their path's label) or spoke (the correction's motion, for one labelling window from the frame it was given: a
correction names where to go from where the robot was then, not from where a held correction has since taken it);
-1 where the policy chose for itself (imitating its own picks teaches it nothing).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robot_hf.language.labeling import motion_labels, motions_config
from robot_hf.language.motions import Vocabulary

CORRECTION = "correction"


def motion_targets(reader, motions: Any) -> dict[str, np.ndarray]:
    cfg = motions_config(motions)
    vocab = Vocabulary.from_config(cfg)
    labels = motion_labels(reader, cfg)
    motion = np.array([vocab.index(t) for t in labels], dtype=np.int64)
    source = reader.column("source")
    instruction = reader.column("instruction")
    said = np.array([vocab.texts.index(t) if t in vocab.texts else -1 for t in reader.tasks], dtype=np.int64)
    spoken = said[instruction] if len(instruction) else np.zeros(0, np.int64)
    high = np.where(source == "human", motion, -1)
    high = np.where((source == CORRECTION) & (spoken >= 0) & correction_moments(reader, len(source), cfg.window), spoken, high)
    low = np.where(source == CORRECTION, -1, motion)
    return {"motion": low.astype(np.int64), "high_target": high.astype(np.int64)}


def correction_moments(reader, frames: int, window: int) -> np.ndarray:
    """Per frame: whether it lies within `window` frames of the moment a correction was given."""
    at = np.zeros(frames, dtype=bool)
    spans = {int(ep["episode_index"]): (int(ep["dataset_from_index"]), int(ep["dataset_to_index"])) for ep in reader.meta.episodes}
    for correction in reader.corrections:
        if correction.motion and correction.episode_index in spans:
            start, end = spans[correction.episode_index]
            frame = start + correction.frame_index
            at[frame: min(frame + window, end)] = True
    return at
