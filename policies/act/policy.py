"""ACT policy: L1 on the chunk + kl_weight x KL; z = 0 at run time; optional temporal ensembling."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from policies.act.config import ACTConfig
from policies.act.model import ACTModel
from policies.base import Policy, camera_key


class TemporalEnsembler:
    """Running weighted average of every chunk's prediction for each upcoming step.

    The prediction made i-th (oldest first) for a step gets weight exp(-coeff * i), as in ACT.
    """

    def __init__(self, coeff: float, horizon: int):
        self.weights = torch.exp(-coeff * torch.arange(horizon, dtype=torch.float64))
        self.reset()

    def reset(self) -> None:
        self.average: torch.Tensor | None = None  # (B, n, A) for the steps still ahead
        self.count: torch.Tensor | None = None  # predictions averaged into each of them

    def update(self, chunk: torch.Tensor) -> torch.Tensor:
        """Fold in the chunk predicted now (B, H, A); returns the action for this step (B, A)."""
        chunk = chunk.double()
        w = self.weights.to(chunk.device)
        if self.average is None:
            self.average = chunk.clone()
            self.count = torch.ones(chunk.shape[1], dtype=torch.long, device=chunk.device)
        else:
            n = self.average.shape[1]
            k = self.count  # this chunk is the k-th prediction for each of those steps
            cum = torch.cumsum(w, 0)
            old_sum = cum[k - 1]
            self.average = (self.average * old_sum[None, :, None] + w[k][None, :, None] * chunk[:, :n]) / (old_sum + w[k])[None, :, None]
            self.count = k + 1
            self.average = torch.cat([self.average, chunk[:, n:]], dim=1)
            self.count = torch.cat([self.count, torch.ones(chunk.shape[1] - n, dtype=torch.long, device=chunk.device)])
        action = self.average[:, 0]
        self.average, self.count = self.average[:, 1:], self.count[1:]
        return action.float()


class ACTPolicy(Policy):
    name: ClassVar[str] = "act"
    config_class: ClassVar[type] = ACTConfig

    def __init__(self, config: ACTConfig, stats: dict[str, dict[str, Any]] | None = None):
        super().__init__(config, stats)
        self.model = ACTModel(config, self.cameras, self.state_dim, self.action_dim)
        self.ensembler = TemporalEnsembler(config.ensemble_coeff, config.horizon) if config.temporal_ensemble else None

    def build_encoder(self, config: ACTConfig) -> nn.Module:
        return nn.Identity()  # ACT keeps image feature maps as tokens: its backbones live in ACTModel

    def _inputs(self, batch: dict[str, Any]) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor | None]:
        images = {}
        for cam in self.cameras:
            x = batch[camera_key(cam)][:, -1]
            x = x.float() / 255.0 if x.dtype == torch.uint8 else x
            images[cam] = self.normalizer.normalize(camera_key(cam), x)
        state = self.normalizer.normalize("observation.state", batch["observation.state"][:, -1].float())
        lang = self.language(batch) if self.config.use_language else None
        return images, state, lang

    def compute_loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        images, state, lang = self._inputs(batch)
        actions = self.normalizer.normalize("action", batch["action"].float())
        pad = batch.get("action_is_pad")
        b = actions.shape[0]
        if self.config.use_vae:
            mu, logvar = self.model.encode_latent(state, actions, pad)
            latent = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(-1)
        else:
            latent = torch.zeros(b, self.config.latent_dim, device=actions.device)
            kl = torch.zeros(b, device=actions.device)
        pred = self.model(images, state, latent, lang)
        err = F.l1_loss(pred, actions, reduction="none")
        valid = (~pad).to(err.dtype)[..., None] if pad is not None else torch.ones_like(err[..., :1])
        l1 = (err * valid).sum((1, 2)) / (valid.sum((1, 2)) * self.action_dim).clamp_min(1.0)
        loss = self.weighted_mean(l1 + self.config.kl_weight * kl, batch)
        return {"loss": loss, "l1": l1.mean().detach(), "kl": kl.mean().detach()}

    def action_error(self, batch: dict[str, Any], draw: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """L1 of the chunk decoded with the latent at its prior mean (z = 0, as at run time)."""
        images, state, lang = self._inputs(batch)
        actions = self.normalizer.normalize("action", batch["action"].float())
        latent = torch.zeros(actions.shape[0], self.config.latent_dim, device=actions.device)
        err = F.l1_loss(self.model(images, state, latent, lang), actions, reduction="none")
        pad = batch.get("action_is_pad")
        valid = (~pad).to(err.dtype)[..., None] if pad is not None else torch.ones_like(err[..., :1])
        return (err * valid).sum((1, 2)) / (valid.sum((1, 2)) * self.action_dim).clamp_min(1.0)

    @torch.no_grad()
    def predict_horizon(self, batch: dict[str, Any]) -> torch.Tensor:
        """The whole chunk (B, H, A) in robot units, with the latent at its prior mean (z = 0)."""
        images, state, lang = self._inputs(batch)
        latent = torch.zeros(state.shape[0], self.config.latent_dim, device=state.device)
        return self.normalizer.unnormalize("action", self.model(images, state, latent, lang))

    @torch.no_grad()
    def predict_chunk(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.predict_horizon(batch)[:, : self.config.n_action_steps]

    def reset(self) -> None:
        super().reset()
        if self.ensembler is not None:
            self.ensembler.reset()

    @torch.no_grad()
    def select_action(self, observation: dict[str, Any]) -> np.ndarray:
        if self.ensembler is None:
            return super().select_action(observation)
        batch, single = self._window(observation)
        action = self.to_robot(self.ensembler.update(self.predict_horizon(batch)).cpu().numpy().astype(np.float32))
        return action[0] if single else action
