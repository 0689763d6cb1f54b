"""ACT settings; reference values (Zhao et al. 2023) in the comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from policies.config import PolicyConfig


@dataclass
class ACTConfig(PolicyConfig):
    ACTING: ClassVar[tuple[str, ...]] = ("n_action_steps", "gripper_binary", "temporal_ensemble", "ensemble_coeff")

    name: str = "act"
    n_obs_steps: int = 1
    # The chunk: reference 100 actions at 50 Hz; 20 at these tasks' 10 Hz covers the same 2 s.
    horizon: int = 20
    n_action_steps: int = 20
    # Average overlapping chunks with weights exp(-coeff * i), oldest first (needs n_action_steps = 1).
    temporal_ensemble: bool = False
    ensemble_coeff: float = 0.01
    d_model: int = 256  # reference 512
    n_heads: int = 8
    dim_feedforward: int = 1024  # reference 3200
    n_encoder_layers: int = 4
    n_decoder_layers: int = 1
    n_vae_encoder_layers: int = 4
    latent_dim: int = 32
    use_vae: bool = True
    kl_weight: float = 10.0
    dropout: float = 0.1
    state_norm: str = "mean_std"
    action_norm: str = "mean_std"

    def check(self) -> None:
        super().check()
        if self.n_obs_steps != 1:
            raise ValueError(f"ACT sees one observation: policy.n_obs_steps must be 1, got {self.n_obs_steps}")
        if self.auxiliary_targets:
            raise ValueError("policy.auxiliary_targets: ACT feeds its images' feature maps to its transformer, so it has no "
                             "observation features to predict them from; use diffusion, mlp or hierarchical, or drop them")
        if self.temporal_ensemble and self.n_action_steps != 1:
            raise ValueError("policy.temporal_ensemble needs a new chunk every step: set policy.n_action_steps=1")
        if self.d_model % self.n_heads:
            raise ValueError(f"policy.d_model ({self.d_model}) must be divisible by policy.n_heads ({self.n_heads})")
