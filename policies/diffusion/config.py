"""Diffusion Policy settings; reference values (Chi et al. 2023) in the comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from policies.config import PolicyConfig


@dataclass
class DiffusionConfig(PolicyConfig):
    ACTING: ClassVar[tuple[str, ...]] = ("n_action_steps", "gripper_binary", "num_inference_steps")

    name: str = "diffusion"
    # "unet" (1-D conditional U-Net with FiLM) or "transformer" (causal, timestep as a token).
    denoiser: str = "unet"
    # U-Net: reference down_dims 512/1024/2048.
    down_dims: list[int] = field(default_factory=lambda: [128, 256, 512])
    kernel_size: int = 5
    n_groups: int = 8
    step_embed_dim: int = 128
    # Transformer: reference 8 layers, 4 heads, 256 wide, attention dropout 0.3.
    n_layer: int = 8
    n_head: int = 4
    n_emb: int = 256
    p_drop_emb: float = 0.0
    p_drop_attn: float = 0.3
    causal_attn: bool = True
    # Noise: DDPM with 100 train steps, squaredcos_cap_v2, epsilon prediction.
    num_train_timesteps: int = 100
    beta_schedule: str = "squaredcos_cap_v2"
    prediction_type: str = "epsilon"
    clip_sample: bool = True
    clip_sample_range: float = 1.0
    # Sampling at run time: "ddpm" (all train steps) or "ddim" (10-16 steps is enough).
    inference_scheduler: str = "ddim"
    num_inference_steps: int | None = 10
    # Do not train on actions past the episode's end.
    mask_padding_loss: bool = True

    def check(self) -> None:
        super().check()
        if self.denoiser not in ("unet", "transformer"):
            raise ValueError(f"policy.denoiser must be 'unet' or 'transformer', got {self.denoiser!r}")
        if self.prediction_type not in ("epsilon", "sample"):
            raise ValueError(f"policy.prediction_type must be 'epsilon' or 'sample', got {self.prediction_type!r}")
        if self.inference_scheduler not in ("ddpm", "ddim"):
            raise ValueError(f"policy.inference_scheduler must be 'ddpm' or 'ddim', got {self.inference_scheduler!r}")
        factor = 2 ** (len(self.down_dims) - 1)
        if self.denoiser == "unet" and self.horizon % factor:
            raise ValueError(f"policy.horizon ({self.horizon}) must be a multiple of {factor} for a U-Net with "
                             f"{len(self.down_dims)} levels (down_dims={self.down_dims})")
        if self.n_emb % self.n_head:
            raise ValueError(f"policy.n_emb ({self.n_emb}) must be divisible by policy.n_head ({self.n_head})")
