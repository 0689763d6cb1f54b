"""Diffusion Policy: denoise a horizon of actions conditioned on the last n_obs_steps observations.

Training noises normalised action chunks with a DDPM schedule (diffusers) and regresses the noise
(or the clean sample). Acting samples with DDPM or DDIM, then executes n_action_steps actions from
the chunk, starting at the current step. For preference fine-tuning (DDPO/D3PO-style), a stochastic
denoising chain can be sampled and its per-step Gaussian log-likelihood computed with gradients.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler

from policies.base import Policy
from policies.diffusion.config import DiffusionConfig
from policies.diffusion.transformer import TransformerForDiffusion
from policies.diffusion.unet import ConditionalUnet1D


class DiffusionPolicy(Policy):
    name: ClassVar[str] = "diffusion"
    config_class: ClassVar[type] = DiffusionConfig

    def __init__(self, config: DiffusionConfig, stats: dict[str, dict[str, Any]] | None = None):
        super().__init__(config, stats)
        c = config
        obs_dim = self.encoder.out_dim
        if c.denoiser == "unet":
            self.denoiser = ConditionalUnet1D(self.action_dim, obs_dim * c.n_obs_steps, list(c.down_dims), c.kernel_size,
                                              c.n_groups, c.step_embed_dim)
        else:
            self.denoiser = TransformerForDiffusion(self.action_dim, obs_dim, c.horizon, c.n_obs_steps, c.n_layer, c.n_head,
                                                    c.n_emb, c.p_drop_emb, c.p_drop_attn, c.causal_attn)
        schedule = {"num_train_timesteps": c.num_train_timesteps, "beta_schedule": c.beta_schedule, "clip_sample": c.clip_sample,
                    "clip_sample_range": c.clip_sample_range, "prediction_type": c.prediction_type}
        self.noise_scheduler = DDPMScheduler(**schedule)
        self.sampler = DDIMScheduler(**schedule) if c.inference_scheduler == "ddim" else DDPMScheduler(**schedule)
        self.num_inference_steps = c.num_inference_steps or c.num_train_timesteps

    # ---- the denoiser --------------------------------------------------------------------------------
    def condition(self, batch: dict[str, Any]) -> torch.Tensor:
        feats = self.observation_features(batch)[:, : self.config.n_obs_steps]
        return feats.flatten(1) if self.config.denoiser == "unet" else feats

    def denoise(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.denoiser(x, t, cond)

    # ---- training ---------------------------------------------------------------------------------------
    def likelihood_draw(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        actions = batch["action"]
        b = actions.shape[0]
        return {"noise": torch.randn(actions.shape, device=actions.device),
                "t": torch.randint(0, self.config.num_train_timesteps, (b,), device=actions.device)}

    def action_error(self, batch: dict[str, Any], draw: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The denoising error at one noise level: the per-sample term of the diffusion ELBO (Diffusion-DPO's)."""
        cond = self.condition(batch)  # before the draw: a random crop draws first, as in training
        draw = draw or self.likelihood_draw(batch)
        actions = self.normalizer.normalize("action", batch["action"].float())
        noise, t = draw["noise"].to(actions), draw["t"]
        pred = self.denoise(self.noise_scheduler.add_noise(actions, noise, t), t, cond)
        target = noise if self.config.prediction_type == "epsilon" else actions
        err = F.mse_loss(pred, target, reduction="none")
        if self.config.mask_padding_loss and "action_is_pad" in batch:
            valid = (~batch["action_is_pad"]).to(err.dtype)[..., None]
            return (err * valid).sum((1, 2)) / (valid.sum((1, 2)) * self.action_dim).clamp_min(1.0)
        return err.mean((1, 2))

    def compute_loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {"loss": self.weighted_mean(self.action_error(batch), batch)}

    # ---- acting -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, cond: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A normalised action horizon (B, H, A) from the configured sampler."""
        b = cond.shape[0]
        x = torch.randn((b, self.config.horizon, self.action_dim), device=cond.device, generator=generator)
        self.sampler.set_timesteps(self.num_inference_steps, device=cond.device)
        for t in self.sampler.timesteps:
            out = self.denoise(x, t.expand(b).to(cond.device), cond)
            x = self.sampler.step(out, t, x, generator=generator).prev_sample
        return x

    @torch.no_grad()
    def predict_chunk(self, batch: dict[str, Any]) -> torch.Tensor:
        horizon = self.normalizer.unnormalize("action", self.sample(self.condition(batch)))
        start = self.config.n_obs_steps - 1  # the chunk's first action is aligned with the oldest observation
        return horizon[:, start: start + self.config.n_action_steps]

    # ---- the denoising chain as an MDP (preference fine-tuning) -----------------------------------------------
    def chain_timesteps(self, steps: int) -> torch.Tensor:
        """`steps` evenly spaced diffusion timesteps, from noisy to clean."""
        ratio = self.config.num_train_timesteps // steps
        return (torch.arange(steps - 1, -1, -1) * ratio).long()

    def _posterior(self, x: torch.Tensor, model_out: torch.Tensor, t: int, t_prev: int) -> tuple[torch.Tensor, float]:
        """Mean and std of p(x_{t_prev} | x_t) implied by the model (DDPM posterior, fixed small variance)."""
        ac = self.noise_scheduler.alphas_cumprod.to(x.device)
        a_t = ac[t]
        a_prev = ac[t_prev] if t_prev >= 0 else torch.tensor(1.0, device=x.device)
        if self.config.prediction_type == "epsilon":
            x0 = (x - (1 - a_t).sqrt() * model_out) / a_t.sqrt()
        else:
            x0 = model_out
        if self.config.clip_sample:
            x0 = x0.clamp(-self.config.clip_sample_range, self.config.clip_sample_range)
        beta = 1 - a_t / a_prev
        mean = (a_prev.sqrt() * beta / (1 - a_t)) * x0 + ((1 - beta).sqrt() * (1 - a_prev) / (1 - a_t)) * x
        var = (1 - a_prev) / (1 - a_t) * beta
        return mean, float(var.clamp_min(0).sqrt())

    @torch.no_grad()
    def sample_chain(self, batch: dict[str, Any], steps: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
        """A stochastic denoising chain (steps + 1, B, H, A), normalised, from pure noise to the sample."""
        cond = self.condition(batch)
        b = cond.shape[0]
        x = torch.randn((b, self.config.horizon, self.action_dim), device=cond.device, generator=generator)
        chain = [x]
        ts = self.chain_timesteps(steps).tolist()
        for i, t in enumerate(ts):
            t_prev = ts[i + 1] if i + 1 < len(ts) else -1
            mean, std = self._posterior(x, self.denoise(x, torch.full((b,), t, device=x.device), cond), t, t_prev)
            noise = torch.randn(mean.shape, device=mean.device, generator=generator)
            x = mean + std * noise
            chain.append(x)
        return torch.stack(chain)

    def chain_log_prob(self, batch: dict[str, Any], chain: torch.Tensor) -> torch.Tensor:
        """(B, steps) log-likelihood of each denoising step of `chain` under the policy; differentiable.

        The final step, where the posterior variance is zero, is scored with the variance of the step
        before it, so every step carries a finite likelihood.
        """
        cond = self.condition(batch)
        steps = chain.shape[0] - 1
        ts = self.chain_timesteps(steps).tolist()
        b = chain.shape[1]
        out, last_std = [], None
        for i, t in enumerate(ts):
            t_prev = ts[i + 1] if i + 1 < len(ts) else -1
            x, x_next = chain[i], chain[i + 1]
            mean, std = self._posterior(x, self.denoise(x, torch.full((b,), t, device=x.device), cond), t, t_prev)
            std = std if std > 1e-4 else (last_std or 1e-2)
            last_std = std
            log_p = -((x_next - mean) ** 2) / (2 * std**2) - math.log(std) - 0.5 * math.log(2 * math.pi)
            out.append(log_p.sum((1, 2)))
        return torch.stack(out, dim=1)
