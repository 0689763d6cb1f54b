"""Fit a reward ensemble to preferences with the Bradley-Terry loss on segment returns (PEBBLE / B-Pref).

P(a preferred over b) = sigmoid(R_a - R_b), where R is the sum of the model's per-frame rewards over a
segment. "equal" answers are a target of 1/2, "skip" answers are not trained on. Each member sees the
pairs in its own order, so the members differ where the labels leave the reward free. A held-out split
of the pairs measures how well the reward predicts answers it was not fitted to.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from policies.reward import RewardModel
from robot_hf.dataset import Preference
from robot_hf.feedback.reward.frames import FramePool

TARGETS = {"a": 1.0, "b": 0.0, "equal": 0.5}


@dataclass
class RewardTrainConfig:
    # Passes over the labelled pairs (each member), with at least min_steps optimiser steps.
    epochs: int = 20
    min_steps: int = 150
    batch_pairs: int = 16
    lr: float = 3e-4
    weight_decay: float = 1e-4
    # Random-shift augmentation, in pixels: a reward that moves with the arm, not with exact pixel positions.
    shift: int = 4
    # Train on every n-th frame of a segment (a random phase per segment, the sum scaled by n): n times less compute
    # per pair; evaluation always sums every frame.
    frame_stride: int = 2
    # Fraction of the pairs held out to measure accuracy on answers the model was not fitted to.
    val_fraction: float = 0.1
    seed: int = 0

    def check(self) -> None:
        if self.batch_pairs < 1 or self.epochs < 1 or self.min_steps < 0 or self.frame_stride < 1:
            raise ValueError("reward training: epochs, batch_pairs and frame_stride must be >= 1, min_steps >= 0")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"train.val_fraction must lie in [0, 1), got {self.val_fraction}")


@dataclass
class LabelledPairs:
    """Preferences as frame indices into a pool: segment a, segment b, P(a preferred), weight."""

    a: list[np.ndarray]
    b: list[np.ndarray]
    target: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.target)

    def subset(self, index) -> LabelledPairs:
        index = np.asarray(index, dtype=np.int64)
        return LabelledPairs([self.a[i] for i in index], [self.b[i] for i in index], self.target[index], self.weight[index])

    @classmethod
    def from_preferences(cls, pool: FramePool, preferences: list[Preference]) -> LabelledPairs:
        rows = [p for p in preferences if p.choice in TARGETS]
        spans = [pool.preference_spans(p) for p in rows]
        return cls([s[0] for s in spans], [s[1] for s in spans],
                   np.asarray([TARGETS[p.choice] for p in rows], dtype=np.float32),
                   np.asarray([p.strength for p in rows], dtype=np.float32))


def bradley_terry_loss(return_a: torch.Tensor, return_b: torch.Tensor, target: torch.Tensor,
                       weight: torch.Tensor | None = None) -> torch.Tensor:
    """Weighted cross-entropy between P(a) = sigmoid(R_a - R_b) and the answer's target (1, 0 or 1/2)."""
    loss = F.binary_cross_entropy_with_logits(return_a - return_b, target, reduction="none")
    if weight is None:
        return loss.mean()
    return (loss * weight).sum() / weight.sum().clamp_min(1e-8)


def segment_returns(model: RewardModel, pool: FramePool, segments: list[np.ndarray], shift: int = 0,
                    members: list[int] | None = None, stride: int = 1, rng: np.random.Generator | None = None) -> torch.Tensor:
    """(members, len(segments)) sums of per-frame rewards over each segment (segments may differ in length); with
    `stride` > 1, over every stride-th frame from a random phase, scaled by stride."""
    if stride > 1:
        rng = rng or np.random.default_rng()
        segments = [s[int(rng.integers(0, min(stride, len(s)))):: stride] for s in segments]
    frames = np.concatenate(segments)
    owner = torch.as_tensor(np.repeat(np.arange(len(segments)), [len(s) for s in segments]), device=model.device)
    index = torch.as_tensor(frames)
    state = pool.state[index] if model.state_dim else None
    rewards = model(pool.pixels[index], state, shift=shift, members=members)  # (M, frames)
    out = torch.zeros(rewards.shape[0], len(segments), device=rewards.device, dtype=rewards.dtype)
    return out.index_add(1, owner, rewards) * stride


