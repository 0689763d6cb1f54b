"""Observation encoder shared by all policies: cameras -> keypoint features, plus state and instruction."""

from __future__ import annotations

import torch
from torch import nn

from policies.config import PolicyConfig
from policies.encoders.language import EMBED_DIM
from policies.encoders.resnet import ResNet, SpatialSoftmax


def random_crop(x: torch.Tensor, size: tuple[int, int], train: bool) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, h, w): an independent random window per image in training, the centre at test."""
    n, c, H, W = x.shape
    h, w = size
    if (h, w) == (H, W):
        return x
    if not train:
        top, left = (H - h) // 2, (W - w) // 2
        return x[:, :, top: top + h, left: left + w]
    top = torch.randint(0, H - h + 1, (n,), device=x.device)
    left = torch.randint(0, W - w + 1, (n,), device=x.device)
    rows = (top[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    return x[torch.arange(n, device=x.device)[:, None, None, None], torch.arange(c, device=x.device)[None, :, None, None], rows, cols]


class CameraEncoder(nn.Module):
    def __init__(self, cfg: PolicyConfig, language: bool):
        super().__init__()
        v = cfg.vision
        self.backbone = ResNet(tuple(v.widths), v.blocks)
        self.film = nn.Linear(EMBED_DIM * cfg.language_inputs, 2 * self.backbone.out_channels) if language else None
        if self.film is not None:  # start as the identity: language adds to, never scrambles, vision
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)
        self.pool = SpatialSoftmax(self.backbone.out_channels, v.keypoints)
        self.out = nn.Sequential(nn.Linear(2 * v.keypoints, v.feature_dim), nn.ReLU())

    def feature_map(self, image: torch.Tensor, lang: torch.Tensor | None) -> torch.Tensor:
        fmap = self.backbone(image)
        if self.film is not None and lang is not None:
            gamma, beta = self.film(lang).chunk(2, dim=-1)
            fmap = fmap * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]
        return fmap

    def forward(self, image: torch.Tensor, lang: torch.Tensor | None) -> torch.Tensor:
        return self.out(self.pool(self.feature_map(image, lang)))


class ObservationEncoder(nn.Module):
    """(N images per camera, N states, N instruction embeddings) -> (N, out_dim)."""

    def __init__(self, cfg: PolicyConfig):
        super().__init__()
        self.cfg = cfg
        self.cameras = list(cfg.features["cameras"])
        self.crop = tuple(cfg.vision.crop) if cfg.vision.crop else None
        language = cfg.use_language
        if self.cameras:
            if cfg.vision.shared:
                shared = CameraEncoder(cfg, language)
                self.encoders = nn.ModuleDict({"shared": shared})
            else:
                self.encoders = nn.ModuleDict({c: CameraEncoder(cfg, language) for c in self.cameras})
        self.lang_proj = nn.Sequential(nn.Linear(EMBED_DIM * cfg.language_inputs, 64), nn.ReLU()) if language else None
        state_dim = cfg.features["state_dim"] if cfg.use_state else 0
        self.out_dim = len(self.cameras) * cfg.vision.feature_dim + state_dim + (64 if language else 0)
        if self.out_dim == 0:
            raise ValueError("the policy sees nothing: no cameras, use_state=false and no language")

    def encoder(self, camera: str) -> CameraEncoder:
        return self.encoders["shared" if "shared" in self.encoders else camera]

    def prepare_image(self, image: torch.Tensor) -> torch.Tensor:
        return random_crop(image, self.crop, self.training) if self.crop else image

    def forward(self, images: dict[str, torch.Tensor], state: torch.Tensor | None, lang: torch.Tensor | None) -> torch.Tensor:
        parts = [self.encoder(c)(self.prepare_image(images[c]), lang) for c in self.cameras]
        if self.cfg.use_state:
            parts.append(state)
        if self.lang_proj is not None:
            parts.append(self.lang_proj(lang))
        return torch.cat(parts, dim=-1)
