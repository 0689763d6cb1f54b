"""The evaluation protocol every feedback benchmark shares: disjoint seed ranges (a development range to tune on, a
locked test range only a confirmatory run reads, and ranges for demos, rollouts and baselines), a ledger of test
reads, and paired comparisons of two arms on the same seeds.

A claim "A beats B" is made only where McNemar's exact test on the episodes the two arms disagree on supports it;
the gain's interval is a paired bootstrap over the common seeds.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class SeedRange:
    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size

    def seeds(self, n: int, offset: int = 0) -> list[int]:
        if offset < 0 or offset + n > self.size:
            raise ValueError(f"seed range {self.name!r} holds {self.size} seeds; {offset}+{n} do not fit")
        return list(range(self.start + offset, self.start + offset + n))

    def __contains__(self, seed: int) -> bool:
        return self.start <= seed < self.stop


SEED_RANGES: dict[str, SeedRange] = {r.name: r for r in (
    SeedRange("demos", 0, 100_000),            # scenes of recorded demonstrations (record.seed + take)
    SeedRange("dev_eval", 100_000, 100_000),   # evaluations while training and each improvement round (eval.seed)
    SeedRange("dev_final", 300_000, 100_000),  # larger final evaluations during development: tuned on, so not a test
    SeedRange("rollouts", 500_000, 100_000),   # improvement rounds' rollouts
    SeedRange("baseline", 700_000, 100_000),   # the more-demos baseline's new demonstrations
    SeedRange("test", 900_000, 100_000),       # locked: read only by a confirmatory run, and every read is counted
)}


def seed_range(name: str) -> SeedRange:
    if name not in SEED_RANGES:
        raise ValueError(f"unknown seed range {name!r}; the ranges are {sorted(SEED_RANGES)}")
    return SEED_RANGES[name]


def range_of(seed: int) -> str:
    for r in SEED_RANGES.values():
        if seed in r:
            return r.name
    raise ValueError(f"seed {seed} lies in no seed range ({', '.join(f'{r.name} {r.start}..{r.stop - 1}' for r in SEED_RANGES.values())})")


def check_disjoint(ranges=None) -> None:
    spans = sorted(ranges or SEED_RANGES.values(), key=lambda r: r.start)
    for a, b in itertools.pairwise(spans):
        if a.stop > b.start:
            raise ValueError(f"seed ranges {a.name} ({a.start}..{a.stop - 1}) and {b.name} ({b.start}..{b.stop - 1}) overlap")


check_disjoint()


class LockedReadLedger:
    """Counts every evaluation on the locked test range, with what it was for, in a JSON file kept with the results."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def reads(self) -> list[dict]:
        return json.loads(self.path.read_text()) if self.path.exists() else []

    def record(self, purpose: str, seeds: list[int]) -> int:
        """Log one read; returns how many reads the test range has had, this one included."""
        outside = [s for s in seeds if s not in SEED_RANGES["test"]]
        if outside:
            raise ValueError(f"seeds {outside[:3]} are not in the test range; the ledger counts test reads only")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Benchmarks run one process per training seed side by side: the read, append and write happen under a lock,
        # so no process overwrites another's read; the file is replaced whole, never left half written.
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = [*self.reads(), {"purpose": purpose, "episodes": len(seeds), "first_seed": seeds[0] if seeds else None,
                                       "time": time.strftime("%Y-%m-%d %H:%M:%S")}]
            staged = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            staged.write_text(json.dumps(entries, indent=2))
            os.replace(staged, self.path)
        return len(entries)


def mcnemar_p(a: np.ndarray, b: np.ndarray) -> float:
    """Exact two-sided McNemar p-value for paired successes of arms a and b on the same episodes."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes need the same episodes: {a.shape} vs {b.shape}")
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired_bootstrap(a: np.ndarray, b: np.ndarray, samples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """The success difference a - b over common episodes and its 95% percentile interval, resampling episodes."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired outcomes need the same, non-empty set of episodes")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(samples, len(diff)))].mean(axis=1)
    return float(diff.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def paired_ratio(a: np.ndarray, b: np.ndarray, samples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """mean(a) / mean(b) over common episodes (counts such as corrections an episode) and its 95% percentile interval,
    resampling episodes."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.size == 0 or b.sum() <= 0:
        raise ValueError("a paired ratio needs the same, non-empty set of episodes and a positive denominator")
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(a), size=(samples, len(a)))
    ratios = a[pick].sum(axis=1) / np.maximum(b[pick].sum(axis=1), 1e-12)
    return float(a.sum() / b.sum()), float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


def compare(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray, alpha: float = 0.05) -> str:
    """One line: the paired gain with its interval, and "beats" only where McNemar's test supports it."""
    gain, lo, hi = paired_bootstrap(a, b)
    p = mcnemar_p(a, b)
    detail = f"{100 * gain:+.0f} points (95% CI {100 * lo:+.0f} to {100 * hi:+.0f}), McNemar p={p:.3g}, {len(np.asarray(a))} paired episodes"
    if p < alpha:
        winner, loser = (name_a, name_b) if gain > 0 else (name_b, name_a)
        return f"{winner} beats {loser}: {detail}"
    return f"{name_a} vs {name_b}: no supported difference, {detail}"


def write_results(path: Path, rows: list[dict]) -> None:
    """Write result rows as JSON; a row whose numbers do not say which seed range they come from is refused."""
    for row in rows:
        name = row.get("seed_range")
        if name not in SEED_RANGES:
            raise ValueError(f"result row {row.get('arm', row)!r} has no valid seed_range ({name!r}): every number must say "
                             f"whether it comes from {sorted(SEED_RANGES)}")
        if "episodes" not in row or row["episodes"] <= 0:
            raise ValueError(f"result row {row.get('arm', row)!r} does not say on how many episodes it was measured")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(rows, indent=2))
