"""Intervention learners as per-frame weights on the aggregated dataset, for weighted behaviour cloning.

HG-DAgger: the human's segments join the demonstrations; the policy's own frames are not imitated.
Sirius: every class has a weight (interventions up, the frames that led to them down), and a memory
that trims the policy frames of old rounds.
"""

from __future__ import annotations

import numpy as np

from robot_hf.feedback.config import FeedbackConfig
from robot_hf.feedback.labels import DEMO, INTERVENTION, POLICY, PRE_INTERVENTION


def hg_dagger_weights(classes: np.ndarray) -> np.ndarray:
    return np.isin(classes, [DEMO, INTERVENTION]).astype(np.float32)


def sirius_weights(classes: np.ndarray, config: FeedbackConfig, frame_round: np.ndarray | None = None,
                   current_round: int | None = None) -> np.ndarray:
    w = config.weights
    table = {DEMO: w.demo, POLICY: w.policy, PRE_INTERVENTION: w.pre_intervention, INTERVENTION: w.intervention}
    weights = np.array([table[int(c)] for c in classes], dtype=np.float32)
    if frame_round is not None and current_round is not None:
        old = (classes == POLICY) & (frame_round <= current_round - config.memory_rounds)
        weights[old] = 0.0
    return weights


def learner_weights(kind: str, classes: np.ndarray, config: FeedbackConfig, frame_round: np.ndarray | None = None,
                    current_round: int | None = None) -> np.ndarray:
    if kind == "hg_dagger":
        return hg_dagger_weights(classes)
    if kind == "sirius":
        return sirius_weights(classes, config, frame_round, current_round)
    if kind in ("bc", "demos"):
        return np.isin(classes, [DEMO]).astype(np.float32)
    raise ValueError(f"unknown learner {kind!r}; use hg_dagger or sirius")
