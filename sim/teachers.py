"""Scripted teachers that stand in for people comparing two clips (B-Pref, Lee et al. 2021).

A teacher sees the task's true dense progress at every frame of both segments (what no person sees:
it stands for a person who judges progress perfectly, before the noise each teacher adds) and answers
"a", "b", "equal" or "skip", in B-Pref's order: skip when both segments are hopeless, equal when their
returns are too close to call, then the myopic weighting, the (Bradley-Terry) choice with rationality
beta, and finally a mistake with probability eps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class TeacherConfig:
    # A name for the annotator column ("teacher:<name>") and the reports.
    name: str = "oracle"
    # Rationality: P(a) = exp(beta R_a) / (exp(beta R_a) + exp(beta R_b)); null: the oracle (always the larger return).
    beta: float | None = None
    # Myopia: frame t of a K-frame segment weighs gamma^(K-1-t); 1: every frame the same.
    gamma: float = 1.0
    # Probability of giving the opposite answer.
    eps: float = 0.0
    # Skip the query when both segments' mean progress lies below this (both hopeless); 0: never skip.
    skip_below: float = 0.0
    # Answer "equal" when the segments' mean progress differ by less than this; 0: only exact ties.
    equal_within: float = 0.0
    seed: int = 0

    def check(self) -> None:
        if self.beta is not None and self.beta <= 0:
            raise ValueError(f"teacher.beta must be > 0 (or null for the oracle), got {self.beta}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"teacher.gamma must lie in (0, 1], got {self.gamma}")
        if not 0 <= self.eps <= 0.5:
            raise ValueError(f"teacher.eps must lie in [0, 0.5] (above 0.5 the teacher is adversarial), got {self.eps}")
        if self.skip_below < 0 or self.equal_within < 0:
            raise ValueError("teacher.skip_below and teacher.equal_within must be >= 0")


class ScriptedTeacher:
    """Answers queries from per-frame progress; its randomness comes from its own seed, so runs repeat."""

    def __init__(self, config: TeacherConfig):
        config.check()
        self.config = config
        self.rng = np.random.default_rng(config.seed)

    @property
    def annotator(self) -> str:
        return f"teacher:{self.config.name}"

    def answer(self, progress_a: np.ndarray, progress_b: np.ndarray) -> str:
        """"a", "b", "equal" or "skip" for two segments given their per-frame progress."""
        c = self.config
        a, b = np.asarray(progress_a, dtype=np.float64), np.asarray(progress_b, dtype=np.float64)
        if c.skip_below > 0 and max(a.mean(), b.mean()) < c.skip_below:
            return "skip"
        if abs(a.mean() - b.mean()) < c.equal_within:
            return "equal"
        ret_a, ret_b = self._weighted_return(a), self._weighted_return(b)
        if c.beta is None:
            if ret_a == ret_b:
                return "equal"
            choice = "a" if ret_a > ret_b else "b"
        else:
            p_a = 1.0 / (1.0 + math.exp(-float(np.clip(c.beta * (ret_a - ret_b), -50, 50))))
            choice = "a" if self.rng.random() < p_a else "b"
        if c.eps > 0 and self.rng.random() < c.eps:
            choice = "b" if choice == "a" else "a"
        return choice

    def _weighted_return(self, progress: np.ndarray) -> float:
        k = len(progress)
        weights = self.config.gamma ** np.arange(k - 1, -1, -1, dtype=np.float64)
        return float((weights * progress).sum())
