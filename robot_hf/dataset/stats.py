"""Per-episode and dataset statistics in LeRobot's layout.

Numeric features get min/max/mean/std/count and the q01..q99 quantiles over frames; cameras get
per-channel values of shape (3, 1, 1) in [0, 1] from a sample of frames. Dataset stats aggregate
episode stats: exact for min/max/mean/std (parallel variance), count-weighted for quantiles, which is
how LeRobot aggregates them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_NAMES = ("min", "max", "mean", "std", "count", *QUANTILES)

Stats = dict[str, dict[str, np.ndarray]]


def sample_indices(length: int, min_samples: int = 100, max_samples: int = 10_000, power: float = 0.75) -> np.ndarray:
    """Evenly spread frame indices, as many as LeRobot samples for image stats."""
    if length <= 0:
        return np.zeros(0, dtype=int)
    n = max(min(min_samples, length), min(int(length**power), max_samples))
    return np.round(np.linspace(0, length - 1, n)).astype(int)


def array_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """Stats over the first axis of (N, ...) values; scalar columns come back with shape (1,)."""
    values = np.asarray(values)
    if values.dtype == np.bool_:
        values = values.astype(np.float64)
    if values.ndim == 1:
        values = values[:, None]
    as_float = values.astype(np.float64)
    out = {
        "min": values.min(axis=0),
        "max": values.max(axis=0),
        "mean": as_float.mean(axis=0),
        "std": as_float.std(axis=0),
        "count": np.array([len(values)]),
    }
    qs = np.quantile(as_float, list(QUANTILES.values()), axis=0)
    out.update({name: q for name, q in zip(QUANTILES, qs, strict=True)})
    return out


def image_stats(frames: np.ndarray) -> dict[str, np.ndarray]:
    """Per-channel stats of (N, H, W, 3) uint8 frames, scaled to [0, 1], shaped (3, 1, 1)."""
    sampled = frames[sample_indices(len(frames))]
    # Downsample large images the way LeRobot does, to keep stats cheap.
    h, w = sampled.shape[1:3]
    if max(h, w) >= 300:
        step = max(1, int(max(h, w) / 150))
        sampled = sampled[:, ::step, ::step]
    pixels = sampled.reshape(-1, 3).astype(np.float64) / 255.0
    per_channel = {
        "min": pixels.min(axis=0),
        "max": pixels.max(axis=0),
        "mean": pixels.mean(axis=0),
        "std": pixels.std(axis=0),
    }
    qs = np.quantile(pixels, list(QUANTILES.values()), axis=0)
    per_channel.update({name: q for name, q in zip(QUANTILES, qs, strict=True)})
    out = {k: v.reshape(3, 1, 1) for k, v in per_channel.items()}
    out["count"] = np.array([len(sampled)])
    return out


def aggregate(stats_list: Sequence[Mapping[str, Mapping[str, np.ndarray]]]) -> Stats:
    """Combine stats of disjoint sets of frames (episodes, or whole datasets)."""
    keys = {k for stats in stats_list for k in stats}
    out: Stats = {}
    for key in keys:
        parts = [s[key] for s in stats_list if key in s]
        counts = np.array([float(np.asarray(p["count"]).reshape(-1)[0]) for p in parts])
        total = counts.sum()
        weights = counts / total if total > 0 else np.full(len(parts), 1.0 / len(parts))

        def weighted(name: str, parts=parts, weights=weights) -> np.ndarray:
            stacked = np.stack([np.asarray(p[name], dtype=np.float64) for p in parts])
            return np.tensordot(weights, stacked, axes=1)

        mean = weighted("mean")
        second = sum(
            w * (np.asarray(p["std"], dtype=np.float64) ** 2 + (np.asarray(p["mean"], dtype=np.float64) - mean) ** 2)
            for w, p in zip(weights, parts, strict=True)
        )
        agg = {
            "min": np.min(np.stack([np.asarray(p["min"]) for p in parts]), axis=0),
            "max": np.max(np.stack([np.asarray(p["max"]) for p in parts]), axis=0),
            "mean": mean,
            "std": np.sqrt(np.maximum(second, 0.0)),
            "count": np.array([int(total)]),
        }
        for q in QUANTILES:
            if all(q in p for p in parts):
                agg[q] = weighted(q)
        out[key] = agg
    return out


def to_jsonable(stats: Mapping[str, Mapping[str, np.ndarray]]) -> dict:
    return {k: {s: np.asarray(v).tolist() for s, v in d.items()} for k, d in stats.items()}


def from_jsonable(payload: Mapping[str, Mapping[str, object]]) -> Stats:
    return {k: {s: np.asarray(v) for s, v in d.items()} for k, d in payload.items()}
