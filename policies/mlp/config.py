from __future__ import annotations

from dataclasses import dataclass, field

from policies.config import PolicyConfig


@dataclass
class MLPConfig(PolicyConfig):
    name: str = "mlp"
    hidden: list[int] = field(default_factory=lambda: [512, 512])
    dropout: float = 0.1
