"""Settings of the preference-learned reward model (an ensemble of small image networks)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class RewardConfig:
    # A saved reward model to start from or to use (reward eval, labeling by disagreement).
    path: str | None = None
    # Cameras the model sees; null: every camera of the dataset. Each is resized to image_size and stacked.
    cameras: list[str] | None = None
    image_size: int = 48
    # Also read the robot's state (off by default: a visual reward transfers to arms without the sim's state).
    use_state: bool = False
    # Ensemble members (PEBBLE / B-Pref use 3): their disagreement picks queries and flags unfamiliar frames.
    members: int = 3
    # Convolution widths, each a stride-2 layer, then a hidden layer and a tanh-bounded reward.
    widths: list[int] = field(default_factory=lambda: [16, 32, 64])
    hidden: int = 128
    # Filled from the dataset when training starts: cameras, state size, state statistics.
    features: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        if self.members < 1:
            raise ValueError(f"reward.members must be >= 1, got {self.members}")
        if self.image_size < 16 or self.image_size % 16:
            raise ValueError(f"reward.image_size must be a multiple of 16 (>= 16), got {self.image_size}")
        if not self.widths:
            raise ValueError("reward.widths needs at least one convolution width")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RewardConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"RewardConfig: unknown key(s) {unknown}; valid keys: {sorted(known)}")
        return cls(**data)
