r"""Improving a weak policy with preferences, no new demos: RAFT, Diffusion-DPO and CPL against the start and against
spending the same person-seconds on new demonstrations.

    MUJOCO_GL=egl python benchmarks/reward_improvement.py --tasks lift                  # 3 training seeds, oracle
    MUJOCO_GL=egl python benchmarks/reward_improvement.py --tasks lift --train-seeds 0 --methods raft dpo
    MUJOCO_GL=egl python benchmarks/reward_improvement.py --tasks lift --teacher mistaken --labels-per-round 200

Per task and training seed: 20 scripted demonstrations (front camera recorded for the reward, 64 px) train a weak
diffusion policy (U-Net) on low-dimensional observations. Then each method runs `robot-hf improve feedback=preferences
feedback.method=<m>` for --rounds rounds: 20 rollouts of the policy alone (recorded with the camera) -> the teacher
answers --labels-per-round queries about 20-frame clip pairs drawn from demos and rollouts -> a reward ensemble
(48 px images only, 3 members) is refitted on every answer so far -> the policy is fine-tuned (RAFT: the top quarter
of rollouts by the learned reward plus the demos; DPO and CPL: the answers as preference pairs, the demos as the BC
anchor) -> evaluation on 50 development seeds. RAFT's run also runs the more-demos baseline: new demonstrations
from the simulated operators until the round's person-seconds are spent (every method asks the same number of labels,
so one baseline serves all). A label costs the clip length (2 s at 10 fps) plus `feedback.decide_s` (2 s).

What the simulated people see: the teacher judges by the task's true dense progress (sim state), which no camera
shows; the demonstrators drive with the scripted expert and operator styles. The reward model sees only images.

Finally the start and every arm's last checkpoint are evaluated again on --final-episodes new seeds (the dev_final
range, or with --final-seeds test the locked test range, each read counted; the same policy noise for all), and each
method is compared with the start, with more demos and with the anchor alone, paired (bootstrap interval, McNemar's
test), per training seed and pooled over them. With --takeover-rounds, DPO also learns from take-overs through
--rounds rounds of `robot-hf improve feedback=hg_dagger objective=dpo objective.sources=[intervention]` (each round's
take-overs are both the BC anchor's frames and DPO's pairs, the person's chunk over the policy's), beside the same
rounds without the pairs, the same two at the full finetune_lr (HG-DAgger as `improve` runs it), and new demos at
the DPO arm's driving seconds (the watching it also took is in its round table's watch-s column). The run is resumable: finished rounds and evaluations are kept under --out.
benchmarks/value_ranking.py asks, on the sources ablation's branches, whether best-of-N's value head can rank the
policy's own chunks at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

IMAGE = 64
METHODS = ("raft", "dpo", "cpl")


def task_overrides(task: str) -> list[str]:
    camera = "top" if task == "pusht" else "front"
    return [f"task={task}", "task.object_state=true", f"task.cameras=[{camera}]", f"task.image_height={IMAGE}",
            f"task.image_width={IMAGE}"]


def person_overrides(task: str) -> list[str]:
    """The simulated intervener's patience. Push-T's progress (coverage) stands still while the pusher walks around
    the block, 7-42 steps before the clean expert's first push gains 2% (20 seeds), so a person watching or driving
    waits longer there than the arm tasks' defaults (15 steps)."""
    if task != "pusht":
        return []
    return ["feedback.intervener.no_progress_steps=40", "feedback.intervener.give_up_steps=60"]


def prepare(task: str, out: Path, args, seed: int) -> tuple[Path, Path]:
    from robot_hf.cli.main import main as cli

    data, run = out / task / "demos", out / task / f"seed_{seed}" / "base"
    if not (data / "meta/info.json").exists():
        assert cli(["record", *task_overrides(task), f"dataset.num_episodes={args.demos}", f"dataset.root={data}"]) == 0
    if not (run / "checkpoints/last.txt").exists():
        assert cli(["train", *task_overrides(task), "policy=diffusion_unet", "policy.cameras=[]", "policy.down_dims=[64,128,256]",
                    f"dataset.root={data}", f"train.steps={args.base_steps}", "train.lr=3e-4", "train.warmup_steps=200",
                    "train.eval_every=0", "train.eval_final=false", f"train.save_every={args.base_steps}",
                    f"train.precision={args.precision}", f"run.seed={seed}", f"run.dir={run}"]) == 0
    return data, run / "checkpoints" / (run / "checkpoints/last.txt").read_text().strip()


