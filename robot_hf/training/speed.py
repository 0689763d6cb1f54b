"""The training step's speed switches: mixed precision, the optimizer's kernel, channels-last images, torch.compile.

Each is a key of the train config (train.precision, train.fused_optimizer, train.channels_last, train.compile) and
`auto` picks what was measured to help on the hardware at hand (benchmarks/train_speed.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import torch

from robot_hf.training.config import PRECISIONS


def cpu_has_bf16() -> bool:
    """Native bf16 matrix units on this CPU (AMX or AVX-512 BF16): without them bf16 autocast is slower than fp32."""
    cpu = getattr(torch, "cpu", None)
    try:
        return bool(cpu._is_amx_tile_supported() or cpu._is_avx512_bf16_supported())
    except AttributeError:  # an older torch without the probes
        return False


def resolve_precision(precision: str, device: str) -> str:
    """The precision a run trains in: `auto` is bf16 where the device computes it natively, fp32 elsewhere; fp16
    (with a gradient scaler) is for CUDA devices without bf16."""
    if precision not in PRECISIONS:
        raise ValueError(f"train.precision={precision!r}: choose one of {', '.join(PRECISIONS)}")
    cuda = device.startswith("cuda")
    if precision == "auto":
        if cuda:
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if device == "cpu" and cpu_has_bf16() else "fp32"
    if precision == "fp16" and not cuda:
        raise ValueError("train.precision=fp16 needs a CUDA device (CPUs have no fp16 matrix units): use bf16 or fp32")
    return precision


def autocast(precision: str, device: str) -> contextlib.AbstractContextManager:
    """The forward pass's autocast for a resolved precision (weights, gradients and the optimizer stay fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.split(":")[0], dtype=dtype)


def grad_scaler(precision: str, device: str) -> torch.amp.GradScaler:
    """A loss scaler for fp16 (its gradients underflow without one); a pass-through for the other precisions."""
    return torch.amp.GradScaler(device.split(":")[0], enabled=precision == "fp16")


def make_adamw(params: Iterable[torch.nn.Parameter], fused: bool, **kwargs) -> torch.optim.AdamW:
    """AdamW with its fused kernel (one pass over every parameter, on CPUs and GPUs) or the multi-tensor one."""
    params = list(params)
    if fused:
        try:
            return torch.optim.AdamW(params, fused=True, **kwargs)
        except (RuntimeError, ValueError):  # a device or dtype the fused kernel does not cover
            pass
    return torch.optim.AdamW(params, foreach=True, **kwargs)


def channels_last_hazard(model: torch.nn.Module, device: str) -> str | None:
    """Why `model` must not train channels-last on `device`, or None. oneDNN's CPU backward of a strided 1x1 convolution
    with fewer than 16 input channels corrupts memory on channels-last tensors (a segfault or "double free or
    corruption"; torch 2.4.1, 2.6.0 and 2.13.0, fp32 and bf16): a ResNet shortcut with small widths is one."""
    if device.split(":")[0] != "cpu":
        return None
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1) and max(m.stride) > 1 and m.in_channels < 16:
            return (f"channels-last off: {name} (a strided 1x1 conv with {m.in_channels} input channels) crashes oneDNN's "
                    "CPU backward in channels-last; 16 or more channels (policy.vision.widths) avoid it")
    return None


def to_channels_last(model: torch.nn.Module) -> torch.nn.Module:
    """Convolution weights in channels-last memory (image batches follow through the first conv): faster oneDNN and
    cuDNN kernels. A model without 4-d weights is left as it is."""
    if any(p.dim() == 4 for p in model.parameters()):
        model.to(memory_format=torch.channels_last)
    return model
