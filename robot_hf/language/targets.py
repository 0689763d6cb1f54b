"""What a hierarchical policy trains on per frame: the motion it was doing (low level) and the motion to pick (high).

`motion`: the label of the end effector's path over the next window (hindsight): what the action did, whoever acted.
`high_target`: what the high level should have picked: a person's motion where a person drove (demos, take-overs;
their path's label) or spoke (the correction in force, from the `instruction` column); -1 where the policy chose
for itself (imitating its own picks teaches it nothing).
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
    high = np.where((source == CORRECTION) & (spoken >= 0), spoken, high)
    return {"motion": motion, "high_target": high.astype(np.int64)}