def improve(task: str, method: str, data: Path, base: Path, out: Path, args, seed: int) -> dict:
    """`robot-hf improve feedback=preferences feedback.method=<method>`; RAFT's run also runs the more-demos baseline."""
    return improve_run(task, f"{method}_{args.teacher}", [
        "feedback=preferences", f"feedback.method={method}", f"feedback.labels_per_round={args.labels_per_round}",
        f"teacher={args.teacher}", f"baseline={str(method == 'raft' and not args.no_baseline).lower()}"], data, base, out, args, seed)


def improve_run(task: str, name: str, overrides: list[str], data: Path, base: Path, out: Path, args, seed: int) -> dict:
    from robot_hf.config.compose import compose
    from robot_hf.feedback.improve import Improver

    run_dir = out / task / f"seed_{seed}" / name
    result_file = run_dir / "improve.json"
    if result_file.exists():
        return json.loads(result_file.read_text())
    cfg = compose("improve", [*task_overrides(task), *overrides, f"policy.path={base}", f"dataset.root={data}",
                              f"rounds={args.rounds}", f"episodes_per_round={args.episodes_per_round}",
                              f"eval_episodes={args.eval_episodes}", f"finetune_steps={args.finetune_steps}", "eval.num_envs=2",
                              "eval.videos=0", f"train.precision={args.precision}", f"run.seed={seed}", f"run.dir={run_dir}",
                              *args.overrides])
    result = Improver(cfg).run().to_dict()
    result_file.write_text(json.dumps(result, indent=2))
    return result


# --takeover-rounds: DPO on the take-overs' pairs through `improve feedback=hg_dagger` rounds (each round's rollouts
# with the simulated intervener, its take-overs both the anchor's frames and DPO's pairs, the previous round's policy
# the frozen reference), beside the same rounds with the anchor alone at the same learning rate, and both again at
# the full finetune_lr (HG-DAgger as `improve` runs it); the first DPO arm's run also spends its person-seconds on new
# demos.
TAKEOVER_DPO, TAKEOVER_BC = "dpo, take-over rounds", "hg-dagger rounds (no pairs)"
TAKEOVER_HG, TAKEOVER_DEMOS = "hg-dagger rounds (full lr)", "more demos (take-overs' effort)"
TAKEOVER_DPO_FULL = "dpo, take-over rounds (full lr)"
TAKEOVER_ARMS = {TAKEOVER_DPO: ("takeover_dpo", ["objective=dpo", "objective.sources=[intervention]"]),
                 TAKEOVER_BC: ("takeover_bc", ["objective=bc", "objective.lr_scale=0.1"]),
                 TAKEOVER_HG: ("takeover_hg", ["objective=bc"]),
                 TAKEOVER_DPO_FULL: ("takeover_dpo_full", ["objective=dpo", "objective.sources=[intervention]", "objective.lr_scale=1"])}


def takeover_rounds(task: str, data: Path, base: Path, out: Path, args, seed: int) -> dict[str, dict]:
    results = {}
    for name, (run, objective) in TAKEOVER_ARMS.items():
        if args.takeover_arms and name not in args.takeover_arms:
            continue
        baseline = name == TAKEOVER_DPO and not args.no_baseline
        results[name] = improve_run(task, run, ["feedback=hg_dagger", *person_overrides(task), *objective,
                                                f"baseline={str(baseline).lower()}"], data, base, out, args, seed)
    return results


