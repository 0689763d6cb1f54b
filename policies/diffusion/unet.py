"""The 1-D conditional U-Net of Diffusion Policy: residual conv blocks with GroupNorm and FiLM."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        freqs = torch.exp(torch.arange(half, device=t.device) * -(math.log(10000) / (half - 1)))
        args = t.float()[:, None] * freqs[None]
        return torch.cat([args.sin(), args.cos()], dim=-1)


class Conv1d(nn.Conv1d):
    """nn.Conv1d (same weights and state dict) that runs a large layer as one matrix product over unfolded windows on
    CPUs: oneDNN's 1-D convolution is slow there, its backward most of all (LeRobot's U-Net, batch 16: forward and
    backward 2.1-2.4x faster as products; benchmarks/unet_conv.py, table in benchmarks/results/vs_lerobot.txt). At the
    CPU-size U-Nets it is a wash, so layers under a million weights keep the convolution, as does CUDA."""

    GEMM_MIN_WEIGHTS = 1_000_000

    def _as_product(self, x: torch.Tensor) -> bool:
        return (x.device.type == "cpu" and self.weight.numel() >= self.GEMM_MIN_WEIGHTS and self.groups == 1
                and self.dilation == (1,) and self.padding_mode == "zeros" and not isinstance(self.padding, str))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._as_product(x):
            return super().forward(x)
        (k,), (stride,), (pad,) = self.kernel_size, self.stride, self.padding
        windows = F.pad(x, (pad, pad)).unfold(2, k, stride)  # (B, C, L', k)
        b, c, length, _ = windows.shape
        weight = self.weight.reshape(self.out_channels, c * k)
        return F.linear(windows.transpose(1, 2).reshape(b, length, c * k), weight, self.bias).transpose(1, 2)


class Conv1dBlock(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, groups: int):
        super().__init__(Conv1d(c_in, c_out, kernel, padding=kernel // 2), nn.GroupNorm(groups, c_out), nn.Mish())


class ConditionalResidualBlock1D(nn.Module):
    """Two conv blocks; the condition sets a per-channel scale and bias (FiLM) in between."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int, kernel: int, groups: int):
        super().__init__()
        self.block1 = Conv1dBlock(c_in, c_out, kernel, groups)
        self.block2 = Conv1dBlock(c_out, c_out, kernel, groups)
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * c_out))
        self.skip = Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, bias = self.film(cond).unsqueeze(-1).chunk(2, dim=1)
        y = self.block1(x) * scale + bias
        return self.block2(y) + self.skip(x)


class ConditionalUnet1D(nn.Module):
    """(B, T, A) noisy actions, (B,) timesteps, (B, C) global condition -> (B, T, A)."""

    def __init__(self, action_dim: int, cond_dim: int, down_dims: list[int], kernel: int = 5, groups: int = 8,
                 step_embed_dim: int = 128):
        super().__init__()
        self.step_encoder = nn.Sequential(SinusoidalPosEmb(step_embed_dim), nn.Linear(step_embed_dim, 4 * step_embed_dim),
                                          nn.Mish(), nn.Linear(4 * step_embed_dim, step_embed_dim))
        cond = step_embed_dim + cond_dim
        dims = [action_dim, *down_dims]
        pairs = list(itertools.pairwise(dims))
        self.down = nn.ModuleList()
        for i, (a, b) in enumerate(pairs):
            last = i == len(pairs) - 1
            self.down.append(nn.ModuleList([
                ConditionalResidualBlock1D(a, b, cond, kernel, groups),
                ConditionalResidualBlock1D(b, b, cond, kernel, groups),
                Conv1d(b, b, 3, 2, 1) if not last else nn.Identity(),
            ]))
        mid = down_dims[-1]
        self.mid = nn.ModuleList([ConditionalResidualBlock1D(mid, mid, cond, kernel, groups) for _ in range(2)])
        self.up = nn.ModuleList()
        # Each level up undoes one level down; the full-resolution skip is not reused (as in the reference).
        for a, b in reversed(pairs[1:]):
            self.up.append(nn.ModuleList([
                ConditionalResidualBlock1D(2 * b, a, cond, kernel, groups),
                ConditionalResidualBlock1D(a, a, cond, kernel, groups),
                nn.ConvTranspose1d(a, a, 4, 2, 1),
            ]))
        self.final = nn.Sequential(Conv1dBlock(down_dims[0], down_dims[0], kernel, groups), Conv1d(down_dims[0], action_dim, 1))

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, global_cond: torch.Tensor) -> torch.Tensor:
        cond = torch.cat([self.step_encoder(timesteps), global_cond], dim=-1)
        x = x.transpose(1, 2)
        skips = []
        for res1, res2, down in self.down:
            x = res2(res1(x, cond), cond)
            skips.append(x)
            x = down(x)
        for block in self.mid:
            x = block(x, cond)
        for res1, res2, up in self.up:
            x = torch.cat([x, skips.pop()], dim=1)
            x = res2(res1(x, cond), cond)
            x = up(x)
        return self.final(x).transpose(1, 2)
