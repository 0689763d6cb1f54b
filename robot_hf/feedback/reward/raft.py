"""Reward-ranked fine-tuning (RAFT): score the policy's rollouts with the learned reward, behaviour-clone the best.

An episode's score is the learned reward's ensemble mean over its last `tail` frames: where the rollout ended up,
the part of an episode a segment-trained reward judges best, and not a sum that grows with episode length (a
reward a policy could farm by dawdling). The demonstrations stay in as the anchor.
"""

from __future__ import annotations

import numpy as np


def episode_scores(rewards: np.ndarray, bounds: np.ndarray, tail: int) -> np.ndarray:
    """(E,) mean of per-frame rewards (N,) over each episode's last `tail` frames."""
    return np.array([rewards[max(lo, hi - tail):hi].mean() if hi > lo else np.nan for lo, hi in bounds])


def top_episodes(scores: np.ndarray, candidates: np.ndarray, fraction: float) -> np.ndarray:
    """The best-scored `fraction` of `candidates` (at least one when there are any), best first; ties by index."""
    if not 0 < fraction <= 1:
        raise ValueError(f"feedback.top_fraction={fraction} must lie in (0, 1]")
    candidates = np.asarray(candidates, dtype=np.int64)
    if not len(candidates):
        return candidates
    keep = max(1, int(round(fraction * len(candidates))))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order[:keep]]


def raft_weights(episode_of: np.ndarray, demo_frames: np.ndarray, chosen: np.ndarray, weight: float = 1.0) -> np.ndarray:
    """Per-frame weights: the demonstrations' frames 1, the chosen rollouts' frames `weight`, the rest 0."""
    weights = demo_frames.astype(np.float32)
    weights[np.isin(episode_of, chosen)] = weight
    return weights
