r"""Interventions benchmark: does learning from take-overs beat spending the same human frames on demos?

    MUJOCO_GL=egl python benchmarks/interventions.py                 # Lift and Insertion, 3 rounds
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks lift --rounds 1 --eval-episodes 20
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks insertion --action-space ee_delta --finetune-steps 3000 \
        --final-eval-episodes 100                                    # the Insertion result in benchmarks/results/
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks lift --methods sirius --no-baseline \
        --sirius-overrides feedback.weights.policy=0                 # an ablation of Sirius alone
    MUJOCO_GL=egl python benchmarks/interventions.py --tasks lift --only-final --final-eval-episodes 100

Per task and training seed (`--train-seeds`, 3 by default): 20 demonstrations from the simulated teleoperator (shared by
the seeds) train a weak diffusion policy (U-Net). Then
3 rounds each of HG-DAgger and Sirius (20 rollouts with the simulated intervener -> weighted fine-tuning
-> evaluation), and for each of them the baseline that spends exactly its human frames per round (never more: the
last demonstration is cut where the budget runs out) on new demonstrations. Every evaluation: 50 held-out seeds, the same ones every round.
Observations: low-dimensional (task.object_state: joint positions/velocities, the objects' poses and, on
Insertion, the peg from the hand and the hole from the peg's bottom face), so 2 CPU cores can afford it;
`--images` uses the cameras instead (much slower). Actions are absolute joint targets; `--action-space ee_delta`
records, trains and rolls out with end-effector steps instead.
With n = 50 a success rate has a CI of about +-13 points, so `--final-eval-episodes N` evaluates the start and
every arm's last checkpoint (ablations included) again on N new seeds with the same policy noise: by default from the
development range (dev_final, tuned on), with `--final-seeds test` from the locked test range (each read counted).
Every learner is compared with the start and with the more-demos baseline on the common seeds (paired bootstrap
interval, McNemar's exact test); "beats" is printed only where the test supports it.
The run is resumable: each finished arm is cached (improve.json), each finished round within an arm too (progress.json;
a round cut off is redone from its start), and each final evaluation; run the same command again to go on.
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
    people = [f"task.{key}={value}" for key, value in vars(args).get("task_settings", {}).items()]
    return [f"task.action_space={args.action_space}", *obs, *people]


def train_overrides(args) -> list[str]:
    """Training settings shared by the base policy and every fine-tune."""
    return [f"train.precision={args.precision}"]


def seed_dir(out: Path, task: str, seed: int) -> Path:
    """Where one training seed's base policy and arms live (the demos are shared by every seed)."""
    return out / task / f"seed_{seed}"


def prepare(task: str, out: Path, args, seed: int = 0) -> tuple[Path, Path]:
    """20 demos and the weak policy trained on them with training seed `seed` (cached under --out)."""
    from robot_hf.cli.main import main as cli

    data = out / task / "demos"
    run = seed_dir(out, task, seed) / "base"
    policy = ["policy.cameras=[]"] if not args.images else ["policy.vision.crop=[56,56]", "policy.vision.widths=[16,32,64,128]"]
    if not (data / "meta/info.json").exists():
        assert cli(["record", f"task={task}", *task_overrides(args), f"dataset.num_episodes={args.demos}", f"dataset.root={data}"]) == 0
    if not (run / "checkpoints/last.txt").exists():
        assert cli(["train", f"task={task}", *task_overrides(args), *policy, "policy=diffusion_unet", "policy.down_dims=[64,128,256]", f"dataset.root={data}",
                    *train_overrides(args), f"train.steps={args.base_steps}", "train.lr=3e-4", "train.warmup_steps=200", "train.eval_every=0",
                    "train.eval_final=false", f"train.save_every={args.base_steps}", f"run.seed={seed}", f"run.dir={run}"]) == 0
    last = (run / "checkpoints" / (run / "checkpoints/last.txt").read_text().strip())
    return data, last


def improve(task: str, method: str, baseline: bool, data: Path, base: Path, out: Path, args, overrides=(), tag="",
            seed: int = 0) -> dict:
    """One learner's rounds (and its own baseline) from the base of training seed `seed`: fine-tuning order, the
    intervener's and the demonstrator's draws all follow the seed."""
    from robot_hf.config.compose import compose
    from robot_hf.feedback.improve import Improver

    run_dir = seed_dir(out, task, seed) / f"{method}{tag}"
    result_file = run_dir / "improve.json"
    if result_file.exists():
        return json.loads(result_file.read_text())
    cfg = compose("improve", [f"task={task}", *task_overrides(args), f"feedback={method}", f"policy.path={base}", f"dataset.root={data}",
                              f"rounds={args.rounds}", f"episodes_per_round={args.episodes_per_round}",
                              f"eval_episodes={args.eval_episodes}", f"finetune_steps={args.finetune_steps}",
                              f"finetune_lr={args.finetune_lr}", f"baseline={str(baseline).lower()}", "eval.num_envs=2",
                              "eval.videos=2", *train_overrides(args), f"run.seed={seed}", f"run.dir={run_dir}", *overrides])
    return Improver(cfg).run().to_dict()


