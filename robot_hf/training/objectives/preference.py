"""What the preference objectives share: pair batches drawn as a pure function of the step, scored on one draw."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from robot_hf.config.compose import ConfigError
from robot_hf.training.objectives.config import ObjectiveConfig
from robot_hf.training.objectives.pairs import SegmentPairs


def concat(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: torch.cat([v, b[k]]) if isinstance(v, torch.Tensor) else list(v) + list(b[k]) for k, v in a.items()}


def to_device(batch: dict[str, Any], device) -> dict[str, Any]:
    return {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}


class PairScoring:
    """Draws pairs of segments and scores the chosen and rejected frames with a policy's action error."""

    def __init__(self, config: ObjectiveConfig, reader, windows, seed: int):
        self.config, self.seed = config, seed
        self.pairs = SegmentPairs(reader, windows, list(config.sources))
        if not len(self.pairs):
            raise ConfigError(f"objective={config.name}: dataset {reader.root} has no decided preference from "
                              f"{list(config.sources)}; label pairs first (robot-hf reward label / robot-hf label) or "
                              "record take-overs or corrections")

    def batch(self, step: int, device) -> tuple[dict[str, Any], np.ndarray]:
        """The chosen then the rejected windows in one batch (2 x pairs x frames), and the frame offsets."""
        rng = np.random.default_rng([self.seed, step])
        win, lose, offsets = self.pairs.sample(self.config.pairs_per_step, self.config.frames_per_segment, rng)
        return to_device(concat(win, lose), device), offsets

    def errors(self, policy, both: dict[str, Any], draw: dict[str, torch.Tensor]) -> torch.Tensor:
        """(2, pairs, frames) action errors: chosen, rejected."""
        c = self.config
        return policy.action_error(both, draw).view(2, c.pairs_per_step, c.frames_per_segment)

    @staticmethod
    def shared_draw(policy, both: dict[str, Any]) -> dict[str, torch.Tensor]:
        """One draw for the chosen half, repeated for the rejected half (Diffusion-DPO noises both alike)."""
        half = {k: v[: len(v) // 2] for k, v in both.items()}
        return {k: torch.cat([v, v]) for k, v in policy.likelihood_draw(half).items()}


def unwrap(model):
    """The policy inside a DistributedDataParallel or compiled wrapper."""
    return getattr(model, "module", None) or getattr(model, "_orig_mod", None) or model
