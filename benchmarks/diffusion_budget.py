"""Diffusion within a CPU budget: which settings let the U-Net learn Lift and PushT from images in 15 minutes.

    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --probe-only           # time every row's step, machine quiet
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --rows lift:baseline lift:obs1 --equal-steps 3000
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --table --compare lift_sample:lift_baseline   # paired tests
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --rows pusht:obs1+unet_half --probe-against obs1   # timed beside obs1
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --table --acting pusht_obs1:n_action_steps=4   # no retraining
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --rows pusht:obs1 --episodes 200   # the demos topped up to 200
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --rows pusht:obs1+clean   # demos of the clean expert instead
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --rows pusht:obs1+lowdim   # the T's exact pose, no camera
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --rows pusht:obs1+poses   # images; the pose a training target
    MUJOCO_GL=egl python benchmarks/diffusion_budget.py --table --compare pusht_obs1+poses:pusht_obs1 --test-episodes 100

Each row is imitation.py's CPU U-Net row (64x64 images, 100 simulated-teleoperator demos, the same encoder and
denoiser sizes) set to the reference's epsilon prediction and two observation frames (the baseline), with the
variant's overrides on top; variants combine with '+' ("obs1+sample", the U-Net's defaults since this ablation;
"transformer" swaps the denoiser, so "transformer+obs1+sample" is the transformer with the U-Net's defaults).
A row trains for the steps its settings get in --budget-min minutes of this whole CPU (timed by a probe with
--probe-threads threads, so rows may then train side by side on one thread each without changing what the budget
buys), and is evaluated on 50 held-out seeds at the end (the last checkpoint loaded afresh, each episode's outcome
kept; the rows are chosen on them, so --test-episodes confirms a comparison on the locked test seeds) and, when
it trains past them, every --equal-steps steps (pick it so that rows train past it once): the table
compares at equal minutes and at equal steps, so a busy machine does not decide the ranking. At equal steps a
longer row is mid-schedule (its learning rate has not decayed yet), which favours the shorter. Results are kept
under --out and rows resume.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from policies.diffusion.config import DiffusionConfig

os.environ.setdefault("MUJOCO_GL", "egl")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from imitation import (
    CPU_IMAGE,
    POLICIES,
    logged_training_rate,
    probe_seconds_per_step,
    record,
    task_overrides,
    vision_overrides,
)

# The baseline: the reference's noise regression and two observation frames (the U-Net's defaults until this ablation
# chose obs1+sample). Each variant changes one thing the literature or the reference code varies for short runs.
REFERENCE = ["policy.prediction_type=epsilon", "policy.n_obs_steps=2"]
VARIANTS: dict[str, list[str]] = {
    "baseline": [],
    "obs1": ["policy.n_obs_steps=1"],  # one observation frame: half the image encoding per sample
    "sample": ["policy.prediction_type=sample"],  # regress the clean chunk instead of the noise
    "lr1e-3": ["train.lr=1e-3"],
    "batch32": ["train.batch_size=32"],  # more, noisier steps in the same minutes
    "t16": ["policy.num_train_timesteps=16", "policy.num_inference_steps=8"],  # fewer noise levels to learn
    "shared": ["policy.vision.shared=true"],  # one encoder for both cameras
    "nocrop": ["policy.vision.crop=null"],  # the whole image, no random-crop augmentation (imitation.py crops 7/8)
    "wide": ["policy.vision.widths=[32,64,128,256]"],  # the image encoder twice as wide (imitation.py: 16-128)
    # Three stages, not four: the keypoints' softmax over a 7x7 feature map of the 56 px crop instead of 4x4.
    "fine": ["policy.vision.widths=[16,32,64]"],
    "shift2": [],  # a random crop that shifts the image +-2 px, not 1/16 of it (+-4 at 64 px; the T is ~12 px long): SHIFTS
    "kp64": ["policy.vision.keypoints=64"],  # twice the spatial-softmax keypoints (the reference: 32)
    "noema": ["train.ema.enable=false"],  # the trained weights themselves, not their moving average
    "h8": ["policy.horizon=8"],  # a chunk of only the 8 actions run (the reference: 16): half the denoiser's length
    "unet_half": ["policy.down_dims=[32,64,128]"],  # the U-Net denoiser half as wide (imitation.py: 64-256)
    "unet_double": ["policy.down_dims=[128,256,512]"],  # twice as wide (the reference: 256-1024)
    "img96": [],  # 96x96 images (the reference's size; crop 84), recorded apart: IMAGES
    "img80": [],  # 80x80 images (crop 70), recorded apart: IMAGES
    # Each frame paired with the actions recorded 1 step later: the simulated people react 0-2 steps late.
    "lag1": ["train.action_lag=1"],
    # The pusher and the T's exact pose instead of the camera (task.object_state): perception taken out, recorded apart.
    "lowdim": [],
    "clean": [],  # demos from the clean expert (no operator speed, delay, noise, pauses, detours), recorded apart: RECORDED_WITH
    # The encoder also learns to predict the objects' poses (recorded beside the demos, never an input): RECORDED_WITH.
    "poses": ["policy.auxiliary_targets=[observation.environment_state]"],
    # The causal transformer denoiser at imitation.py's CPU size instead of the U-Net (the same encoder and schedule).
    "transformer": ["policy.denoiser=transformer", "policy.n_layer=4", "policy.n_head=4", "policy.n_emb=128",
                    "policy.p_drop_attn=0.3"],
}
# Variants that leave a step's compute as it is take the step count of the row without them (one probe, equal steps).
SAME_STEP_COST = {"sample", "lr1e-3", "t16", "noema", "clean", "lag1", "poses"}
# Variants with their own image size or teleoperator (and so their own recording of the demos).
IMAGES = {"img96": 96, "img80": 80}
SHIFTS = {"shift2": 2}  # variants that set the random crop's largest shift in pixels, whatever the image size
# Variants whose demos are recorded with other settings (and so apart): the teleoperator's, or the task's.
RECORDED_WITH = {"clean": ["teleop.clean=true"], "poses": ["task.environment_state=true"]}
ROWS = [f"lift:{v}" for v in VARIANTS]
EVAL_SEED = 100_000  # the held-out seeds every row is evaluated on (imitation.py's)
DEMOS = 100  # imitation.py's demos per task; --episodes records more for a row on the data


def row_image(variant: str) -> int:
    return next((IMAGES[v] for v in variant.split("+") if v in IMAGES), CPU_IMAGE)


def row_lowdim(variant: str) -> bool:
    return "lowdim" in variant.split("+")


def eval_task(task: str, variant: str) -> dict:
    """The task a row's policy is evaluated in: at its image size, or with the objects' state and no camera."""
    if row_lowdim(variant):
        return {"name": task, "object_state": True, "cameras": []}
    image = row_image(variant)
    return {"name": task, "image_height": image, "image_width": image}


def row_recording(variant: str) -> list[str]:
    return [o for v in variant.split("+") for o in RECORDED_WITH.get(v, [])]


def data_dir(out: Path, task: str, variant: str, episodes: int = DEMOS) -> Path:
    """The recording a row of this variant trains on: its image size, teleoperator and number of demos."""
    image = row_image(variant)
    return out / "data" / (task + (f"_{image}px" if image != CPU_IMAGE else "") + ("_lowdim" if row_lowdim(variant) else "")
                           + "".join(f"_{v}" for v in variant.split("+") if v in RECORDED_WITH)
                           + (f"_{episodes}demos" if episodes != DEMOS else ""))


def record_demos(out: Path, task: str, variant: str, episodes: int) -> Path:
    """The demos a row of this variant trains on; more than the default DEMOS are the largest smaller recording topped
    up (the teleoperator's seed sequence goes on where it left off), so a row with more demos sees the same first ones."""
    from robot_hf.cli.main import main as cli

    root, image, teleop = data_dir(out, task, variant, episodes), row_image(variant), row_recording(variant)
    if (root / "meta/info.json").exists():
        return root
    lowdim = row_lowdim(variant)
    record(task, data_dir(out, task, variant), DEMOS, image, lowdim, teleop=teleop)
    if episodes == DEMOS:
        return root
    have = max(n for n in range(DEMOS, episodes) if (data_dir(out, task, variant, n) / "meta/info.json").exists())
    base = data_dir(out, task, variant, have)
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(base, partial)
    print(f"topping up {base.name} with {episodes - have} more episodes ...", flush=True)
    if cli(["record", *task_overrides(task, image, lowdim), "teleop=scripted", *teleop, f"dataset.num_episodes={episodes - have}",
            f"dataset.root={partial}", "dataset.resume=true"]):
        raise SystemExit(f"topping up {task}'s demos failed")
    partial.rename(root)
    return root


def row_overrides(task: str, variant: str, data: Path, args) -> list[str]:
    extra = [o for name in variant.split("+") for o in VARIANTS[name]]
    image, lowdim = row_image(variant), row_lowdim(variant)
    extra += [f"policy.vision.crop=[{image - 2 * SHIFTS[v]},{image - 2 * SHIFTS[v]}]" for v in variant.split("+") if v in SHIFTS]
    return [*task_overrides(task, image, lowdim), f"dataset.root={data}", *POLICIES["diffusion_unet"],
            *vision_overrides(image, False, lowdim), f"train.batch_size={args.batch_size}", "train.lr=3e-4", *REFERENCE, *extra]


def probe(task: str, variant: str, args) -> float:
    """Steps/s of this row on --probe-threads threads, timed once and kept."""
    import torch

    variant = "+".join(v for v in variant.split("+") if v not in SAME_STEP_COST) or "baseline"
    path = args.out / "probe" / f"{task}_{variant}.json"
    if path.exists():
        return json.loads(path.read_text())["steps_per_s"]
    threads = torch.get_num_threads()
    torch.set_num_threads(args.probe_threads)
    try:
        if args.probe_against and args.probe_against != variant:
            rate, how = _rate_against(task, variant, args)
        else:
            rate, how = 1 / _seconds_per_step(task, variant, args), "timed alone"
    finally:
        torch.set_num_threads(threads)
    path.write_text(json.dumps({"steps_per_s": rate, "threads": args.probe_threads, "timed": how}))
    return rate


def _seconds_per_step(task: str, variant: str, args, timing: str = "") -> float:
    data = data_dir(args.out, task, variant)
    run_dir = args.out / "probe" / f"{task}_{variant}{f'_{timing}' if timing else ''}"
    return probe_seconds_per_step(row_overrides(task, variant, data, args), run_dir)


def _rate_against(task: str, variant: str, args) -> tuple[float, str]:
    """The reference row's kept rate times the median ratio of --probe-repeats interleaved timings of both: one short
    timing swings by a quarter from run to run on a quiet machine, and a ratio taken side by side does not drift with it."""
    reference = probe(task, args.probe_against, args)
    ratios = [_seconds_per_step(task, args.probe_against, args, f"ref{i}") / _seconds_per_step(task, variant, args, f"rep{i}")
              for i in range(args.probe_repeats)]
    ratio = float(np.median(ratios))
    return reference * ratio, f"{args.probe_against}'s rate x {ratio:.3f}, the median of {args.probe_repeats} interleaved ratios"


def run_row(task: str, variant: str, args) -> dict:
    from robot_hf.config.compose import compose
    from robot_hf.training.workspace import TrainWorkspace

    data = record_demos(args.out, task, variant, args.episodes)
    rate = probe(task, variant, args)
    steps = max(200, int(args.budget_min * 60 * rate))
    equal = args.equal_steps if args.equal_steps and args.equal_steps < steps else 0
    print(f"[{task} / {variant}] {rate:.2f} steps/s on {args.probe_threads} threads -> {steps} steps in {args.budget_min} min"
          f"{f'; also evaluated at {equal}' if equal else ''}", flush=True)
    run_dir = args.out / "runs" / run_name(task, variant, args.seed, args.budget_min, args.episodes)
    cfg = compose("train", [*row_overrides(task, variant, data, args), f"train.steps={steps}",
                            f"train.warmup_steps={min(500, steps // 10)}", f"train.save_every={steps}", f"train.eval_every={equal}",
                            "train.eval_final=false", f"eval.episodes={args.eval_episodes}", "eval.num_envs=2", f"eval.seed={EVAL_SEED}",
                            "eval.videos=0", f"train.log_every={max(10, steps // 50)}", f"run.dir={run_dir}", f"run.seed={args.seed}",
                            f"train.resume={str(any((run_dir / 'checkpoints').glob('step_*'))).lower()}"])
    result = TrainWorkspace(cfg).run()
    evals = {int(e["step"]): e for e in result.evals}
    row = {"task": task, "variant": variant, "seed": args.seed, "episodes": args.episodes, "probe_steps_per_s": rate, "budget_min": args.budget_min, "steps": result.steps,
           "final": final_evaluation(run_dir, eval_task(task, variant), args.eval_episodes), "equal_steps": equal,
           "at_equal": _score(evals[equal]) if equal else None, "final_loss": result.final_loss}
    (run_dir / "row.json").write_text(json.dumps(row, indent=2))
    return row


def final_evaluation(run_dir: Path, task: dict, episodes: int, acting: dict | None = None, seed: int = EVAL_SEED) -> dict:
    """The last checkpoint on the held-out seeds (`episodes` from `seed`), with each episode's outcome (for paired tests
    between rows); `acting`: how the trained policy acts instead of as it was trained (eval's policy.<key>=...), e.g.
    {"n_action_steps": 4}."""
    from policies.base import Policy
    from robot_hf.evaluation.rollout import evaluate
    from robot_hf.training.checkpoint import Checkpoints

    policy = Policy.from_pretrained(Checkpoints(run_dir).last() / "pretrained_model", acting=acting)
    result = evaluate(policy, task, episodes, 2, seed)
    print(f"[{run_dir.name}] final: {result.line()}", flush=True)
    return {**_score(result.summary()), "successes": [bool(e["success"]) for e in result.per_episode],
            "max_rewards": [float(e["max_reward"]) for e in result.per_episode]}


# Settings of a trained diffusion policy's acting, no retraining: the actions run from each chunk, the DDIM steps.
ACTING = DiffusionConfig.ACTING


def acting_lines(out: Path, specs: list[str], episodes: int) -> list[str]:
    """RUN:KEY=VALUE[,KEY=VALUE]: the finished run's last checkpoint acting otherwise, on the same held-out seeds, against
    its own final evaluation (paired); each result is kept in the run's acting.json."""
    from robot_hf.evaluation.protocol import paired_bootstrap

    lines = []
    for spec in specs:
        name, settings = spec.split(":")
        run_dir = out / "runs" / name
        row = json.loads((run_dir / "row.json").read_text())
        kept_path = run_dir / "acting.json"
        kept = json.loads(kept_path.read_text()) if kept_path.exists() else {}
        if settings not in kept:
            acting = {k: int(v) for k, v in (kv.split("=") for kv in settings.split(","))}
            kept[settings] = final_evaluation(run_dir, eval_task(row["task"], row["variant"]), episodes, acting)
            kept_path.write_text(json.dumps(kept, indent=2))
        new, old = kept[settings], row["final"]
        gain, lo, hi = paired_bootstrap(np.array(new["max_rewards"]), np.array(old["max_rewards"]))
        lines.append(f"{name} acting with {settings}: success {100 * new['success_rate']:.0f}% against {100 * old['success_rate']:.0f}%, "
                     f"mean max reward {new['mean_max_reward']:.3f} against {old['mean_max_reward']:.3f} "
                     f"(paired {gain:+.3f}, 95% CI {lo:+.3f} to {hi:+.3f}), {len(new['max_rewards'])} episodes")
    return lines


def locked_test_evaluation(run_dir: Path, episodes: int, ledger: Path) -> dict:
    """The last checkpoint on the first `episodes` seeds of the locked test range: every row is tuned on the held-out
    dev seeds (EVAL_SEED), so a claim is confirmed here. Read once per run and kept (test_<episodes>.json); each read is
    counted in `ledger`."""
    from robot_hf.evaluation.protocol import LockedReadLedger, seed_range

    path = run_dir / f"test_{episodes}.json"
    if path.exists():
        return json.loads(path.read_text())
    row = json.loads((run_dir / "row.json").read_text())
    seeds = seed_range("test").seeds(episodes)
    LockedReadLedger(ledger).record(f"diffusion budget {run_dir.name}", seeds)
    result = final_evaluation(run_dir, eval_task(row["task"], row.get("variant", "")), episodes, seed=seeds[0])
    path.write_text(json.dumps(result, indent=2))
    return result


def paired_lines(out: Path, pairs: list[tuple[str, str]], test_episodes: int = 0, ledger: Path | None = None) -> list[str]:
    """Row a against row b on the same held-out seeds (or, with `test_episodes`, that many locked test seeds): success
    (McNemar), and where the reward says more than success (PushT's coverage) the mean max reward's paired difference.
    Rows from before the outcomes were kept are evaluated
    once more from their saved checkpoint, as later rows are; the in-training evaluation they had is kept beside it
    (the two can differ in an episode or two: the same seeds and weights, but the training copy is channels-last and
    ran on the row's one thread, and kernels that sum in another order flip close episodes)."""
    from robot_hf.evaluation.protocol import compare, paired_bootstrap

    def final(name: str) -> dict:
        if test_episodes:
            return locked_test_evaluation(out / "runs" / name, test_episodes, ledger)
        path = out / "runs" / name / "row.json"
        row = json.loads(path.read_text())
        if "successes" not in row["final"] or _graded(row["final"]) and "max_rewards" not in row["final"]:
            if "successes" not in row["final"]:  # the old row's only evaluation was the training loop's
                row["final_in_training"] = row["final"]
            row["final"] = final_evaluation(path.parent, eval_task(row["task"], row.get("variant", "")), row["final"]["episodes"])
            path.write_text(json.dumps(row, indent=2))
        return row["final"]

    lines = []
    for a, b in pairs:
        fa, fb = final(a), final(b)
        lines.append(compare(a, np.array(fa["successes"]), b, np.array(fb["successes"]))
                     + (f" ({test_episodes} locked test seeds)" if test_episodes else ""))
        if _graded(fa) and "max_rewards" in fa and "max_rewards" in fb:
            gain, lo, hi = paired_bootstrap(np.array(fa["max_rewards"]), np.array(fb["max_rewards"]))
            lines.append(f"  mean max reward {a} - {b}: {gain:+.3f} (95% CI {lo:+.3f} to {hi:+.3f}), "
                         f"{len(fa['max_rewards'])} paired episodes")
    return lines


def _graded(final: dict) -> bool:
    """Whether the task's reward says more than success (PushT's coverage; Lift's reward is its success)."""
    return final["mean_max_reward"] != final["success_rate"]


def run_name(task: str, variant: str, seed: int, budget_min: float = 15.0, episodes: int = DEMOS) -> str:
    """A row's folder: the task and variant, then the training seed, the budget and the demos where not the defaults."""
    return (f"{task}_{variant}" + (f"_seed{seed}" if seed else "") + (f"_{budget_min:g}min" if budget_min != 15.0 else "")
            + (f"_{episodes}demos" if episodes != DEMOS else ""))


def _score(e: dict) -> dict:
    return {k: e[k] for k in ("success_rate", "ci95", "mean_max_reward", "mean_max_progress", "episodes")}


def print_table(out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"diffusion policy in a CPU budget ({out}): 64x64 images, success over 50 held-out seeds")
    for c in ("task", "variant", "demos", "training seed", "steps/s (probe)", "steps", "minutes at probe rate", "trained min (this run)",
              "success (95% CI)", "in-training eval", "mean max reward", "mean max progress", "at equal steps: steps", "success", "mean max reward ",
              "final loss"):
        table.add_column(c, no_wrap=c == "variant")
    for path in sorted((out / "runs").glob("*/row.json")):
        r = json.loads(path.read_text())
        f, e = r["final"], r["at_equal"]
        _, seconds = logged_training_rate(path.parent)
        lo, hi = f["ci95"]
        table.add_row(r["task"], r["variant"], str(r.get("episodes", DEMOS)), str(r.get("seed", 0)), f"{r['probe_steps_per_s']:.2f}", str(r["steps"]),
                      f"{r['steps'] / r['probe_steps_per_s'] / 60:.1f}", f"{seconds / 60:.1f}",
                      f"{100 * f['success_rate']:.0f}% ({100 * lo:.0f}-{100 * hi:.0f})",
                      f"{100 * r['final_in_training']['success_rate']:.0f}%" if "final_in_training" in r else "-", f"{f['mean_max_reward']:.3f}",
                      f"{f['mean_max_progress']:.2f}", str(r["equal_steps"] or "-"),
                      f"{100 * e['success_rate']:.0f}%" if e else "-", f"{e['mean_max_reward']:.3f}" if e else "-",
                      f"{r['final_loss']:.4f}")
    Console(width=250).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="*", default=ROWS, help="task:variant, variants joined by '+'")
    parser.add_argument("--budget-min", type=float, default=15.0)
    parser.add_argument("--equal-steps", type=int, default=0, help="also evaluate rows that train past this many steps every this many steps")
    parser.add_argument("--probe-threads", type=int, default=2, help="threads the budget is timed with (the whole CPU)")
    parser.add_argument("--probe-only", action="store_true", help="time every row's step and stop")
    parser.add_argument("--probe-against", default="", metavar="VARIANT",
                        help="time a new row side by side with this variant's row (kept rate x median ratio), not alone")
    parser.add_argument("--probe-repeats", type=int, default=3, help="interleaved timings for --probe-against")
    parser.add_argument("--seed", type=int, default=0, help="training seed (run.seed): the initial weights and batches")
    parser.add_argument("--episodes", type=int, default=DEMOS, help="demos to train on (more than 100: the 100 topped up)")
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/diffusion_budget"))
    parser.add_argument("--table", action="store_true", help="only print the table of finished rows")
    parser.add_argument("--acting", nargs="*", default=[], metavar="RUN:KEY=VALUE",
                        help=f"a finished run acting otherwise (keys: {', '.join(ACTING)}), e.g. pusht_obs1:n_action_steps=4")
    parser.add_argument("--compare", nargs="*", default=[], metavar="RUN:RUN",
                        help="paired tests of finished runs on the same seeds, e.g. lift_baseline:lift_obs1+sample")
    parser.add_argument("--test-episodes", type=int, default=0,
                        help="--compare on this many seeds of the locked test range (each run read once, counted in --ledger)")
    parser.add_argument("--ledger", type=Path, default=Path("benchmarks/results/test_seed_reads.json"))
    args = parser.parse_args()
    rows = [r.split(":") for r in args.rows]
    for task, variant in rows:
        unknown = [v for v in variant.split("+") if v not in VARIANTS]
        if unknown:
            parser.error(f"--rows: unknown variant(s) {unknown} in {task}:{variant}; known: {sorted(VARIANTS)}")
    if args.episodes < DEMOS:
        parser.error(f"--episodes {args.episodes}: give at least {DEMOS} (more are the {DEMOS} topped up)")
    unknown = [v for v in args.probe_against.split("+") if args.probe_against and v not in VARIANTS]
    if unknown:
        parser.error(f"--probe-against: unknown variant(s) {unknown}; known: {sorted(VARIANTS)}")
    pairs = [tuple(c.split(":")) for c in args.compare]
    missing = [name for pair in pairs for name in pair if not (args.out / "runs" / name / "row.json").exists()]
    bad_acting = [a for a in args.acting if a.count(":") != 1 or not all(
        kv.count("=") == 1 and kv.split("=")[0] in ACTING and kv.split("=")[1].isdigit() for kv in a.split(":")[-1].split(","))]
    if bad_acting:
        parser.error(f"--acting: {bad_acting} not RUN:KEY=VALUE[,KEY=VALUE] with keys from {sorted(ACTING)} and whole numbers")
    missing += [a.split(":")[0] for a in args.acting if not (args.out / "runs" / a.split(":")[0] / "row.json").exists()]
    if any(len(p) != 2 for p in pairs) or missing:
        parser.error(f"--compare, --acting: give finished runs (missing {missing}); finished: "
                     f"{sorted(p.parent.name for p in (args.out / 'runs').glob('*/row.json'))}")
    if not args.table:
        (args.out / "probe").mkdir(parents=True, exist_ok=True)
        for task, variant in rows:
            if args.probe_only:
                record_demos(args.out, task, variant, DEMOS)
                print(f"{task}:{variant} {probe(task, variant, args):.2f} steps/s", flush=True)
            elif not (args.out / "runs" / run_name(task, variant, args.seed, args.budget_min, args.episodes) / "row.json").exists():
                run_row(task, variant, args)
    if not args.probe_only:
        print_table(args.out)
        for line in paired_lines(args.out, pairs, args.test_episodes, args.ledger) + acting_lines(args.out, args.acting, args.eval_episodes):
            print(line)


if __name__ == "__main__":
    main()