def final_evaluation(task: str, arms: dict[str, tuple[str, dict | None]], seed_dir: Path, episodes: int,
                     seeds: str = "dev_final", ledger: Path | None = None) -> dict[str, dict]:
    """Every arm's last checkpoint (run as best-of-N where it has a rerank) on `episodes` seeds of the `seeds` range,
    with per-episode outcomes; cached per checkpoint and rerank. Each evaluation on the locked test range is counted
    in `ledger`."""
    from omegaconf import OmegaConf

    from policies.base import Policy
    from robot_hf.cli.run_eval import with_rerank
    from robot_hf.evaluation.protocol import LockedReadLedger, seed_range
    from robot_hf.evaluation.rollout import evaluate

    cache = seed_dir / (f"final_eval_{episodes}.json" if seeds == "dev_final" else f"final_eval_{seeds}_{episodes}.json")
    done = json.loads(cache.read_text()) if cache.exists() else {}
    task_cfg = {"name": task, "object_state": True, "cameras": []}
    rows = {}
    for name, (checkpoint, rerank) in arms.items():
        key = checkpoint + (f"|{rerank['reward']}|{rerank['n']}" if rerank else "")
        if key not in done:
            policy = with_rerank(Policy.from_pretrained(checkpoint), OmegaConf.create(rerank) if rerank else None)
            e = evaluate(policy, task_cfg, episodes, 2, seed_range(seeds).start)
            if seeds == "test":
                LockedReadLedger(ledger).record(f"reward_improvement {seed_dir.relative_to(seed_dir.parents[1])}: {name}",
                                                seed_range(seeds).seeds(episodes))
            done[key] = {"success": e.success_rate, "ci95": list(e.ci95), "episodes": e.episodes, "seconds": e.seconds,
                         "outcomes": [ep["success"] for ep in e.per_episode], "seed_range": seeds,
                         "max_progress": [ep["max_progress"] for ep in e.per_episode]}
            # Runs of other arms on the same seed may have written meanwhile: keep theirs.
            done = {**(json.loads(cache.read_text()) if cache.exists() else {}), **done}
            cache.write_text(json.dumps(done, indent=2))
        rows[name] = done[key]
    return rows


def best_of_n_arms(task: str, raft_run: Path, start: Path, ns: list[int]) -> tuple[dict[str, str], dict[str, float]]:
    """Best-of-N from the start policy, no retraining: a value head fitted to RAFT's last reward model (the same labels)
    on RAFT's recorded episodes. Returns arm -> (checkpoint, rerank) and the seconds per chunk of each N."""
    import torch

    from policies.base import Policy
    from policies.reward import RewardModel
    from robot_hf.dataset import DatasetReader
    from robot_hf.feedback.reward.value import VALUE_DIR, fit_value, frame_rewards, load_value

    reward = max((raft_run / "rewards").glob("round_*"), key=lambda p: int(p.name.split("_")[1]))
    policy = Policy.from_pretrained(start)
    if not (reward / VALUE_DIR / "config.json").exists():
        reader = DatasetReader(raft_run / "data" / "preferences")
        head, _ = fit_value(reader, frame_rewards(RewardModel.from_pretrained(reward), reader), policy.config.n_action_steps)
        head.save_pretrained(reward / VALUE_DIR)
    value = load_value(reward)
    batch = {"observation.state": torch.zeros(1, policy.config.n_obs_steps, policy.state_dim), "task": [task]}
    latency = {}
    for n in [1, *ns]:
        policy.rerank(value, n)
        with torch.no_grad():
            policy.next_chunk(batch)
            t0 = time.perf_counter()
            for _ in range(5):
                policy.next_chunk(batch)
        latency[f"best-of-{n}" if n > 1 else "start"] = (time.perf_counter() - t0) / 5
    return {f"best-of-{n}": (str(start), {"n": n, "reward": str(reward)}) for n in ns}, latency


# Each arm's objective; the anchor alone (behaviour cloning on the same frames at the DPO arms' learning rate, no pairs)
# is the control that tells what the pairs add.
ANCHOR = "anchor only (no pairs)"
SOURCES = {"dpo: interventions only": ["objective=dpo", "objective.sources=[intervention]"],
           "dpo: labeler only": ["objective=dpo", "objective.sources=[teacher]"],
           "dpo: both": ["objective=dpo", "objective.sources=[intervention,teacher]"],
           ANCHOR: ["objective=bc", "objective.lr_scale=0.1"]}


BRANCHES = "dpo: branches only"  # with --branch-states: its pairs are recorded into a copy of the ablation's data
BRANCH_ARM = ["objective=dpo", "objective.sources=[branch]"]


