"""Intervention learners as per-frame weights on the aggregated dataset, for weighted behaviour cloning.

HG-DAgger: the human's segments join the demonstrations; the policy's own frames are not imitated.
Sirius: every class has a weight (interventions up, the frames that led to them down), and a memory
that trims the policy frames of old rounds.
"""

from __future__ import annotations

import numpy as np

from robot_hf.feedback.config import ClassWeights, FeedbackConfig
from robot_hf.feedback.labels import (
    DEMO,
    INTERVENTION,
    POLICY,
    PRE_INTERVENTION,
    class_weights,
    counts,
    frame_classes,
    frame_rounds,
)

SCHEMES = ("shares", "fixed")


def hg_dagger_weights(classes: np.ndarray) -> np.ndarray:
    return np.isin(classes, [DEMO, INTERVENTION]).astype(np.float32)


def _check(w: ClassWeights) -> None:
    if w.scheme not in SCHEMES:
        raise ValueError(f"feedback.weights.scheme={w.scheme!r} is not a Sirius weighting scheme; use one of {SCHEMES}")
    for name in ("intervention_share", "pre_intervention_share", "policy_share_max"):
        if not 0.0 <= getattr(w, name) <= 1.0:
            raise ValueError(f"feedback.weights.{name}={getattr(w, name)} must be a fraction in [0, 1]")
    if w.intervention_share + w.pre_intervention_share > 1.0:
        raise ValueError(f"feedback.weights.intervention_share + pre_intervention_share = "
                         f"{w.intervention_share + w.pre_intervention_share} is over 1: lower one of them")


def share_weights(classes: np.ndarray, kept: np.ndarray, w: ClassWeights) -> dict[int, float]:
    """Per-class weights that give each class its target share of the kept frames' total weight.

    A class's weight is its target share over its share of the frames, so the weights average 1 whenever the
    shares fit.
    """
    n = max(int(kept.sum()), 1)
    ratio = {c: float(np.sum(classes[kept] == c)) / n for c in (DEMO, POLICY, PRE_INTERVENTION, INTERVENTION)}
    # A class with no frames cannot take a share.
    target = {INTERVENTION: w.intervention_share if ratio[INTERVENTION] else 0.0,
              PRE_INTERVENTION: w.pre_intervention_share if ratio[PRE_INTERVENTION] else 0.0}
    # The policy frames get what the demos' natural share and the interventions leave, up to a cap: as rounds
    # add rollouts the leftover grows past the demos' share, and a weak policy would mostly imitate itself.
    leftover = max(0.0, 1.0 - ratio[DEMO] - target[INTERVENTION] - target[PRE_INTERVENTION])
    target[POLICY] = min(leftover, w.policy_share_max) if ratio[POLICY] else 0.0
    # The demos keep their natural share plus what the cap holds back (all of it when there are no policy frames).
    target[DEMO] = ratio[DEMO] + leftover - target[POLICY]
    return {c: target[c] / ratio[c] if ratio[c] else 0.0 for c in target}


def sirius_weights(classes: np.ndarray, config: FeedbackConfig, frame_round: np.ndarray | None = None,
                   current_round: int | None = None) -> np.ndarray:
    w = config.weights
    _check(w)
    kept = np.ones(len(classes), dtype=bool)
    if frame_round is not None and current_round is not None:
        kept &= ~((classes == POLICY) & (frame_round <= current_round - config.memory_rounds))
    if w.scheme == "shares":
        table = share_weights(classes, kept, w)
    else:
        table = {DEMO: w.demo, POLICY: w.policy, PRE_INTERVENTION: w.pre_intervention, INTERVENTION: w.intervention}
    weights = np.array([table[int(c)] for c in classes], dtype=np.float32)
    weights[~kept] = 0.0
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


LEARNERS = ("hg_dagger", "sirius")


def dataset_weights(reader, kind: str, config: FeedbackConfig, current_round: int | None = None) -> tuple[np.ndarray, dict]:
    """A learner's per-frame loss weights over a whole dataset (demos and rollout sessions together), and a summary:
    frames per class and each class's weight. `current_round` (default: the dataset's latest) drives Sirius's memory."""
    if kind not in LEARNERS:
        raise ValueError(f"feedback={kind} is not a learner; train with feedback=hg_dagger or feedback=sirius "
                         "(feedback=intervention records take-overs during `rollout`)")
    classes = frame_classes(reader.column("source"), reader.column("intervention"), reader.column("episode_index"),
                            config.pre_window)
    rounds = frame_rounds([ep.get("round") for ep in reader.meta.episodes], reader.column("episode_index"))
    latest = int(rounds.max()) if len(rounds) else 0
    weights = learner_weights(kind, classes, config, rounds, latest if current_round is None else current_round)
    return weights, {"learner": kind, "frames": counts(classes), "class_weights": class_weights(classes, weights)}
