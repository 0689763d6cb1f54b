"""The train/ config group: optimisation, EMA, checkpoints, evaluation cadence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# train.precision's values (robot_hf/training/speed.py).
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class EMAConfig:
    enable: bool = True
    # decay = 1 - (1 + step / inv_gamma) ** -power, capped at max_decay (diffusion_policy's EMA).
    power: float = 0.75
    inv_gamma: float = 1.0
    max_decay: float = 0.9999
    min_decay: float = 0.0


@dataclass
class TrainConfig:
    steps: int = 20_000
    batch_size: int = 64
    lr: float = 1e-4
    weight_decay: float = 1e-6
    betas: list[float] = field(default_factory=lambda: [0.95, 0.999])
    warmup_steps: int = 500
    # "cosine" (decays to 0 at the last step after warm-up) or "constant" (after warm-up).
    lr_schedule: str = "cosine"
    grad_clip: float = 10.0
    ema: EMAConfig = field(default_factory=EMAConfig)
    # Speed switches (robot_hf/training/speed.py; measured in benchmarks/train_speed.py). precision: auto (bf16
    # autocast where the device has bf16 units: CUDA, CPUs with AMX or AVX-512 BF16; fp32 elsewhere), fp32, bf16,
    # or fp16 (CUDA, with a loss scaler). fused_optimizer: AdamW's fused kernel. channels_last: convolution weights
    # and images in channels-last memory. compile: torch.compile the policy (its first steps compile).
    precision: str = "auto"
    fused_optimizer: bool = True
    channels_last: bool = True
    compile: bool = False
    num_workers: int = 0
    # Decoded frames: "auto" (in memory when they fit half the available memory, else memory-mapped from the dataset's
    # on-disk frame cache, .cache/frames/), "memory", "disk", or "none" (decode per sample).
    cache: str = "auto"
    log_every: int = 100
    # When the output is not a terminal (a log file, CI): a progress line this often.
    progress_every_s: float = 30.0
    save_every: int = 2000
    # 0: no evaluation rollouts during training (the final one still runs when eval_final).
    eval_every: int = 2000
    eval_final: bool = True
    # Step folders kept (the best policy is kept apart in checkpoints/best); only the last keeps the optimizer state.
    keep_last: int = 1
    # Continue the run in run.dir from its last checkpoint.
    resume: bool = False
    # Steps by which the recorded actions trail the frames they answer (a person's reaction time, a teleop pipeline's
    # latency): each frame trains on the actions recorded this many steps later, the ones decided from it. An int for
    # every episode, or a list with one per episode (robot_hf/dataset/action_lag.py).
    action_lag: Any = 0
    # Train on these episodes only (null: all of them).
    episodes: list[int] | None = None
    # With no sim task to evaluate in: this fraction of the episodes (at least one, when there are two or more) is held
    # out, and checkpoints are kept by the loss on them.
    val_fraction: float = 0.1
