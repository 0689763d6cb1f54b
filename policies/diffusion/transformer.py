"""The transformer denoiser of Diffusion Policy: the diffusion step and each observation are
condition tokens; action tokens attend causally to earlier actions and to the condition."""

from __future__ import annotations

import torch
from torch import nn

from policies.diffusion.unet import SinusoidalPosEmb


class TransformerForDiffusion(nn.Module):
    def __init__(self, action_dim: int, obs_dim: int, horizon: int, n_obs_steps: int, n_layer: int = 8,
                 n_head: int = 4, n_emb: int = 256, p_drop_emb: float = 0.0, p_drop_attn: float = 0.3,
                 causal_attn: bool = True):
        super().__init__()
        self.input_emb = nn.Linear(action_dim, n_emb)
        self.pos_emb = nn.Parameter(torch.zeros(1, horizon, n_emb))
        self.time_emb = SinusoidalPosEmb(n_emb)
        self.cond_obs_emb = nn.Linear(obs_dim, n_emb)
        self.cond_pos_emb = nn.Parameter(torch.zeros(1, 1 + n_obs_steps, n_emb))
        self.drop = nn.Dropout(p_drop_emb)
        self.cond_encoder = nn.Sequential(nn.Linear(n_emb, 4 * n_emb), nn.Mish(), nn.Linear(4 * n_emb, n_emb))
        layer = nn.TransformerDecoderLayer(n_emb, n_head, 4 * n_emb, p_drop_attn, activation="gelu", batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, n_layer)
        self.ln_f = nn.LayerNorm(n_emb)
        self.head = nn.Linear(n_emb, action_dim)
        self.horizon, self.n_cond = horizon, 1 + n_obs_steps
        if causal_attn:
            t = torch.arange(horizon)
            # Action token t sees actions <= t, and condition tokens up to its own time (time token always).
            self.register_buffer("tgt_mask", torch.where(t[:, None] >= t[None, :], 0.0, float("-inf")), persistent=False)
            s = torch.arange(self.n_cond)
            self.register_buffer("memory_mask", torch.where(t[:, None] >= s[None, :] - 1, 0.0, float("-inf")), persistent=False)
        else:
            self.tgt_mask = self.memory_mask = None
        nn.init.normal_(self.pos_emb, std=0.02)
        nn.init.normal_(self.cond_pos_emb, std=0.02)

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, obs_tokens: torch.Tensor) -> torch.Tensor:
        """x (B, T, A), timesteps (B,), obs_tokens (B, n_obs_steps, obs_dim) -> (B, T, A)."""
        time_token = self.time_emb(timesteps)[:, None]
        cond = torch.cat([time_token, self.cond_obs_emb(obs_tokens)], dim=1) + self.cond_pos_emb
        memory = self.cond_encoder(self.drop(cond))
        tokens = self.drop(self.input_emb(x) + self.pos_emb[:, : x.shape[1]])
        out = self.decoder(tokens, memory, tgt_mask=self.tgt_mask, memory_mask=self.memory_mask)
        return self.head(self.ln_f(out))
