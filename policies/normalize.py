"""Normalisation of states, actions and images from dataset statistics, saved inside the policy.

Ranges and standard deviations are floored at EPS: a dimension that never moved in the data (a joint
velocity in slow demos) must not blow a small real-world change up into a huge input.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

MODES = ("min_max", "mean_std", "identity")
EPS = 1e-2


def _buffer_name(key: str, stat: str) -> str:
    return f"{key.replace('.', '_')}__{stat}"


class Normalizer(nn.Module):
    """min_max maps [min, max] to [-1, 1]; mean_std to zero mean, unit variance; stats live in buffers."""

    def __init__(self, modes: Mapping[str, str], shapes: Mapping[str, tuple[int, ...]],
                 stats: Mapping[str, Mapping[str, object]] | None = None):
        super().__init__()
        self.modes = dict(modes)
        for key, mode in self.modes.items():
            if mode not in MODES:
                raise ValueError(f"normalisation of {key!r} must be one of {MODES}, got {mode!r}")
            for stat in ("min", "max", "mean", "std"):
                value = torch.zeros(shapes[key]) if stat in ("min", "mean") else torch.ones(shapes[key])
                if stats is not None and key in stats and stat in stats[key]:
                    value = torch.as_tensor(stats[key][stat], dtype=torch.float32).reshape(shapes[key])
                self.register_buffer(_buffer_name(key, stat), value)

    def stat(self, key: str, stat: str) -> torch.Tensor:
        return getattr(self, _buffer_name(key, stat))

    def normalize(self, key: str, x: torch.Tensor) -> torch.Tensor:
        mode = self.modes.get(key, "identity")
        if mode == "min_max":
            lo, hi = self.stat(key, "min"), self.stat(key, "max")
            return (x - lo) / (hi - lo).clamp_min(EPS) * 2 - 1
        if mode == "mean_std":
            return (x - self.stat(key, "mean")) / self.stat(key, "std").clamp_min(EPS)
        return x

    def unnormalize(self, key: str, x: torch.Tensor) -> torch.Tensor:
        mode = self.modes.get(key, "identity")
        if mode == "min_max":
            lo, hi = self.stat(key, "min"), self.stat(key, "max")
            return (x + 1) / 2 * (hi - lo).clamp_min(EPS) + lo
        if mode == "mean_std":
            return x * self.stat(key, "std").clamp_min(EPS) + self.stat(key, "mean")
        return x
