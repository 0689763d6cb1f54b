"""An ensemble of reward networks on camera images: (pixels, state) -> (members, frames) rewards in [-1, 1].

Each member is a small strided CNN over the cameras stacked as channels, then an MLP; members differ in
their initialisation (and, in training, in the order they see pairs), so where they disagree the data
did not pin the reward down. Saved like a policy: config.json beside model.safetensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from policies.reward.config import RewardConfig
from policies.saved import load_weights, read_payload, save

MODEL_TYPE = "reward"


def random_shift(x: torch.Tensor, pad: int) -> torch.Tensor:
    """DrQ's augmentation: pad by replicating the border, then an independent random crop back to size per image."""
    if pad <= 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    top = torch.randint(0, 2 * pad + 1, (n,), device=x.device)
    left = torch.randint(0, 2 * pad + 1, (n,), device=x.device)
    rows = (top[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    return padded[torch.arange(n, device=x.device)[:, None, None, None], torch.arange(x.shape[1], device=x.device)[None, :, None, None], rows, cols]


def to_pixels(frames: np.ndarray, size: int, batch: int = 2048) -> torch.Tensor:
    """(N, H, W, 3) uint8 camera frames -> (N, 3, size, size) uint8, area-averaged."""
    out = torch.empty((len(frames), 3, size, size), dtype=torch.uint8)
    for i in range(0, len(frames), batch):
        x = torch.as_tensor(frames[i:i + batch]).permute(0, 3, 1, 2).float()
        if x.shape[-2:] != (size, size):
            x = F.interpolate(x, size=(size, size), mode="area")
        out[i:i + batch] = x.round().clamp(0, 255).to(torch.uint8)
    return out


class RewardMember(nn.Module):
    def __init__(self, in_channels: int, image_size: int, widths: list[int], state_dim: int, hidden: int):
        super().__init__()
        layers, c = [], in_channels
        for i, width in enumerate(widths):
            layers += [nn.Conv2d(c, width, 5 if i == 0 else 3, stride=2, padding=2 if i == 0 else 1), nn.ReLU()]
            c = width
        self.conv = nn.Sequential(*layers, nn.Flatten())
        side = image_size // 2 ** len(widths)
        self.head = nn.Sequential(nn.Linear(c * side * side + state_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, pixels: torch.Tensor, state: torch.Tensor | None) -> torch.Tensor:
        x = self.conv(pixels)
        if state is not None:
            x = torch.cat([x, state], dim=-1)
        return torch.tanh(self.head(x)).squeeze(-1)


class RewardModel(nn.Module):
    def __init__(self, config: RewardConfig):
        super().__init__()
        config.check()
        f = config.features
        if not f:
            raise ValueError("reward config has no features; train reward models with `robot-hf reward train`")
        self.config = config
        self.cameras: list[str] = list(f["cameras"])
        self.state_dim = int(f["state_dim"]) if config.use_state else 0
        if not self.cameras:
            raise ValueError("the reward model sees no camera; it learns from images (reward.cameras lists them)")
        self.register_buffer("state_mean", torch.as_tensor(np.asarray(f.get("state_mean", [0.0] * self.state_dim), dtype=np.float32)))
        self.register_buffer("state_std", torch.as_tensor(np.asarray(f.get("state_std", [1.0] * self.state_dim), dtype=np.float32)))
        self.members = nn.ModuleList(
            RewardMember(3 * len(self.cameras), config.image_size, list(config.widths), self.state_dim, config.hidden)
            for _ in range(config.members)
        )

    @property
    def device(self) -> torch.device:
        return self.state_mean.device

    # ---- inputs ---------------------------------------------------------------------------------------
    def prepare(self, images: dict[str, Any]) -> torch.Tensor:
        """Camera frames {camera: (N, H, W, 3) uint8} -> (N, 3 x cameras, S, S) uint8 pixels, as the model reads them."""
        missing = [cam for cam in self.cameras if cam not in images]
        if missing:
            raise KeyError(f"the reward model reads cameras {missing}; the frames have {sorted(images)}")
        return torch.cat([to_pixels(np.asarray(images[cam]), self.config.image_size) for cam in self.cameras], dim=1)

    def forward(self, pixels: torch.Tensor, state: torch.Tensor | None = None, shift: int = 0,
                members: list[int] | None = None) -> torch.Tensor:
        """(members, N) rewards of N frames; `shift` pixels of random-shift augmentation (training)."""
        x = pixels.to(self.device).float() / 255.0 - 0.5
        x = random_shift(x, shift)
        s = None
        if self.state_dim:
            if state is None:
                raise ValueError("this reward model reads the robot's state (use_state=true); pass it")
            s = (state.to(self.device).float() - self.state_mean) / self.state_std
        chosen = range(len(self.members)) if members is None else members
        return torch.stack([self.members[m](x, s) for m in chosen])

    @torch.no_grad()
    def rewards(self, pixels: torch.Tensor, state: torch.Tensor | None = None, batch: int = 1024) -> np.ndarray:
        """(members, N) rewards, in batches, without gradients."""
        was = self.training
        self.eval()
        out = [self.forward(pixels[i:i + batch], None if state is None else state[i:i + batch]).cpu()
               for i in range(0, len(pixels), batch)]
        self.train(was)
        return torch.cat(out, dim=1).numpy() if out else np.zeros((len(self.members), 0), dtype=np.float32)

    # ---- saving ---------------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        return save(self, directory, MODEL_TYPE, self.config.to_dict())

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | torch.device = "cpu") -> RewardModel:
        payload = read_payload(directory, "reward model")
        if payload.get("type") != MODEL_TYPE:
            raise ValueError(f"{directory} holds a {payload.get('type')!r} model, not a reward model")
        return load_weights(cls(RewardConfig.from_dict(payload["config"])), directory, device)
