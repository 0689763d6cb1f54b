"""Which segment pairs to ask a person (or a scripted teacher) about.

Candidates are drawn uniformly over the pool's segments; where episodes share a seeded reset (a demo
and rollouts from the same scene), the second segment comes from another episode of that reset and
starts near the same time, so the two clips differ in behaviour rather than in scene. From the
candidates a batch is chosen uniformly, by ensemble disagreement (the spread of the members' P(a over b),
PEBBLE's choice) or by entropy (of the mean P: the pairs the reward finds closest to call).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.reward import RewardModel
from robot_hf.feedback.reward.frames import FramePool

METHODS = ("uniform", "disagreement", "entropy")


@dataclass
class QueryConfig:
    # Frames per segment (each clip of a pair).
    segment: int = 20
    # How the batch is chosen among the candidates: uniform, disagreement or entropy.
    method: str = "uniform"
    # Candidates drawn per query asked (disagreement and entropy pick the best of these).
    candidates_per_query: int = 10
    # Pair segments of episodes that started from the same seeded reset, where the dataset has such episodes.
    same_reset: bool = True

    def check(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"query.method={self.method!r} is not one of {METHODS}")
        if self.segment < 2:
            raise ValueError(f"query.segment must be >= 2 frames, got {self.segment}")
        if self.candidates_per_query < 1:
            raise ValueError(f"query.candidates_per_query must be >= 1, got {self.candidates_per_query}")


def candidate_pairs(pool: FramePool, cfg: QueryConfig, n: int, rng: np.random.Generator,
                    episodes: np.ndarray | None = None) -> np.ndarray:
    """(n, 2) first-frame global indices of candidate segment pairs, from `episodes` (all by default)."""
    k = cfg.segment
    episodes = np.arange(pool.num_episodes) if episodes is None else np.asarray(episodes)
    lengths = pool.bounds[episodes, 1] - pool.bounds[episodes, 0]
    usable = episodes[lengths >= k]
    if len(usable) < 2:
        raise ValueError(f"query.segment={k}: fewer than two episodes have {k} frames; lower query.segment")
    by_seed: dict[int, list[int]] = {}
    for e in usable:
        if pool.seeds[e] is not None:
            by_seed.setdefault(int(pool.seeds[e]), []).append(int(e))
    out = np.empty((n, 2), dtype=np.int64)
    for i in range(n):
        ea = int(rng.choice(usable))
        fa = int(rng.integers(0, pool.bounds[ea, 1] - pool.bounds[ea, 0] - k + 1))
        twins = [e for e in by_seed.get(int(pool.seeds[ea]) if pool.seeds[ea] is not None else -1, []) if e != ea]
        if cfg.same_reset and twins:
            eb = int(rng.choice(twins))
            last = int(pool.bounds[eb, 1] - pool.bounds[eb, 0] - k)
            fb = int(np.clip(fa + rng.integers(-k // 2, k // 2 + 1), 0, last))
        else:
            eb = int(rng.choice(usable[usable != ea]))
            fb = int(rng.integers(0, pool.bounds[eb, 1] - pool.bounds[eb, 0] - k + 1))
        out[i] = (pool.bounds[ea, 0] + fa, pool.bounds[eb, 0] + fb)
    return out


def preference_probabilities(model: RewardModel, pool: FramePool, pairs: np.ndarray, segment: int,
                             rewards: np.ndarray | None = None) -> np.ndarray:
    """(members, n) each member's P(segment a preferred) for pairs of `segment`-frame segments."""
    if rewards is None:
        rewards = model.rewards(pool.pixels, pool.state if model.state_dim else None)
    totals = np.concatenate([np.zeros((len(rewards), 1)), np.cumsum(rewards, axis=1)], axis=1)
    ra = totals[:, pairs[:, 0] + segment] - totals[:, pairs[:, 0]]
    rb = totals[:, pairs[:, 1] + segment] - totals[:, pairs[:, 1]]
    return 1.0 / (1.0 + np.exp(-np.clip(ra - rb, -50, 50)))


def select_queries(pool: FramePool, cfg: QueryConfig, n: int, rng: np.random.Generator,
                   model: RewardModel | None = None, episodes: np.ndarray | None = None,
                   exclude: set[tuple[int, int]] | None = None) -> np.ndarray:
    """(n, 2) pairs to ask about: uniform draws, or the most informative of n x candidates_per_query by the model."""
    cfg.check()
    informed = cfg.method != "uniform"
    if informed and model is None:
        raise ValueError(f"query.method={cfg.method} needs a reward model (reward.path=...) to score candidates")
    pool_size = n * (cfg.candidates_per_query if informed else 1)
    cands = candidate_pairs(pool, cfg, pool_size + len(exclude or ()), rng, episodes)
    seen = set(exclude or ())
    kept = []
    for a, b in cands:  # each pair once, in either order, and none already answered
        key = (int(a), int(b))
        if key not in seen and key[::-1] not in seen:
            seen.add(key)
            kept.append(key)
    cands = np.asarray(kept[:pool_size], dtype=np.int64).reshape(-1, 2)
    if not informed:
        return cands[:n]
    p = preference_probabilities(model, pool, cands, cfg.segment)
    if cfg.method == "disagreement":
        score = p.std(axis=0)
    else:
        mean = np.clip(p.mean(axis=0), 1e-6, 1 - 1e-6)
        score = -(mean * np.log(mean) + (1 - mean) * np.log(1 - mean))
    return cands[np.argsort(-score, kind="stable")[:n]]
