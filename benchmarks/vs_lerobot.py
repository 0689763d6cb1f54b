r"""robot-hf against LeRobot, side by side on one machine: training steps/s, loader samples/s and action-chunk latency
for the diffusion U-Net and ACT at LeRobot's default sizes (ResNet-18 encoders from scratch, U-Net 512-1024-2048,
ACT d_model 512), batch 16, on one robot-hf-recorded PushT dataset (10 scripted episodes, one 96x96 camera).

    ROBOT_HF_LEROBOT_PYTHON=/path/to/python-with-lerobot MUJOCO_GL=egl python benchmarks/vs_lerobot.py
    MUJOCO_GL=egl python benchmarks/vs_lerobot.py          # no LeRobot given: robot-hf's side alone

Runs interleave (LeRobot, robot-hf, LeRobot, robot-hf, ...) so the machine's noise falls on both; each ratio is
robot-hf over LeRobot within a repeat, then averaged. Each side uses its own stack and defaults: LeRobot its
DataLoader, preprocessor, optimizer preset and sampler (DDPM-100 for diffusion; `benchmarks/lerobot_side.py`, run by
that Python); robot-hf its train config's defaults (bf16 autocast where the CPU has it, fused AdamW, channels-last,
the window cache) and DDIM-10. The two sides may run different torch builds: each is printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import dataset_io
import train_speed

SIDE = Path(__file__).with_name("lerobot_side.py")
POLICIES = {"diffusion": "lerobot_unet", "act": "lerobot_act"}  # LeRobot's policy type: train_speed's row at its sizes


def lerobot_run(python: str, data: Path, policy: str, steps: int, skip: int) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([python, str(SIDE), "--root", str(data), "--policy", policy, "--batch", "16",
                           "--steps", str(steps), "--skip", str(skip)], check=False, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"LeRobot's {policy} run failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def chunk_and_loader(run: Path, data: Path, chunks: int = 3) -> dict:
    """robot-hf's chunk latency (the trained policy's first `select_action` after a reset, on a live PushT observation)
    and its loader's steady windows/s on the same dataset."""
    import torch

    from policies.base import Policy
    from robot_hf.training.checkpoint import pretrained_dir
    from sim.robot import SimRobot

    policy = Policy.from_pretrained(pretrained_dir(run / "checkpoints"))
    robot = SimRobot({"name": "pusht", "object_state": True, "image_height": train_speed.IMAGE,
                      "image_width": train_speed.IMAGE})
    robot.reset(seed=0)
    observation = robot.get_observation()
    robot.disconnect()
    seconds = []
    with torch.inference_mode():
        for _ in range(chunks):
            policy.reset()
            t0 = time.perf_counter()
            policy.select_action(observation)
            seconds.append(time.perf_counter() - t0)
    _, warm = dataset_io.windows_per_second(data, "auto", 2000, 0)
    return {"chunk_s": statistics.median(seconds), "loader_samples_per_s": warm,
            "parameters": sum(p.numel() for p in policy.parameters())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", nargs="+", choices=list(POLICIES), default=list(POLICIES))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/vs_lerobot"))
    args = parser.parse_args()

    import numpy as np
    import torch
    from rich.console import Console
    from rich.table import Table

    python = os.environ.get("ROBOT_HF_LEROBOT_PYTHON")
    data = args.out / "pusht_96"
    if not (data / "meta/info.json").exists():
        train_speed._record(data)
    results: dict[tuple[str, str], list[dict]] = {}
    for repeat in range(args.repeats):
        for policy in args.policies:
            row = POLICIES[policy]
            _, _, steps, log_every = train_speed.ROWS[row]
            if python:
                results.setdefault((policy, "lerobot"), []).append(lerobot_run(python, data, policy, steps, log_every))
            measure = functools.partial(chunk_and_loader, data=data)
            ours = train_speed.train_rate(row, "defaults (auto)", repeat, data, args.out, measure=measure)
            results.setdefault((policy, "robot-hf"), []).append(ours)
    table = Table(title=f"robot-hf (torch {torch.__version__}) against LeRobot on this CPU ({os.cpu_count()} cores), "
                        f"PushT 96x96, batch 16, {args.repeats} interleaved repeats")
    for column in ("policy", "side", "parameters", "train steps/s (each repeat)", "loader windows/s", "chunk s",
                   "steps/s ratio", "loader ratio", "chunk speed ratio"):
        table.add_column(column)
    for policy in args.policies:
        ours = results[(policy, "robot-hf")]
        theirs = results.get((policy, "lerobot"))
        for side, runs in (("lerobot", theirs), ("robot-hf", ours)):
            if runs is None:
                continue
            ratios = ["", "", ""]
            if side == "robot-hf" and theirs:
                ratios = [f"{np.mean([o[k] / t[k] for o, t in zip(ours, theirs, strict=True)]):.2f}x"
                          for k in ("steps_per_s", "loader_samples_per_s")]
                ratios.append(f"{np.mean([t['chunk_s'] / o['chunk_s'] for o, t in zip(ours, theirs, strict=True)]):.2f}x")
            label = f"lerobot {runs[0]['lerobot']} (torch {runs[0]['torch']}, {runs[0]['sampler']})" if side == "lerobot" else side
            table.add_row(policy, label, f"{runs[0]['parameters'] / 1e6:.1f} M",
                          ", ".join(f"{r['steps_per_s']:.3f}" for r in runs),
                          f"{np.mean([r['loader_samples_per_s'] for r in runs]):,.0f}",
                          f"{np.mean([r['chunk_s'] for r in runs]):.2f}", *ratios)
    Console(width=220).print(table)
    print(f"# {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
