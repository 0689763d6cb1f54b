"""Simulation throughput per task, and scripted-expert success over seeded episodes.

    MUJOCO_GL=egl python benchmarks/sim_throughput.py              # 200 seeds per task
    MUJOCO_GL=egl python benchmarks/sim_throughput.py --seeds 20   # quicker

Throughput: steps/s of one environment with no camera (physics only, the baseline each row is
compared to), one 96x96 camera, two cameras, and a gymnasium AsyncVectorEnv of 2 processes with one
camera. Expert success: the clean scripted expert (no operator noise) from seeds 0..N-1 within the
task's time limit; Push-T counts coverage >= 0.95 and also reports the mean of max coverage.
"""

from __future__ import annotations

import argparse
import os
import time
from multiprocessing import get_context

import numpy as np
from rich.console import Console
from rich.table import Table

os.environ.setdefault("MUJOCO_GL", "egl")

TASKS = ["pusht", "lift", "pick_place", "insertion"]


def steps_per_second(task: str, cameras: list[str], steps: int) -> float:
    from sim.robot import make_env

    env = make_env({"name": task}, cameras=cameras, image_height=96, image_width=96)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    low, high = env.action_space.low, env.action_space.high
    t0 = time.perf_counter()
    for i in range(steps):
        _, _, term, trunc, _ = env.step(low + rng.random(low.shape) * (high - low))
        if term or trunc:
            env.reset(seed=i)
    rate = steps / (time.perf_counter() - t0)
    env.close()
    return rate


def vector_steps_per_second(task: str, cameras: list[str], steps: int) -> float:
    from robot_hf.evaluation.vector import make_vector_env

    envs = make_vector_env({"name": task, "cameras": cameras, "image_height": 96, "image_width": 96}, num_envs=2)
    rng = np.random.default_rng(0)
    envs.reset(seed=[0, 1])
    low, high = envs.single_action_space.low, envs.single_action_space.high
    t0 = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = envs.step(low + rng.random((2, *low.shape)) * (high - low))
        done = term | trunc
        if done.any():
            envs.reset(seed=list(range(2)), options={"reset_mask": done})
    rate = 2 * steps / (time.perf_counter() - t0)
    envs.close()
    return rate


def expert_episode(args: tuple[str, int]) -> tuple[bool, int, float, float]:
    from sim.robot import make_env
    from sim.teleop import load_expert_class

    task, seed = args
    env = make_env({"name": task}, cameras=[])
    obs, info = env.reset(seed=seed)
    expert = load_expert_class(task)(env, seed=seed)
    t0 = time.perf_counter()
    steps = 0
    for steps in range(1, env.config.max_steps + 1):
        obs, _, term, trunc, info = env.step(expert.act(obs, info))
        if term or trunc:
            break
    max_cov = float(info.get("max_coverage", float(info["success"])))
    env.close()
    return bool(info["success"]), steps, max_cov, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--steps", type=int, default=300, help="steps per throughput measurement")
    parser.add_argument("--tasks", nargs="*", default=TASKS)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    console = Console()

    table = Table(title="steps/s per task (one env unless noted; ratio to physics only)")
    for col in ("task", "physics only", "1 camera 96x96", "2 cameras 96x96", "AsyncVectorEnv x2, 1 camera"):
        table.add_column(col)
    for task in args.tasks:
        from sim.robot import make_env

        env = make_env({"name": task})
        cams = list(env.config.cameras)
        env.close()
        base = steps_per_second(task, [], args.steps * 4)
        one = steps_per_second(task, cams[:1], args.steps)
        two = steps_per_second(task, (cams + ["front"])[:2], args.steps) if len(cams) > 1 or task == "pusht" else float("nan")
        vec = vector_steps_per_second(task, cams[:1], args.steps // 2)
        table.add_row(task, f"{base:,.0f}", f"{one:,.0f} ({one / base:.3f})", f"{two:,.0f} ({two / base:.3f})",
                      f"{vec:,.0f} ({vec / one:.2f}x one env)")
        console.print(f"  {task}: done")
    console.print(table)

    experts = Table(title=f"scripted expert success over seeds 0..{args.seeds - 1} (clean expert, task time limit)")
    for col in ("task", "success", "95% CI", "mean steps", "mean max coverage", "s / episode"):
        experts.add_column(col)
    ctx = get_context("forkserver")
    with ctx.Pool(args.workers) as pool:
        for task in args.tasks:
            t0 = time.perf_counter()
            results = pool.map(expert_episode, [(task, s) for s in range(args.seeds)])
            ok = np.array([r[0] for r in results])
            p = ok.mean()
            half = 1.96 * np.sqrt(p * (1 - p) / len(ok) + 1e-12)
            cov = f"{np.mean([r[2] for r in results]):.3f}" if task == "pusht" else "-"
            experts.add_row(task, f"{100 * p:.1f}% ({ok.sum()}/{len(ok)})", f"+-{100 * half:.1f}",
                            f"{np.mean([r[1] for r in results]):.0f}", cov, f"{np.mean([r[3] for r in results]):.2f}")
            failed = [s for s, r in enumerate(results) if not r[0]]
            console.print(f"  {task}: {time.perf_counter() - t0:.0f} s; failed seeds: {failed[:20]}")
    console.print(experts)


if __name__ == "__main__":
    main()
