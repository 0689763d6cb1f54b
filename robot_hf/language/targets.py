"""What a hierarchical policy trains on per frame: the motion it was doing (low level) and the motion to pick (high).

`motion`: the label of the end effector's path over the next window (hindsight): what the action did, whoever acted,
except under a correction: those actions are the policy's own, half-obeying a person who spoke a moment ago, and the
low level does not imitate them (-1; YAY Robot fine-tunes the high level only; on Lift, imitating them lost 6 points
over three rounds where leaving them out gained 14).
`high_target`: what the high level should have picked: a person's motion where a person drove (demos, take-overs;
their path's label) or spoke (the correction's motion, for one labelling window from the frame it was given: a
correction names where to go from where the robot was then, not from where a held correction has since taken it;
and, with `lead_s`, from that long before it, when the person saw the need and was reacting and keying while the
policy went on: on Lift's dev seeds a 0.5 s lead left 6% fewer corrections, not a supported difference, so it is
off by default); -1 where the policy chose for itself (imitating its own picks teaches it nothing).
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
    spoken = spoken_motions(reader, len(source), vocab, cfg.window, round(cfg.lead_s * reader.fps))
    high = np.where(source == "human", motion, -1)
    high = np.where(spoken >= 0, spoken, high)
    low = np.where((source == CORRECTION) | ((spoken >= 0) & (source != "human")), -1, motion)
    return {"motion": low.astype(np.int64), "high_target": high.astype(np.int64)}


def spoken_motions(reader, frames: int, vocab: Vocabulary, window: int, lead: int) -> np.ndarray:
    """Per frame: the motion a person's correction named for it (its vocabulary index; -1 none), from `lead` frames
    before the frame it arrived to `window` frames after; a later correction overrides an earlier one."""
    said = np.full(frames, -1, dtype=np.int64)
    spans = {int(ep["episode_index"]): (int(ep["dataset_from_index"]), int(ep["dataset_to_index"])) for ep in reader.meta.episodes}
    for correction in sorted(reader.corrections, key=lambda c: (c.episode_index, c.frame_index)):
        if correction.motion in vocab.texts and correction.episode_index in spans:
            start, end = spans[correction.episode_index]
            frame = start + correction.frame_index
            said[max(start, frame - lead): min(frame + window, end)] = vocab.index(correction.motion)
    return said
