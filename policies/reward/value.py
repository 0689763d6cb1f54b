"""A value head for best-of-N: (state, action chunk) -> the learned reward the chunk leads to (V-GPS's critic, trained
by regression on the learned reward's discounted reward-to-go in recorded episodes). Small, state-based and fast, so
scoring N candidate chunks adds little to a control tick; saved like a policy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from policies.saved import load_weights, read_payload, save

MODEL_TYPE = "chunk_value"


@dataclass
class ValueConfig:
    state_dim: int = 0
    action_dim: int = 0
    # Actions per chunk scored (the policy's n_action_steps: what runs before the next choice).
    steps: int = 8
    hidden: list[int] = field(default_factory=lambda: [256, 256])
    # Discount per frame of the reward-to-go it regresses on.
    gamma: float = 0.95
    # Normalisation, filled from the data it trains on.
    state_mean: list[float] = field(default_factory=list)
    state_std: list[float] = field(default_factory=list)
    action_mean: list[float] = field(default_factory=list)
    action_std: list[float] = field(default_factory=list)


class ChunkValue(nn.Module):
    def __init__(self, config: ValueConfig):
        super().__init__()
        self.config = config
        layers, width = [], config.state_dim + config.steps * config.action_dim
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))
        for name in ("state_mean", "state_std", "action_mean", "action_std"):
            values = getattr(config, name) or ([0.0 if "mean" in name else 1.0] * (config.state_dim if "state" in name else config.action_dim))
            self.register_buffer(name, torch.tensor(values, dtype=torch.float32), persistent=False)

    def forward(self, state: torch.Tensor, chunk: torch.Tensor) -> torch.Tensor:
        """(B,) values of (B, state_dim) states and (B, >= steps, action_dim) chunks (their first `steps` actions)."""
        s = (state.float() - self.state_mean) / self.state_std
        a = (chunk[:, : self.config.steps].float() - self.action_mean) / self.action_std
        return self.net(torch.cat([s, a.flatten(1)], dim=1)).squeeze(1)

    def save_pretrained(self, directory: str | Path) -> Path:
        return save(self, directory, MODEL_TYPE, asdict(self.config))

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | torch.device = "cpu") -> ChunkValue:
        payload = read_payload(directory, "value head")
        if payload.get("type") != MODEL_TYPE:
            raise ValueError(f"{directory} holds a {payload.get('type')!r}, not a value head")
        return load_weights(cls(ValueConfig(**payload["config"])), directory, device)
