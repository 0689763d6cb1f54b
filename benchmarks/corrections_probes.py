"""Development probes for learning from corrections: do the corrections needed fall if the high level is taught a
correction's motion from before it arrived (`motions.lead_s`), or may pick a new motion mid-chunk
(`policy.repick_steps`)? Dev seeds only (the locked test range is never read here).

Starts from the corrections benchmark's own bases and demos (`--from`, its --out), runs 3 rounds of learning from
hotkey corrections with the lead for each training seed (kept under --out), then runs each checkpoint autonomously
and with the hotkey corrector on `--episodes` dev_final seeds: the start and the benchmark's own after-3-rounds
checkpoint (lead 0), each with repick 0 and `--repick`, and the lead run's after-3-rounds checkpoint. Prints the
table and the paired comparisons (corrections: a paired ratio; success: McNemar).

    MUJOCO_GL=egl python benchmarks/corrections_probes.py --train-seeds 0 1 2 --lead-s 0.5 --repick 1

`--correction-weights`: instead, what `feedback.correction_weight` (the weight of the frames a correction ran or named,
against the demos' 1; default 2) does: 3 rounds of learning from hotkey corrections at each weight from the same
bases, people and seeds, each after-3-rounds checkpoint measured as above against the start.

    MUJOCO_GL=egl python benchmarks/corrections_probes.py --correction-weights 2 5 --train-seeds 0 1 2

`--margin M` (after those runs): their start and the first weight's after-3-rounds checkpoint, each picking a motion
once a chunk, every step (`policy.repick_steps=1`), and every step with `policy.repick_margin=M` (the motion in force
stays unless another leads it by M in probability: does hysteresis keep re-picking's fewer corrections without its
flicker?).

    MUJOCO_GL=egl python benchmarks/corrections_probes.py --correction-weights 2 --margin 0.3 --train-seeds 0 1 2

`--oracle`: instead, the floor learning the high level could reach. Each training seed's start runs with the hotkey
corrector, its high level as trained and replaced by an oracle (the corrector's own wanted motion), re-picking every
chunk and every k steps of `--oracle-repicks`: how many corrections would a perfect high level still draw?

    MUJOCO_GL=egl python benchmarks/corrections_probes.py --oracle --train-seeds 0 --oracle-repicks 0 4 2 1
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import corrections
import interventions

ARMS = {"autonomous": None, "hotkey corrections": ["feedback.corrector.input=keys"]}


def measured(name: str, checkpoint: Path, repick: int, seed: int, args, margin: float = 0.0) -> dict[str, dict]:
    """Both arms of one checkpoint, run with `policy.repick_steps=repick` (and `repick_margin=margin`), on the
    dev_final seeds (kept in --out)."""
    run = f"probe_{name}_repick{repick}" + (f"_margin{margin:g}" if margin else "")
    cache = args.out / "lift" / f"seed_{seed}" / f"{run}_{args.episodes}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    rows = corrections.success("lift", checkpoint, args.episodes, cache.parent / run, arms=ARMS, seed=seed,
                               seeds="dev_final", repick_steps=repick, acting={"repick_margin": margin} if margin else None)
    result = {r["arm"]: r for r in rows}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(result))
    return result


class OracleHighLevel:
    """While active, a hierarchical policy's high level picks what the live simulated corrector wants."""

    def __init__(self):
        import torch

        from policies.hierarchical.policy import HierarchicalPolicy
        from robot_hf.feedback import corrector

        self.active, self.corrector = False, None
        self.learned = HierarchicalPolicy.motion_logits
        person_init, oracle = corrector.SimulatedCorrector.__init__, self

        def register(person, *args, **kwargs):
            person_init(person, *args, **kwargs)
            oracle.corrector = person

        def picks(policy, batch, goals):
            if not oracle.active or oracle.corrector is None:
                return oracle.learned(policy, batch, goals)
            wanted = policy.texts.index(oracle.corrector.intended())
            return 10 * torch.nn.functional.one_hot(torch.tensor([wanted]), len(policy.texts)).float()

        corrector.SimulatedCorrector.__init__ = register
        HierarchicalPolicy.motion_logits = picks