def branch_dataset(task: str, root: Path, dataset: Path, base: Path, args, seed: int) -> Path:
    """The ablation's dataset plus on-policy pairs: the start policy's --branch-k continuations (--branch-steps long)
    from --branch-states states of its rollouts, ranked by the labeler's learned reward (the labels' own model)."""
    import shutil

    from omegaconf import OmegaConf

    from policies.base import Policy
    from policies.reward import RewardModel
    from robot_hf.config.compose import compose
    from robot_hf.dataset import DatasetReader, DatasetWriter
    from robot_hf.feedback.config import BranchConfig
    from robot_hf.feedback.reward.branches import branch_episodes, branch_pairs, record_branches
    from robot_hf.feedback.reward.value import frame_rewards
    from sim.robot import SimRobot

    before = args.branch_before_takeover
    out = root / f"data_branches_{args.branch_states}x{args.branch_k}_s{args.branch_steps}{f'_bt{before}' if before else ''}"
    if (out / "branches.done").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(dataset, out)
    is_branch = branch_episodes(DatasetReader(out))
    rollouts = [e for e in range(args.demos, len(is_branch)) if not is_branch[e]]  # the demos come first
    robot = SimRobot(OmegaConf.to_container(compose("train", task_overrides(task)).task, resolve=True))
    try:
        record_branches(robot, Policy.from_pretrained(base / "pretrained_model"), out, rollouts,
                        BranchConfig(states=args.branch_states, k=args.branch_k), args.branch_steps, seed=seed,
                        before_takeover=before)
    finally:
        robot.disconnect()
    reader = DatasetReader(out)
    pairs = branch_pairs(reader, frame_rewards(RewardModel.from_pretrained(root / "label" / "reward_model"), reader), 0.0)
    with DatasetWriter.open(out) as writer:
        writer.add_preferences(pairs)
    (out / "branches.done").write_text(f"{len(pairs)} pairs\n")
    return out


def sources_ablation(task: str, out: Path, args, seed: int, data: Path, base: Path) -> dict[str, tuple[str, None]]:
    """The same DPO fine-tune from the start policy with pairs from take-overs only, from the labeler only, and both,
    beside its anchor alone:
    one dataset of the demos, 20 rollouts of the start policy with the simulated intervener (each take-over a pair:
    the person's segment over the policy's before it), and 2 x labels-per-round teacher answers about its clips; the BC
    anchor is HG-DAgger's frames (demos and take-overs)."""
    import shutil

    from robot_hf.cli.main import main as cli

    root = out / task / f"seed_{seed}" / f"sources_{args.teacher}"
    dataset = root / "data"
    if not (root / "rollouts.done").exists():
        shutil.rmtree(dataset, ignore_errors=True)
        shutil.copytree(data, dataset)
        assert cli(["rollout", *task_overrides(task), f"policy.path={base}", "feedback=intervention", "teleop=scripted",
                    *person_overrides(task), "dataset.num_episodes=20", f"dataset.root={dataset}", "dataset.resume=true"]) == 0
        (root / "rollouts.done").write_text("")
    if not (root / "labels.done").exists():
        assert cli(["reward", "label", f"dataset.root={dataset}", f"teacher={args.teacher}",
                    f"labels={2 * args.labels_per_round}", f"batch={2 * args.labels_per_round}", f"run.seed={seed}",
                    f"run.dir={root / 'label'}"]) == 0
        (root / "labels.done").write_text("")
    arms = {}
    sources = dict(SOURCES)
    if args.branch_states:
        sources[BRANCHES] = BRANCH_ARM
    if args.source_arms:
        sources = {name: objective for name, objective in sources.items() if name in args.source_arms}
    extra = [o for o in args.overrides if o.startswith("objective.")]
    tag = "".join(f"_{o.removeprefix('objective.').replace('=', '')}" for o in extra)  # other objective settings train apart
    for name, objective in sources.items():
        run = root / (name.split(": ")[-1].split(" (")[0].replace(" ", "_") + tag)
        data_root = dataset
        if name == BRANCHES:
            data_root = branch_dataset(task, root, dataset, base, args, seed)
            run = root / (data_root.name.replace("data_", "") + tag)
        if not (run / "checkpoints/last.txt").exists():
            assert cli(["train", *task_overrides(task), *objective, "feedback=hg_dagger",
                        f"policy.path={base}", f"dataset.root={data_root}", f"train.steps={args.finetune_steps}", "train.lr=1e-4",
                        "train.warmup_steps=100", "train.eval_every=0", "train.eval_final=false",
                        f"train.save_every={args.finetune_steps}", f"train.precision={args.precision}", f"run.seed={seed}",
                        f"run.dir={run}", *extra]) == 0
        last = run / "checkpoints" / (run / "checkpoints/last.txt").read_text().strip() / "pretrained_model"
        arms[name] = (str(last), None)
    return arms


