"""Imitation benchmark: policies trained on simulated-teleoperator demos, evaluated by rollout success.

    MUJOCO_GL=egl python benchmarks/imitation.py                     # every row, CPU sizes
    MUJOCO_GL=egl python benchmarks/imitation.py --rows lift:diffusion_unet --budget-min 5
    MUJOCO_GL=egl python benchmarks/imitation.py --full              # reference sizes (GPU)
    MUJOCO_GL=egl python benchmarks/imitation.py --lowdim --budget-min 5   # joint state + object poses, no images

Each row: 100 episodes recorded by the simulated teleoperator (4 operators), the same training budget
(wall-clock minutes, converted to steps by timing each policy first, so rows get equal compute),
then success over 50 seeded episodes never seen in training, training steps/s, wall-clock, parameter
count, and select_action latency p50/p99; for diffusion also one chunk with DDPM-100 and DDIM-10.
Datasets and results are kept under --out, so rows can be run separately and the table re-printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

# CPU sizes: 64x64 images, a 4-stage ResNet of widths 16-128, small denoisers. --full: the reference.
CPU_IMAGE, FULL_IMAGE = 64, 96
POLICIES = {
    "diffusion_unet": ["policy=diffusion_unet", "policy.down_dims=[64,128,256]"],
    "diffusion_transformer": ["policy=diffusion_transformer", "policy.n_layer=4", "policy.n_emb=128"],
    "act": ["policy=act", "policy.d_model=128", "policy.dim_feedforward=512", "policy.n_encoder_layers=2",
            "policy.n_vae_encoder_layers=2"],
    "mlp": ["policy=mlp"],
}
FULL_POLICIES = {
    "diffusion_unet": ["policy=diffusion_unet", "policy.down_dims=[512,1024,2048]", "policy.prediction_type=epsilon",
                       "policy.n_obs_steps=2"],
    "diffusion_transformer": ["policy=diffusion_transformer", "policy.prediction_type=epsilon", "policy.n_obs_steps=2"],
    "act": ["policy=act", "policy.d_model=512", "policy.dim_feedforward=3200"],
    "mlp": ["policy=mlp"],
}
ROWS = ["lift:diffusion_unet", "lift:diffusion_transformer", "lift:act", "lift:mlp",
        "pusht:diffusion_unet", "pusht:diffusion_transformer", "pusht:act", "pusht:mlp",
        "pick_place:best", "insertion:best"]


def task_overrides(task: str, image: int, lowdim: bool = False) -> list[str]:
    if lowdim:
        return [f"task={task}", "task.object_state=true", "task.cameras=[]"]
    return [f"task={task}", f"task.image_height={image}", f"task.image_width={image}"]


def vision_overrides(image: int, full: bool, lowdim: bool = False) -> list[str]:
    if lowdim:
        return ["policy.cameras=[]"]
    crop = int(image * 7 / 8)
    widths = "[64,128,256,512]" if full else "[16,32,64,128]"
    blocks = 2 if full else 1
    return [f"policy.vision.crop=[{crop},{crop}]", f"policy.vision.widths={widths}", f"policy.vision.blocks={blocks}"]


def record(task: str, root: Path, episodes: int, image: int, lowdim: bool = False, teleop: Sequence[str] = ()) -> None:
    from robot_hf.cli.main import main as cli

    if (root / "meta/info.json").exists():
        return
    print(f"recording {episodes} {task} episodes with the simulated teleoperator ...", flush=True)
    code = cli(["record", *task_overrides(task, image, lowdim), "teleop=scripted", *teleop, f"dataset.num_episodes={episodes}",
                f"dataset.root={root}", "record.seed=0"])
    if code:
        raise SystemExit(f"recording {task} failed")


def logged_training_rate(run_dir: Path, after_step: int = 0) -> tuple[float, float]:
    """(steps/s, seconds) of optimisation from the run's train_log.csv windows ending after `after_step`.

    The logged windows leave out evaluations and checkpoint saves, so this is the training rate alone.
    """
    steps, seconds, previous = 0, 0.0, 0
    with open(run_dir / "train_log.csv") as f:
        for row in csv.DictReader(f):
            if not row.get("steps_per_s"):
                continue  # an evaluation row
            step = int(row["step"])
            if step > after_step:
                steps += step - previous
                seconds += (step - previous) / float(row["steps_per_s"])
            previous = step
    if not steps:
        raise ValueError(f"{run_dir / 'train_log.csv'} logs no training window after step {after_step}")
    return steps / seconds, seconds


def probe_seconds_per_step(overrides: list[str], run_dir: Path) -> float:
    """Time training steps of this exact config after 8 warm-up steps (first batches, lazy loads)."""
    from robot_hf.config.compose import compose
    from robot_hf.training.workspace import TrainWorkspace

    cfg = compose("train", [*overrides, "train.steps=20", "train.eval_every=0", "train.eval_final=false",
                            "train.save_every=1000000", "train.log_every=4", f"run.dir={run_dir}"])
    TrainWorkspace(cfg).run()  # not quiet: the training log is what it reads
    rate, _ = logged_training_rate(run_dir, after_step=8)
    return 1.0 / rate


def latency(policy_dir: Path, task: str, image: int, lowdim: bool = False) -> dict[str, float]:
    """select_action p50/p99 in a rollout, and per-chunk time of DDPM-100 vs DDIM-10 for diffusion."""
    import torch

    from policies.base import Policy
    from sim.robot import make_env

    policy = Policy.from_pretrained(policy_dir)
    env = make_env({"name": task, "object_state": True, "cameras": []} if lowdim else
                   {"name": task, "image_height": image, "image_width": image})
    obs, _ = env.reset(seed=12345)
    policy.reset()
    times = []
    for _ in range(60):
        t0 = time.perf_counter()
        action = policy.select_action(obs)
        times.append(time.perf_counter() - t0)
        obs, _, term, trunc, _ = env.step(action)
        if term or trunc:
            obs, _ = env.reset(seed=1)
            policy.reset()
    out = {"select_p50_ms": 1e3 * float(np.percentile(times, 50)), "select_p99_ms": 1e3 * float(np.percentile(times, 99))}
    if policy.name == "diffusion":
        from diffusers.schedulers.scheduling_ddim import DDIMScheduler
        from diffusers.schedulers.scheduling_ddpm import DDPMScheduler

        batch, _ = policy._window(obs)
        cfg = policy.noise_scheduler.config
        for label, sched, steps in (("ddpm100", DDPMScheduler.from_config(cfg), 100), ("ddim10", DDIMScheduler.from_config(cfg), 10)):
            policy.sampler, policy.num_inference_steps = sched, steps
            chunk = []
            for _ in range(5):
                t0 = time.perf_counter()
                with torch.no_grad():
                    policy.predict_chunk(batch)
                chunk.append(time.perf_counter() - t0)
            out[f"chunk_{label}_ms"] = 1e3 * float(np.median(chunk))
    env.close()
    return out


def run_row(task: str, policy: str, args, out: Path) -> dict:
    from robot_hf.config.compose import compose
    from robot_hf.training.workspace import TrainWorkspace

    image = FULL_IMAGE if args.full else CPU_IMAGE
    data = out / "data" / task
    record(task, data, args.episodes, image, args.lowdim)
    extra = list((FULL_POLICIES if args.full else POLICIES)[policy]) + vision_overrides(image, args.full, args.lowdim)
    if task == "pick_place":
        extra.append("policy.use_language=true")
    run_dir = out / "runs" / f"{task}_{policy}"
    lr = args.lr if args.lr is not None else (1e-4 if args.full else 3e-4)
    base = [*task_overrides(task, image, args.lowdim), f"dataset.root={data}", *extra, f"train.batch_size={args.batch_size}", f"train.lr={lr}"]
    sec = probe_seconds_per_step(base, out / "probe" / f"{task}_{policy}")
    steps = max(200, int(args.budget_min * 60 / sec))
    print(f"[{task} / {policy}] {sec:.3f} s/step -> {steps} steps in {args.budget_min} min", flush=True)
    cfg = compose("train", [*base, f"train.steps={steps}", f"train.warmup_steps={min(500, steps // 10)}",
                            f"train.save_every={steps}", "train.eval_every=0", "train.eval_final=true",
                            f"eval.episodes={args.eval_episodes}", "eval.num_envs=2", "eval.seed=100000", "eval.videos=4",
                            f"train.log_every={max(10, steps // 50)}", f"run.dir={run_dir}"])
    result = TrainWorkspace(cfg).run()
    final = result.evals[-1]
    lat = latency(result.last / "pretrained_model", task, image, args.lowdim)
    row = {
        "task": task, "policy": policy, "observations": "low-dim" if args.lowdim else f"images {image}x{image}", "steps": result.steps, "train_minutes": result.train_seconds / 60,
        "wall_minutes": result.wall_seconds / 60, "steps_per_s": result.steps_per_second, "params_m": result.parameters / 1e6, "success": final["success_rate"],
        "ci95": final["ci95"], "mean_max_reward": final["mean_max_reward"], "mean_max_progress": final["mean_max_progress"],
        "episodes": final["episodes"],
        "final_loss": result.final_loss, **lat,
    }
    if task == "pick_place":  # phrasings never seen in training
        from policies.base import Policy
        from robot_hf.evaluation.rollout import evaluate

        held_task = {"name": task, "instructions": "heldout", **({"object_state": True, "cameras": []} if args.lowdim else
                                                                   {"image_height": image, "image_width": image})}
        held = evaluate(Policy.from_pretrained(result.last / "pretrained_model"), held_task,
                        args.eval_episodes, 2, 200_000)
        row["heldout_success"] = held.success_rate
    (run_dir / "row.json").write_text(json.dumps(row, indent=2))
    return row


def print_table(out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"imitation ({out}): 100 teleoperator demos, equal training budget, success over held-out seeds")
    cols = ["task", "policy", "observations", "success (95% CI)", "mean max reward", "mean max progress", "steps", "train min",
            "wall min", "steps/s", "params M",
            "select p50/p99 ms", "chunk DDPM-100 / DDIM-10 ms", "held-out phrasings"]
    for c in cols:
        table.add_column(c)
    for path in sorted((out / "runs").glob("*/row.json")):
        r = json.loads(path.read_text())
        lo, hi = r["ci95"]
        chunk = f"{r['chunk_ddpm100_ms']:.0f} / {r['chunk_ddim10_ms']:.0f}" if "chunk_ddim10_ms" in r else "-"
        held = f"{100 * r['heldout_success']:.0f}%" if "heldout_success" in r else "-"
        # From the training log, so rows run before evaluations were kept out of steps/s read the same way.
        rate, seconds = logged_training_rate(path.parent)
        wall = r.get("wall_minutes", r["train_minutes"])  # older rows: train_minutes was the wall-clock with the final evaluation
        progress = f"{r['mean_max_progress']:.2f}" if "mean_max_progress" in r else "-"
        table.add_row(r["task"], r["policy"], r.get("observations", "images"), f"{100 * r['success']:.0f}% ({100 * lo:.0f}-{100 * hi:.0f})",
                      f"{r['mean_max_reward']:.3f}", progress, str(r["steps"]), f"{seconds / 60:.1f}", f"{wall:.1f}", f"{rate:.2f}",
                      f"{r['params_m']:.2f}", f"{r['select_p50_ms']:.1f} / {r['select_p99_ms']:.1f}", chunk, held)
    Console(width=220).print(table)


def best_policy(task: str, out: Path) -> str:
    """The policy with the highest Lift success so far (PickPlace and Insertion reuse it)."""
    rows = [json.loads(p.read_text()) for p in (out / "runs").glob("lift_*/row.json")]
    if not rows:
        return "diffusion_unet"
    return max(rows, key=lambda r: (r["success"], r["mean_max_reward"]))["policy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="*", default=ROWS, help="task:policy pairs (policy 'best' = the best on Lift)")
    parser.add_argument("--budget-min", type=float, default=15.0)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=None, help="default: 3e-4 for the short CPU budget, 1e-4 with --full")
    parser.add_argument("--full", action="store_true", help="reference model sizes and 96x96 images (for a GPU)")
    parser.add_argument("--lowdim", action="store_true", help="joint state + object poses instead of images")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/imitation"))
    parser.add_argument("--table", action="store_true", help="only print the table of finished rows")
    args = parser.parse_args()
    if not args.table:
        for row in args.rows:
            task, policy = row.split(":")
            if policy == "best":
                policy = best_policy(task, args.out)
            if (args.out / "runs" / f"{task}_{policy}" / "row.json").exists():
                continue
            run_row(task, policy, args, args.out)
    print_table(args.out)


if __name__ == "__main__":
    main()