def oracle_floor(args) -> None:
    oracle = OracleHighLevel()
    print(f"{'high level':10s} {'seed':>4s} {'repick':>6s} {'with hotkeys':>12s} {'corrections/ep':>14s}")
    for seed in args.train_seeds:
        base = args.source / "lift" / f"seed_{seed}" / "base" / "checkpoints"
        start = base / (base / "last.txt").read_text().strip()
        for high in ("learned", "oracle"):
            oracle.active = high == "oracle"
            for repick in args.oracle_repicks:
                rows = corrections.success("lift", start, args.episodes, args.out / "lift" / f"seed_{seed}" / f"{high}_repick{repick}",
                                           arms={"hotkey corrections": ARMS["hotkey corrections"]}, seed=seed,
                                           seeds="dev_final", repick_steps=repick)
                row = rows[0]
                print(f"{high:10s} {seed:4d} {repick:6d} {100 * row['success']:11.0f}% {row['corrections_per_episode']:14.2f}",
                      flush=True)


def linked(args, seed: int) -> tuple[argparse.Namespace, Path, Path]:
    """The benchmark's arguments for `seed`, its demos and base (linked from --from where it has them, else trained)."""
    bench = corrections.arguments(["--out", str(args.out), "--train-seeds", str(seed)])
    here = args.out / "lift" / f"seed_{seed}"
    here.mkdir(parents=True, exist_ok=True)
    for link, target in ((args.out / "lift" / "demos", args.source / "lift" / "demos"),
                         (here / "base", args.source / "lift" / f"seed_{seed}" / "base")):
        if not link.exists() and target.exists():
            link.symlink_to(target.resolve())
    data, base = corrections.prepare("lift", bench, seed)
    return bench, data, base


def print_table(results: dict[str, dict[int, dict]], comparisons, seeds) -> None:
    from robot_hf.evaluation.protocol import compare, paired_ratio

    print(f"{'policy':22s} {'seed':>4s} {'autonomous':>10s} {'with hotkeys':>12s} {'corrections/ep':>14s}")
    for name, per_seed in results.items():
        for seed, arms in per_seed.items():
            auto, fixed = arms["autonomous"], arms["hotkey corrections"]
            print(f"{name:22s} {seed:4d} {100 * auto['success']:9.0f}% {100 * fixed['success']:11.0f}% "
                  f"{fixed['corrections_per_episode']:14.2f}")

    def pooled(name: str, arm: str, key: str) -> np.ndarray:
        return np.concatenate([np.asarray(results[name][s][arm][key], dtype=float) for s in seeds])

    for a, b in comparisons:
        ratio, lo, hi = paired_ratio(pooled(a, "hotkey corrections", "corrections"), pooled(b, "hotkey corrections", "corrections"))
        print(f"corrections an episode, {a} / {b}: {ratio:.2f} (95% CI {lo:.2f} to {hi:.2f})")
        for arm in ARMS:
            outcomes = [pooled(x, arm, "outcomes").astype(bool) for x in (a, b)]
            print(f"  {arm}: " + compare(a, outcomes[0], b, outcomes[1]))


def weight_ablation(args) -> None:
    results: dict[str, dict[int, dict]] = {}
    for seed in args.train_seeds:
        bench, data, base = linked(args, seed)
        results.setdefault("start", {})[seed] = measured("start", base, 0, seed, args)
        for weight in args.correction_weights:
            run = interventions.improve("lift", "corrections", False, data, base, args.out, bench,
                                        ["feedback.corrector.input=keys", f"feedback.correction_weight={weight:g}"],
                                        f"_weight{weight:g}", seed)
            results.setdefault(f"after, weight {weight:g}", {})[seed] = measured(
                f"after_weight{weight:g}", Path(run["rounds"][-1]["checkpoint"]), 0, seed, args)
    names = [f"after, weight {w:g}" for w in args.correction_weights]
    print_table(results, [*((n, "start") for n in names), *((n, names[0]) for n in names[1:])], args.train_seeds)