def round_table(task: str, seed: int, results: dict[str, dict]) -> list[str]:
    lines = [(f"{task}, training seed {seed}: success on 50 development seeds per round (95% CI), labels and person-seconds "
              "per round (driving, labelling), the seconds a person watched the rollouts, the learned reward's score of "
              "the round's rollouts (by that round's model), their true success, the round's wall time"),
             f"{'arm':<32}{'round':>6}{'success':>16}{'labels':>8}{'person-s':>10}{'watch-s':>9}{'learned':>9}{'rollouts':>10}{'wall-s':>8}"]
    for method, r in results.items():
        demos = TAKEOVER_DEMOS if method in TAKEOVER_ARMS else "more demos"
        arms = [(f"{method}", r["rounds"])] + ([(demos, r["baseline"])] if r["baseline"] else [])
        for name, rows in arms:
            for row in rows:
                score = f"{row['learned_score']:+.3f}" if row.get("learned_score") is not None else "-"
                roll = f"{100 * row['rollout_success']:.0f}%" if row.get("rollout_success") is not None else "-"
                lo, hi = row["ci95"]
                wall = f"{row['wall_seconds']:.0f}" if row.get("wall_seconds") is not None else ""
                success = f"{100 * row['success']:.0f} ({100 * lo:.0f}-{100 * hi:.0f})"
                lines.append(f"{name:<32}{row['round']:>6}{success:>16}"
                             f"{row.get('labels', 0):>8}{row.get('person_seconds', 0):>10.0f}"
                             f"{row.get('attention_seconds', 0):>9.0f}{score:>9}{roll:>10}{wall:>8}")
    return lines


