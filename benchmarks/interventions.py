r"""Interventions benchmark: does learning from take-overs beat spending the same human frames on demos?

    MUJOCO_GL=egl python benchmarks/interventions.py                 # Lift and Insertion, 3 rounds
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks lift --rounds 1 --eval-episodes 20
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks insertion --action-space ee_delta --finetune-steps 3000 \
        --final-eval-episodes 100                                    # the Insertion result in benchmarks/results/
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks lift --methods sirius --no-baseline \
        --sirius-overrides feedback.weights.policy=0                 # an ablation of Sirius alone
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks lift --only-final --final-eval-episodes 100

Per task: 20 demonstrations from the simulated teleoperator train a weak diffusion policy (U-Net). Then
3 rounds each of HG-DAgger and Sirius (20 rollouts with the simulated intervener -> weighted fine-tuning
-> evaluation), and the baseline that spends the same human frames per round (matched to the first of `--methods`,
Sirius by default) on new full demonstrations. Every evaluation: 50 held-out seeds, the same ones every round.
Observations: low-dimensional (task.object_state: joint positions/velocities, the objects' poses and, on
Insertion, the peg from the hand and the hole from the peg's bottom face), so 2 CPU cores can afford it;
`--images` uses the cameras instead (much slower). Actions are absolute joint targets; `--action-space ee_delta`
records, trains and rolls out with end-effector steps instead.
With n = 50 a success rate has a CI of about +-13 points, so `--final-eval-episodes N` evaluates the start and
every arm's last checkpoint (ablations included) again on N new seeds with the same policy noise.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

IMAGE = 64  # --images: camera resolution (square)


def task_overrides(args) -> list[str]:
    """The observations and action space every step of the benchmark uses (record, train, improve)."""
    obs = ["task.object_state=true", "task.cameras=[]"] if not args.images else [f"task.image_height={IMAGE}", f"task.image_width={IMAGE}"]
    return [f"task.action_space={args.action_space}", *obs]


def prepare(task: str, out: Path, args) -> tuple[Path, Path]:
    """20 demos and the weak policy trained on them (cached under --out)."""
    from robot_hf.cli.main import main as cli

    data = out / task / "demos"
    run = out / task / "base"
    policy = ["policy.cameras=[]"] if not args.images else ["policy.vision.crop=[56,56]", "policy.vision.widths=[16,32,64,128]"]
    if not (data / "meta/info.json").exists():
        assert cli(["record", f"task={task}", *task_overrides(args), f"dataset.num_episodes={args.demos}", f"dataset.root={data}"]) == 0
    if not (run / "checkpoints/last.txt").exists():
        assert cli(["train", f"task={task}", *task_overrides(args), *policy, "policy=diffusion_unet", "policy.down_dims=[64,128,256]", f"dataset.root={data}",
                    f"train.steps={args.base_steps}", "train.lr=3e-4", "train.warmup_steps=200", "train.eval_every=0",
                    "train.eval_final=false", f"train.save_every={args.base_steps}", f"run.dir={run}"]) == 0
    last = (run / "checkpoints" / (run / "checkpoints/last.txt").read_text().strip())
    return data, last


def improve(task: str, method: str, baseline: bool, data: Path, base: Path, out: Path, args, overrides=(), tag="") -> dict:
    from robot_hf.config.compose import compose
    from robot_hf.feedback.improve import Improver

    run_dir = out / task / f"{method}{tag}"
    result_file = run_dir / "improve.json"
    if result_file.exists():
        return json.loads(result_file.read_text())
    cfg = compose("improve", [f"task={task}", *task_overrides(args), f"feedback={method}", f"policy.path={base}", f"dataset.root={data}",
                              f"rounds={args.rounds}", f"episodes_per_round={args.episodes_per_round}",
                              f"eval_episodes={args.eval_episodes}", f"finetune_steps={args.finetune_steps}",
                              f"finetune_lr={args.finetune_lr}", f"baseline={str(baseline).lower()}", "eval.num_envs=2",
                              "eval.videos=2", f"run.dir={run_dir}", *overrides])
    return Improver(cfg).run().to_dict()


def final_evaluation(task: str, out: Path, episodes: int, images: bool, action_space: str) -> list[tuple[str, int, float, tuple[float, float], float | None]]:
    """The start (first row) and every arm's last checkpoint (ablations too), on the same seeds and policy noise."""
    from policies.base import Policy
    from robot_hf.evaluation.rollout import evaluate

    cache = out / task / f"final_eval_{episodes}.json"
    done = json.loads(cache.read_text()) if cache.exists() else {}
    arms: dict[str, tuple[str, int]] = {}
    for result in sorted((out / task).glob("*/improve.json")):
        r = json.loads(result.read_text())
        arms.setdefault("start (round 0)", (r["rounds"][0]["checkpoint"], 0))
        arms[result.parent.name] = (r["rounds"][-1]["checkpoint"], r["rounds"][-1]["cumulative_human_frames"])
        if r["baseline"]:
            arms[f"more demos (frames of {result.parent.name})"] = (r["baseline"][-1]["checkpoint"],
                                                                    r["baseline"][-1]["cumulative_human_frames"])
    if not arms:
        raise SystemExit(f"no finished arms under {out / task} (improve.json): run the benchmark without --only-final first")
    task_cfg = {"name": task, "image_height": IMAGE, "image_width": IMAGE} if images else {"name": task, "object_state": True, "cameras": []}
    task_cfg["action_space"] = action_space
    rows = []
    for name, (checkpoint, frames) in arms.items():
        if checkpoint not in done:
            e = evaluate(Policy.from_pretrained(checkpoint), task_cfg, episodes, 2, 300_000)
            done[checkpoint] = [e.success_rate, list(e.ci95), e.mean_max_progress]
            cache.write_text(json.dumps(done, indent=2))
        success, ci, *progress = done[checkpoint]  # caches written before progress was measured lack it
        rows.append((name, frames, success, tuple(ci), progress[0] if progress else None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="*", default=["lift", "insertion"])
    parser.add_argument("--demos", type=int, default=20)
    parser.add_argument("--base-steps", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--episodes-per-round", type=int, default=20)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--finetune-steps", type=int, default=1000)
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--images", action="store_true", help="camera observations instead of low-dimensional ones")
    parser.add_argument("--action-space", choices=["joint", "ee_delta"], default="joint",
                        help="the policy's actions: absolute joint targets, or end-effector steps through the env's IK")
    parser.add_argument("--sirius-overrides", nargs="*", default=[],
                        help="ablation: overrides for the Sirius arm, e.g. feedback.weights.policy=0.25 (kept under sirius_<overrides>)")
    parser.add_argument("--methods", nargs="+", choices=["sirius", "hg_dagger"], default=["sirius", "hg_dagger"],
                        help="the intervention learners to run (the more-demos baseline spends the first one's human frames)")
    parser.add_argument("--no-baseline", action="store_true", help="ablation: the learners alone, without the more-demos baseline")
    parser.add_argument("--final-eval-episodes", type=int, default=0,
                        help="also evaluate the start and every arm's last checkpoint on this many new seeds, with the same policy noise")
    parser.add_argument("--only-final", action="store_true", help="only the final evaluation of the arms already run")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/interventions"))
    args = parser.parse_args()
    tag = "".join(f"_{k.split('.')[-1]}{v}" for k, _, v in (o.partition("=") for o in args.sirius_overrides))

    from rich.console import Console

    console = Console(width=200)
    if args.only_final:
        return final_table(args, console)
    results = {}
    for task in args.tasks:
        data, base = prepare(task, args.out, args)
        results[task] = {}
        for i, method in enumerate(args.methods):
            overrides, method_tag = (args.sirius_overrides, tag) if method == "sirius" else ((), "")
            baseline = i == 0 and not args.no_baseline
            results[task][method] = improve(task, method, baseline, data, base, args.out, args, overrides, method_tag)
    print_rounds(results, args, console)
    if args.final_eval_episodes:
        final_table(args, console)


def print_rounds(results: dict, args, console) -> None:
    from rich.table import Table

    table = Table(title=f"success % (95% CI)[, mean max progress] per round on {args.eval_episodes} held-out seeds, and cumulative human frames "
                        f"({'images' if args.images else 'low-dimensional observations'}, weak diffusion policy from {args.demos} demos)")
    columns = arm_columns(args)
    for col in ("task", "round", *(c for name, _ in columns for c in (name, "frames"))):
        table.add_column(col)
    for task, r in results.items():
        arms = [arm(r) for _, arm in columns]
        for k in range(max(len(a) for a in arms)):
            cells = []
            for rows in arms:
                row = rows[k] if k < len(rows) else None
                progress = f", {row['progress']:.2f}" if row and row.get("progress") is not None else ""
                cells += [f"{100 * row['success']:.0f} ({100 * row['ci95'][0]:.0f}-{100 * row['ci95'][1]:.0f}){progress}" if row else "-",
                          str(row["cumulative_human_frames"]) if row else "-"]
            table.add_row(task, str(k), *cells)
    console.print(table)
    for task, r in results.items():
        for name, arm in columns:
            rows = arm(r)
            gain = 100 * (rows[-1]["success"] - rows[0]["success"])
            per_k = gain / max(1, rows[-1]["cumulative_human_frames"]) * 1000
            print(f"{task} {name}: {gain:+.0f} points over {len(rows) - 1} rounds, {per_k:+.1f} points per 1000 human frames")


NAMES = {"hg_dagger": "HG-DAgger", "sirius": "Sirius"}


def arm_columns(args) -> list[tuple[str, object]]:
    """(column name, result -> its per-round rows) for each learner run, then the more-demos baseline if it ran."""
    columns = [(NAMES[m], lambda r, m=m: r[m]["rounds"]) for m in args.methods]
    if not args.no_baseline:
        first = args.methods[0]
        columns.append((f"more demos ({NAMES[first]}'s frames)", lambda r: r[first]["baseline"]))
    return columns


def final_table(args, console) -> None:
    from rich.table import Table

    for task in args.tasks:
        rows = final_evaluation(task, args.out, args.final_eval_episodes, args.images, args.action_space)
        start = rows[0][2]
        table = Table(title=f"{task}: last checkpoints on {args.final_eval_episodes} new seeds, common policy noise")
        for col in ("arm", "human frames", "success (95% CI)", "mean max progress", "gain (points)", "points per 1000 human frames"):
            table.add_column(col)
        for name, frames, success, (lo, hi), progress in rows:
            gain = 100 * (success - start)
            table.add_row(name, str(frames), f"{100 * success:.0f} ({100 * lo:.0f}-{100 * hi:.0f})",
                          f"{progress:.2f}" if progress is not None else "-", f"{gain:+.0f}",
                          f"{1000 * gain / frames:+.0f}" if frames else "-")
        console.print(table)


if __name__ == "__main__":
    main()
