r"""The diffusion U-Net's 1-D convolutions on a CPU: oneDNN's convolution against one matrix product over unfolded
windows (policies/diffusion/unet.py: Conv1d), forward and backward of the whole U-Net, interleaved.

    python benchmarks/unet_conv.py            # LeRobot's size (512-1024-2048) and the CPU sizes, bf16 and fp32

The product path is taken for layers of `Conv1d.GEMM_MIN_WEIGHTS` weights or more; this script times each U-Net with
every layer on the product path and with none, so the threshold can be read off the table.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from policies.diffusion.unet import ConditionalUnet1D, Conv1d

SIZES = {"lerobot (512-1024-2048)": [512, 1024, 2048], "cpu default (128-256-512)": [128, 256, 512],
         "imitation cpu (64-128-256)": [64, 128, 256]}


def step_seconds(unet, batch: int, horizon: int, cond_dim: int, bf16: bool, repeats: int) -> float:
    x, cond = torch.randn(batch, horizon, 2), torch.randn(batch, cond_dim)
    t = torch.randint(0, 100, (batch,))
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = unet(x, t, cond)
        out.float().square().mean().backward()
        unet.zero_grad(set_to_none=True)
        if i:  # the first pass warms oneDNN's kernel caches
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    table = Table("U-Net", "precision", "convolution s", "matrix product s", "speed-up",
                  title=f"diffusion U-Net forward + backward, batch {args.batch}, horizon 16, {torch.get_num_threads()} threads")
    default = Conv1d.GEMM_MIN_WEIGHTS
    try:
        for name, dims in SIZES.items():
            torch.manual_seed(0)
            unet = ConditionalUnet1D(2, 2 * 514, dims)
            for bf16 in (True, False):
                pair = {}
                for path, threshold in (("conv", float("inf")), ("gemm", 0), ("conv", float("inf")), ("gemm", 0)):
                    Conv1d.GEMM_MIN_WEIGHTS = threshold
                    pair.setdefault(path, []).append(step_seconds(unet, args.batch, 16, 2 * 514, bf16, args.repeats))
                conv, gemm = min(pair["conv"]), min(pair["gemm"])
                table.add_row(name, "bf16" if bf16 else "fp32", f"{conv:.3f}", f"{gemm:.3f}", f"{conv / gemm:.2f}x")
    finally:
        Conv1d.GEMM_MIN_WEIGHTS = default
    Console().print(table)


if __name__ == "__main__":
    main()
