"""The ACT network: a transformer CVAE encoder for the style latent, and a DETR-like decoder."""

from __future__ import annotations

import math

import torch
from torch import nn

from policies.act.config import ACTConfig
from policies.encoders.language import EMBED_DIM
from policies.encoders.observation import random_crop
from policies.encoders.resnet import ResNet


def sinusoid_1d(n: int, d: int) -> torch.Tensor:
    pos = torch.arange(n)[:, None].float()
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    out = torch.zeros(n, d)
    out[:, 0::2] = torch.sin(pos * div)
    out[:, 1::2] = torch.cos(pos * div)
    return out


def sinusoid_2d(h: int, w: int, d: int) -> torch.Tensor:
    """(h * w, d): half the channels encode the row, half the column."""
    rows = sinusoid_1d(h, d // 2)[:, None].expand(h, w, d // 2)
    cols = sinusoid_1d(w, d // 2)[None].expand(h, w, d // 2)
    return torch.cat([rows, cols], dim=-1).reshape(h * w, d)


class ACTModel(nn.Module):
    def __init__(self, cfg: ACTConfig, cameras: list[str], state_dim: int, action_dim: int):
        super().__init__()
        self.cfg, self.cameras = cfg, cameras
        d = cfg.d_model
        self.crop = tuple(cfg.vision.crop) if cfg.vision.crop else None
        self.backbones = nn.ModuleDict({c: ResNet(tuple(cfg.vision.widths), cfg.vision.blocks) for c in cameras})
        out_ch = cfg.vision.widths[-1]
        self.image_proj = nn.Conv2d(out_ch, d, 1)
        self.film = nn.Linear(EMBED_DIM * cfg.language_inputs, 2 * out_ch) if cfg.use_language else None
        if self.film is not None:
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)
        self.lang_proj = nn.Linear(EMBED_DIM * cfg.language_inputs, d) if cfg.use_language else None
        self.state_proj = nn.Linear(state_dim, d) if cfg.use_state else None
        self.latent_proj = nn.Linear(cfg.latent_dim, d)
        n_extra = 1 + int(cfg.use_state) + int(cfg.use_language)
        self.extra_pos = nn.Parameter(torch.zeros(n_extra, d))
        layer = lambda: nn.TransformerEncoderLayer(d, cfg.n_heads, cfg.dim_feedforward, cfg.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer(), cfg.n_encoder_layers, enable_nested_tensor=False)
        dec = nn.TransformerDecoderLayer(d, cfg.n_heads, cfg.dim_feedforward, cfg.dropout, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(dec, cfg.n_decoder_layers)
        self.query_pos = nn.Parameter(torch.zeros(cfg.horizon, d))
        self.action_head = nn.Linear(d, action_dim)
        if cfg.use_vae:
            self.vae_cls = nn.Parameter(torch.zeros(1, 1, d))
            self.vae_state = nn.Linear(state_dim, d)
            self.vae_action = nn.Linear(action_dim, d)
            self.vae_encoder = nn.TransformerEncoder(layer(), cfg.n_vae_encoder_layers, enable_nested_tensor=False)
            self.vae_out = nn.Linear(d, 2 * cfg.latent_dim)
            self.register_buffer("vae_pos", sinusoid_1d(cfg.horizon + 2, d), persistent=False)
        nn.init.normal_(self.query_pos, std=0.02)
        nn.init.normal_(self.extra_pos, std=0.02)

    def encode_latent(self, state: torch.Tensor, actions: torch.Tensor, pad: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of the style variable from the state and the demonstrated chunk."""
        b = actions.shape[0]
        tokens = torch.cat([self.vae_cls.expand(b, -1, -1), self.vae_state(state)[:, None], self.vae_action(actions)], dim=1)
        tokens = tokens + self.vae_pos[: tokens.shape[1]]
        mask = None
        if pad is not None:
            mask = torch.cat([torch.zeros(b, 2, dtype=torch.bool, device=pad.device), pad], dim=1)
        out = self.vae_encoder(tokens, src_key_padding_mask=mask)[:, 0]
        mu, logvar = self.vae_out(out).chunk(2, dim=-1)
        return mu, logvar

    def forward(self, images: dict[str, torch.Tensor], state: torch.Tensor, latent: torch.Tensor,
                lang: torch.Tensor | None) -> torch.Tensor:
        b = latent.shape[0]
        extra = [self.latent_proj(latent)]
        if self.state_proj is not None:
            extra.append(self.state_proj(state))
        if self.lang_proj is not None:
            extra.append(self.lang_proj(lang))
        tokens = [torch.stack(extra, dim=1) + self.extra_pos]
        for cam in self.cameras:
            x = random_crop(images[cam], self.crop, self.training) if self.crop else images[cam]
            fmap = self.backbones[cam](x)
            if self.film is not None:
                gamma, beta = self.film(lang).chunk(2, dim=-1)
                fmap = fmap * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]
            fmap = self.image_proj(fmap)
            _, d, h, w = fmap.shape
            pos = sinusoid_2d(h, w, d).to(fmap)
            tokens.append(fmap.flatten(2).transpose(1, 2) + pos)
        memory = self.encoder(torch.cat(tokens, dim=1))
        queries = self.query_pos.expand(b, -1, -1)
        return self.action_head(self.decoder(queries, memory))