def split_pairs(pairs: LabelledPairs, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and held-out indices. A pair's side is fixed by its segments (a hash of where they start), so a pair held
    out stays held out as labels are added and when `reward eval` runs later; nothing is held out below 10 pairs."""
    if len(pairs) < 10 or val_fraction <= 0:
        return np.arange(len(pairs)), np.zeros(0, dtype=np.int64)
    keys = np.asarray([(int(a[0]), int(b[0])) for a, b in zip(pairs.a, pairs.b, strict=True)], dtype=np.uint64)
    mixed = (keys[:, 0] * np.uint64(1_000_003) + keys[:, 1] + np.uint64(seed)) * np.uint64(0x9E3779B97F4A7C15)
    held = (mixed >> np.uint64(40)).astype(np.float64) / float(1 << 24) < val_fraction
    return np.flatnonzero(~held), np.flatnonzero(held)


def _batches(n: int, size: int, rng: np.random.Generator):
    """Batches of pair indices, each pass over the pairs in a new order."""
    while True:
        order = rng.permutation(n)
        for i in range(0, n, size):
            yield order[i:i + size]


@torch.no_grad()
def pair_returns(model: RewardModel, pool: FramePool, pairs: LabelledPairs, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(members, P) returns of every pair's segment a and segment b."""
    was = model.training
    model.eval()
    ra, rb = [], []
    for i in range(0, len(pairs), batch):
        seg = pairs.a[i:i + batch] + pairs.b[i:i + batch]
        r = segment_returns(model, pool, seg).cpu().numpy()
        ra.append(r[:, :len(seg) // 2])
        rb.append(r[:, len(seg) // 2:])
    model.train(was)
    m = len(model.members)
    return (np.concatenate(ra, axis=1) if ra else np.zeros((m, 0)), np.concatenate(rb, axis=1) if rb else np.zeros((m, 0)))


def pair_accuracy(model: RewardModel, pool: FramePool, pairs: LabelledPairs) -> float:
    """Share of the decided pairs (not "equal") whose answer the ensemble's mean return predicts."""
    decided = np.flatnonzero(pairs.target != 0.5)
    if len(decided) == 0:
        return float("nan")
    ra, rb = pair_returns(model, pool, pairs.subset(decided))
    return float(np.mean((ra.mean(axis=0) > rb.mean(axis=0)) == (pairs.target[decided] > 0.5)))


def fit_reward(model: RewardModel, pool: FramePool, pairs: LabelledPairs, cfg: RewardTrainConfig,
               log=None) -> dict:
    """Train `model` in place on `pairs` (its held-out split excluded); returns losses, accuracies and time."""
    cfg.check()
    if len(pairs) == 0:
        raise ValueError("no preferences to learn from (answers other than skip); label some first")
    train_idx, val_idx = split_pairs(pairs, cfg.val_fraction, cfg.seed)
    train = pairs.subset(train_idx)
    steps = max(cfg.min_steps, math.ceil(cfg.epochs * len(train) / cfg.batch_pairs))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    streams = [_batches(len(train), cfg.batch_pairs, rng) for _ in model.members]
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    target = torch.as_tensor(train.target)
    weight = torch.as_tensor(train.weight)
    model.train()
    start, losses = time.perf_counter(), []
    for step in range(steps):
        loss = torch.zeros(())
        for m, stream in enumerate(streams):
            batch = next(stream)
            segments = [train.a[i] for i in batch] + [train.b[i] for i in batch]
            returns = segment_returns(model, pool, segments, shift=cfg.shift, members=[m], stride=cfg.frame_stride, rng=rng)[0]
            b = torch.as_tensor(batch)
            loss = loss + bradley_terry_loss(returns[:len(batch)], returns[len(batch):], target[b], weight[b])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()) / len(model.members))
        if log and (step + 1) % 100 == 0:
            log(f"reward step {step + 1}/{steps}: loss {np.mean(losses[-100:]):.3f}")
    model.eval()
    seconds = time.perf_counter() - start
    return {
        "pairs": len(pairs), "train_pairs": len(train), "held_out_pairs": len(val_idx), "steps": steps,
        "loss": float(np.mean(losses[-50:])), "seconds": seconds,
        "train_accuracy": pair_accuracy(model, pool, train),
        "held_out_accuracy": pair_accuracy(model, pool, pairs.subset(val_idx)) if len(val_idx) else float("nan"),
    }