def margin_probe(args) -> None:
    """The start and the after-3-rounds checkpoint of the first `--correction-weights` run (in --out), each picking
    once a chunk, every step, and every step keeping the motion in force unless another leads by `--margin`."""
    weight = args.correction_weights[0] if args.correction_weights else 2.0
    results: dict[str, dict[int, dict]] = {}
    for seed in args.train_seeds:
        rounds = json.loads((args.out / "lift" / f"seed_{seed}" / f"corrections_weight{weight:g}" / "improve.json").read_text())["rounds"]
        for name, cached, checkpoint in (("start", "start", rounds[0]["checkpoint"]),
                                         ("after", f"after_weight{weight:g}", rounds[-1]["checkpoint"])):
            for label, repick, margin in ((name, 0, 0.0), (f"{name}, repick 1", 1, 0.0),
                                          (f"{name}, repick 1 margin {args.margin:g}", 1, args.margin)):
                results.setdefault(label, {})[seed] = measured(cached, Path(checkpoint), repick, seed, args, margin)
    margin = f"repick 1 margin {args.margin:g}"
    print_table(results, (("after", "start"), (f"after, {margin}", f"start, {margin}"), (f"start, {margin}", "start"),
                          (f"start, {margin}", "start, repick 1"), (f"after, {margin}", "after"),
                          (f"after, {margin}", "after, repick 1")), args.train_seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lead-s", type=float, default=0.5)
    parser.add_argument("--repick", type=int, default=1)
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--from", dest="source", type=Path, default=Path("outputs/benchmarks/corrections"),
                        help="the corrections benchmark's --out (its demos, bases and corrections arm are read)")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/corrections_probes"))
    parser.add_argument("--oracle", action="store_true", help="the corrections a perfect high level would still draw")
    parser.add_argument("--oracle-repicks", type=int, nargs="+", default=[0, 4, 2, 1])
    parser.add_argument("--correction-weights", type=float, nargs="+", default=[],
                        help="learn at each feedback.correction_weight instead (the first is the one compared against)")
    parser.add_argument("--margin", type=float, default=None,
                        help="run the first --correction-weights run's start and after checkpoints with policy.repick_margin")
    args = parser.parse_args()
    if args.oracle:
        oracle_floor(args)
        return
    interventions.NAMES.setdefault("corrections", "corrections")
    if args.margin is not None:
        margin_probe(args)
        return
    if args.correction_weights:
        weight_ablation(args)
        return
    results: dict[str, dict[int, dict]] = {}
    for seed in args.train_seeds:
        rounds = json.loads((args.source / "lift" / f"seed_{seed}" / "corrections" / "improve.json").read_text())["rounds"]
        start, after = Path(rounds[0]["checkpoint"]), Path(rounds[-1]["checkpoint"])
        bench, data, base = linked(args, seed)
        lead = interventions.improve("lift", "corrections", False, data, base, args.out, bench,
                                     ["feedback.corrector.input=keys", f"motions.lead_s={args.lead_s}"], "", seed)
        runs = {"start": ("start", start, 0), f"start, repick {args.repick}": ("start", start, args.repick),
                "after": ("after", after, 0), f"after, repick {args.repick}": ("after", after, args.repick),
                f"after, lead {args.lead_s}": ("lead", Path(lead["rounds"][-1]["checkpoint"]), 0)}
        for name, (checkpoint_name, checkpoint, repick) in runs.items():
            results.setdefault(name, {})[seed] = measured(checkpoint_name, checkpoint, repick, seed, args)
    print_table(results, (("after", "start"), (f"after, lead {args.lead_s}", "after"), (f"start, repick {args.repick}", "start"),
                          (f"after, repick {args.repick}", "after")), args.train_seeds)


if __name__ == "__main__":
    main()
