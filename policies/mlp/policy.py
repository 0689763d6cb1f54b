"""MLP behaviour cloning: encoded observations -> the whole action horizon, regressed with MSE."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from policies.base import Policy
from policies.mlp.config import MLPConfig


class MLPPolicy(Policy):
    name: ClassVar[str] = "mlp"
    config_class: ClassVar[type] = MLPConfig

    def __init__(self, config: MLPConfig, stats: dict[str, dict[str, Any]] | None = None):
        super().__init__(config, stats)
        layers, width = [], self.encoder.out_dim * config.n_obs_steps
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(config.dropout)]
            width = h
        layers.append(nn.Linear(width, config.horizon * self.action_dim))
        self.head = nn.Sequential(*layers)

    def _predict(self, batch: dict[str, Any]) -> torch.Tensor:
        feats = self.observation_features(batch)[:, : self.config.n_obs_steps].flatten(1)
        return self.head(feats).reshape(-1, self.config.horizon, self.action_dim)

    def action_error(self, batch: dict[str, Any], draw: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        actions = self.normalizer.normalize("action", batch["action"].float())
        err = F.mse_loss(self._predict(batch), actions, reduction="none")
        pad = batch.get("action_is_pad")
        valid = (~pad).to(err.dtype)[..., None] if pad is not None else torch.ones_like(err[..., :1])
        return (err * valid).sum((1, 2)) / (valid.sum((1, 2)) * self.action_dim).clamp_min(1.0)

    def compute_loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {"loss": self.weighted_mean(self.action_error(batch), batch)}

    @torch.no_grad()
    def predict_chunk(self, batch: dict[str, Any]) -> torch.Tensor:
        horizon = self.normalizer.unnormalize("action", self._predict(batch))
        start = self.config.n_obs_steps - 1
        return horizon[:, start: start + self.config.n_action_steps]