def paired_lines(final: dict[str, dict]) -> list[str]:
    """Every arm against the start, the more-demos baseline and the anchor alone: McNemar on success, and the paired
    bootstrap of max progress."""
    import numpy as np

    from robot_hf.evaluation.protocol import compare, paired_bootstrap

    lines = []
    for method in [a for a in final if a not in ("start", "more demos")]:
        for other in ("start", "more demos", ANCHOR, *((TAKEOVER_BC, TAKEOVER_HG, TAKEOVER_DEMOS) if method in TAKEOVER_ARMS else ())):
            if other in final and other != method:
                lines.append("  " + compare(method, np.array(final[method]["outcomes"]), other, np.array(final[other]["outcomes"])))
                if "max_progress" in final[method] and "max_progress" in final[other]:
                    gain, lo, hi = paired_bootstrap(final[method]["max_progress"], final[other]["max_progress"])
                    lines.append(f"    max progress {method} - {other}: {gain:+.3f} (95% CI {lo:+.3f} to {hi:+.3f})")
    return lines


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=["lift"])
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="*", choices=METHODS, default=list(METHODS),
                        help="none with --sources-ablation runs the ablation alone")
    parser.add_argument("--teacher", default="oracle")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--labels-per-round", type=int, default=100)
    parser.add_argument("--episodes-per-round", type=int, default=20)
    parser.add_argument("--demos", type=int, default=20)
    parser.add_argument("--base-steps", type=int, default=3000)
    parser.add_argument("--finetune-steps", type=int, default=1000)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--final-episodes", type=int, default=100)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--precision", choices=["fp32", "auto", "bf16"], default="fp32",
                        help="train.precision of the base and every fine-tune (the 2026-12-03 runs had auto: bf16 on this CPU)")
    parser.add_argument("--sources-ablation", action="store_true",
                        help="also DPO with pairs from take-overs only, from the labeler only, and both")
    parser.add_argument("--branch-states", type=int, default=0,
                        help="with --sources-ablation: also DPO on on-policy pairs from this many branch points")
    parser.add_argument("--source-arms", nargs="*", default=[], choices=[*SOURCES, BRANCHES], metavar="ARM",
                        help=f"run only these arms of the sources ablation (default: all); one of {[*SOURCES, BRANCHES]}")
    parser.add_argument("--takeover-rounds", action="store_true",
                        help="also DPO on the take-overs' pairs through --rounds rounds of `improve feedback=hg_dagger`, "
                             "beside the same rounds without pairs, both at the full rate, and new demos at the same "
                             "driving seconds")
    parser.add_argument("--takeover-arms", nargs="*", default=[], choices=list(TAKEOVER_ARMS), metavar="ARM",
                        help=f"run only these arms of --takeover-rounds (default: all); one of {list(TAKEOVER_ARMS)}")
    parser.add_argument("--branch-k", type=int, default=4, help="continuations per branch point")
    parser.add_argument("--branch-steps", type=int, default=16, help="steps each continuation runs")
    parser.add_argument("--branch-before-takeover", type=int, default=0, metavar="FRAMES",
                        help="branch only from the FRAMES frames before a take-over (0: from any frame of a rollout)")
    parser.add_argument("--best-of", type=int, nargs="*", default=[4, 8, 16],
                        help="best-of-N from the start policy with a value head on RAFT's last reward (no retraining)")
    parser.add_argument("--final-seeds", choices=["dev_final", "test"], default="dev_final",
                        help="the final evaluation's seed range: dev_final (tuned on) or the locked test range (each read "
                             "is counted in --ledger)")
    parser.add_argument("--ledger", type=Path, default=Path(__file__).parent / "results" / "test_seed_reads.json",
                        help="where reads of the locked test seeds are counted")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/reward_improvement"))
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results" / "reward_improvement.txt")
    parser.add_argument("overrides", nargs="*", help="extra improve overrides, e.g. objective.beta=500")
    args = parser.parse_args()

    command = (f"# MUJOCO_GL=egl python benchmarks/reward_improvement.py {' '.join(sys.argv[1:])}  "
               f"({time.strftime('%Y-%m-%d')}, 2-core CPU)")
    lines = [command]
    for task in args.tasks:
        finals = []
        for seed in args.train_seeds:
            data, base = prepare(task, args.out, args, seed)
            results = {m: improve(task, m, data, base, args.out, args, seed) for m in args.methods}
            if args.takeover_rounds:
                results.update(takeover_rounds(task, data, base, args.out, args, seed))
            block = round_table(task, seed, results) if results else []
            start = base / "pretrained_model"
            arms = {"start": (str(start), None)}
            arms.update({m: (r["rounds"][-1]["checkpoint"], r["rounds"][-1].get("rerank")) for m, r in results.items()})
            for method, r in results.items():
                if r["baseline"]:
                    arms[TAKEOVER_DEMOS if method in TAKEOVER_ARMS else "more demos"] = (r["baseline"][-1]["checkpoint"], None)
            latency = {}
            if "raft" in results and args.best_of:
                reranked, latency = best_of_n_arms(task, args.out / task / f"seed_{seed}" / f"raft_{args.teacher}", start, args.best_of)
                arms.update(reranked)
            if args.sources_ablation:
                arms.update(sources_ablation(task, args.out, args, seed, data, base))
            final = final_evaluation(task, arms, args.out / task / f"seed_{seed}", args.final_episodes, args.final_seeds, args.ledger)
            finals.append(final)
            block.append(f"final: every arm's last checkpoint on {args.final_episodes} {args.final_seeds} seeds (seconds per chunk "
                         "where best-of-N is timed)")
            block += [f"  {name:<12} {100 * row['success']:.0f}% ({100 * row['ci95'][0]:.0f}-{100 * row['ci95'][1]:.0f})"
                      + (f"  mean max progress {np.mean(row['max_progress']):.3f}" if "max_progress" in row else "")
                      + (f"  {1000 * latency[name]:.1f} ms/chunk" if name in latency else "") for name, row in final.items()]
            block += paired_lines(final)
            lines += block
            print("\n".join(block), flush=True)
        if len(finals) > 1:  # the arms every training seed ran, their paired episodes pooled
            common = [a for a in finals[0] if all(a in f for f in finals)]
            pooled = {a: {k: [x for f in finals for x in f[a][k]] for k in ("outcomes", "max_progress") if all(k in f[a] for f in finals)}
                      for a in common}
            block = [f"{task}, pooled over training seeds {args.train_seeds} ({args.final_seeds} seeds):"]
            block += [f"  {a:<12} {100 * np.mean(r['outcomes']):.1f}%" + (f"  mean max progress {np.mean(r['max_progress']):.3f}"
                                                                          if "max_progress" in r else "") for a, r in pooled.items()]
            block += paired_lines(pooled)
            lines += block
            print("\n".join(block), flush=True)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    with args.results.open("a") as f:
        f.write("\n".join(lines) + "\n\n")
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