def final_evaluation(task_dir: Path, task: str, episodes: int, images: bool, action_space: str, seeds: str = "dev_final",
                     ledger: Path | None = None, benchmark: str = "interventions") -> list[dict]:
    """The start (first row) and every arm's last checkpoint (ablations too), on the same seeds and policy noise.

    Each row keeps its per-episode outcomes (for paired comparisons) and the seed range they come from; every
    evaluation on the locked test range is counted in `ledger`.
    """
    from policies.base import Policy
    from robot_hf.evaluation.protocol import LockedReadLedger, seed_range, write_results
    from robot_hf.evaluation.rollout import evaluate

    seeds_used = seed_range(seeds)
    cache = task_dir / (f"final_eval_{episodes}.json" if seeds == "dev_final" else f"final_eval_{seeds}_{episodes}.json")
    done = json.loads(cache.read_text()) if cache.exists() else {}
    arms: dict[str, tuple[str, dict]] = {}

    def effort(rows: list[dict]) -> dict:
        return {"frames": rows[-1]["cumulative_human_frames"], "person_s": sum(x.get("person_seconds", 0.0) for x in rows),
                "watching_s": sum(x.get("attention_seconds", 0.0) for x in rows)}

    for result in sorted(task_dir.glob("*/improve.json")):
        r = json.loads(result.read_text())
        arms.setdefault("start (round 0)", (r["rounds"][0]["checkpoint"], effort(r["rounds"][:1])))
        arms[result.parent.name] = (r["rounds"][-1]["checkpoint"], effort(r["rounds"]))
        if r["baseline"]:
            arms[f"more demos (effort of {result.parent.name})"] = (r["baseline"][-1]["checkpoint"], effort(r["baseline"]))
    if not arms:
        raise SystemExit(f"no finished arms under {task_dir} (improve.json): run the benchmark without --only-final first")
    task_cfg = {"name": task, "image_height": IMAGE, "image_width": IMAGE} if images else {"name": task, "object_state": True, "cameras": []}
    task_cfg["action_space"] = action_space
    rows = []
    for name, (checkpoint, spent) in arms.items():
        entry = done.get(checkpoint)
        if not isinstance(entry, dict) or "episodes" not in entry:  # not evaluated yet, or cached before outcomes were kept
            e = evaluate(Policy.from_pretrained(checkpoint), task_cfg, episodes, 2, seeds_used.start)
            if seeds == "test":
                LockedReadLedger(ledger).record(f"{benchmark} {task_dir.relative_to(task_dir.parents[1])}: {name}",
                                                seeds_used.seeds(episodes))
            entry = done[checkpoint] = {"success": e.success_rate, "ci95": list(e.ci95), "progress": e.mean_max_progress,
                                        "outcomes": [ep["success"] for ep in e.per_episode], "seed_range": seeds,
                                        "episodes": e.episodes}
            cache.write_text(json.dumps(done, indent=2))
        rows.append({"arm": name, **spent, **entry})
    write_results(task_dir / f"final_{seeds}_{episodes}.json", rows)  # every number with the seed range it comes from
    return rows


def paired_claims(rows: list[dict]) -> list[str]:
    """Every learner against the start and against its own more-demos baseline (the same human frames), on the common
    seeds."""
    import numpy as np

    from robot_hf.evaluation.protocol import compare

    start, by_name = rows[0], {r["arm"]: r for r in rows}
    lines = []
    for row in rows[1:]:
        if row["arm"].startswith("more demos"):
            continue
        own = by_name.get(f"more demos (effort of {row['arm']})")
        for other in (start, own) if own else (start,):
            lines.append(compare(row["arm"], np.array(row["outcomes"]), other["arm"], np.array(other["outcomes"])))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="*", default=["lift", "insertion"])
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="training seeds: each trains its own base policy and runs every arm from it (policy init, data "
                             "order, the simulated people's draws); results are reported per seed and across them")
    parser.add_argument("--demos", type=int, default=20)
    parser.add_argument("--base-steps", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--episodes-per-round", type=int, default=20)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--finetune-steps", type=int, default=1000)
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--precision", choices=["fp32", "auto", "bf16"], default="fp32",
                        help="train.precision of the base and every fine-tune (fp32: what the development runs were tuned with)")
    parser.add_argument("--images", action="store_true", help="camera observations instead of low-dimensional ones")
    parser.add_argument("--action-space", choices=["joint", "ee_delta"], default="joint",
                        help="the policy's actions: absolute joint targets, or end-effector steps through the env's IK")
    parser.add_argument("--sirius-overrides", nargs="*", default=[],
                        help="ablation: overrides for the Sirius arm, e.g. feedback.weights.policy=0.25 (kept under sirius_<overrides>)")
    parser.add_argument("--methods", nargs="+", choices=["sirius", "hg_dagger"], default=["sirius", "hg_dagger"],
                        help="the intervention learners to run (each with a more-demos baseline spending its own human frames)")
    parser.add_argument("--no-baseline", action="store_true", help="ablation: the learners alone, without the more-demos baseline")
    parser.add_argument("--final-eval-episodes", type=int, default=0,
                        help="also evaluate the start and every arm's last checkpoint on this many new seeds, with the same policy noise")
    parser.add_argument("--only-final", action="store_true", help="only the final evaluation of the arms already run")
    parser.add_argument("--final-seeds", choices=["dev_final", "test"], default="dev_final",
                        help="the final evaluation's seed range: dev_final (tuned on) or the locked test range (each read "
                             "is counted in --ledger); see robot_hf/evaluation/protocol.py")
    parser.add_argument("--ledger", type=Path, default=Path("benchmarks/results/test_seed_reads.json"),
                        help="where reads of the locked test seeds are counted")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/interventions"))
    args = parser.parse_args()
    tag = "".join(f"_{k.split('.')[-1]}{v}" for k, _, v in (o.partition("=") for o in args.sirius_overrides))

    from rich.console import Console

    console = Console(width=200)
    if args.only_final:
        return final_table(args, console)
    results = {}
    for task in args.tasks:
        for seed in args.train_seeds:
            data, base = prepare(task, args.out, args, seed)
            run = results.setdefault(f"{task}/seed {seed}", {})
            for method in args.methods:
                overrides, method_tag = (args.sirius_overrides, tag) if method == "sirius" else ((), "")
                baseline = not args.no_baseline  # each learner's own more-demos baseline, matched to its own frames
                run[method] = improve(task, method, baseline, data, base, args.out, args, overrides, method_tag, seed)
    print_rounds(results, args, console)
    for line in seed_summary(results, args):
        print(line)
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


def seed_summary(results: dict, args) -> list[str]:
    """Each arm's gain over the rounds across training seeds: mean, spread (sample sd) and every seed's own."""
    import numpy as np

    lines = []
    for task in dict.fromkeys(key.split("/")[0] for key in results):
        runs = {key: r for key, r in results.items() if key.split("/")[0] == task}
        for name, arm in arm_columns(args):
            gains = [100 * (arm(r)[-1]["success"] - arm(r)[0]["success"]) for r in runs.values()]
            spread = f" (sd {np.std(gains, ddof=1):.0f})" if len(gains) > 1 else ""
            lines.append(f"{task} {name}: {np.mean(gains):+.0f} points{spread} over {len(gains)} training seed(s): "
                         + ", ".join(f"{g:+.0f}" for g in gains))
    return lines


NAMES = {"hg_dagger": "HG-DAgger", "sirius": "Sirius"}


def arm_columns(args) -> list[tuple[str, object]]:
    """(column name, result -> its per-round rows) for each learner run, then each learner's more-demos baseline."""
    columns = [(NAMES[m], lambda r, m=m: r[m]["rounds"]) for m in args.methods]
    if not args.no_baseline:
        columns += [(f"more demos ({NAMES[m]}'s frames)", lambda r, m=m: r[m]["baseline"]) for m in args.methods]
    return columns


def final_table(args, console) -> None:
    from rich.table import Table

    for task in args.tasks:
        pooled: dict[str, dict] = {}
        for seed in args.train_seeds:
            rows = final_evaluation(seed_dir(args.out, task, seed), task, args.final_eval_episodes, args.images,
                                    args.action_space, args.final_seeds, args.ledger, getattr(args, "benchmark", "interventions"))
            start = rows[0]["success"]
            table = Table(title=f"{task}, training seed {seed}: last checkpoints on {args.final_eval_episodes} seeds of the "
                                f"{args.final_seeds} range, common policy noise")
            for col in ("arm", "human frames", "person-s driving or typing", "person-s watching", "success (95% CI)", "mean max progress",
                        "gain (points)", "points per 1000 human frames"):
                table.add_column(col)
            for r in rows:
                gain = 100 * (r["success"] - start)
                lo, hi = r["ci95"]
                table.add_row(r["arm"], str(r["frames"]), f"{r['person_s']:.0f}", f"{r['watching_s']:.0f}",
                              f"{100 * r['success']:.0f} ({100 * lo:.0f}-{100 * hi:.0f})",
                              f"{r['progress']:.2f}" if r.get("progress") is not None else "-", f"{gain:+.0f}",
                              f"{1000 * gain / r['frames']:+.0f}" if r["frames"] else "-")
                arm = pooled.setdefault(r["arm"], {"arm": r["arm"], "outcomes": [], "success": []})
                arm["outcomes"] += r["outcomes"]
                arm["success"].append(r["success"])
            console.print(table)
        for line in paired_claims(list(pooled.values())):  # pairs are (training seed, evaluation seed)
            print(f"{task} [{args.final_seeds} seeds, {len(args.train_seeds)} training seed(s)] {line}")


if __name__ == "__main__":
    main()
