r"""Preference-learned rewards: how many labels a visual reward needs, by query method and teacher.

    MUJOCO_GL=egl python benchmarks/preference_data.py                       # the datasets (once, ~15 min)
    MUJOCO_GL=egl python benchmarks/preferences.py --seeds 0 1               # the table (resumes finished runs)

Data (benchmarks/preference_data.py): per task, scripted demos (operators who misjudge grasps and wander) merged with
rollouts of a weak state-only MLP policy from the same seeded resets, recorded with images. Episodes are split once
into development (75%, where queries are drawn) and held-out test episodes (25%, never labelled).
Each run: label rounds to 50, 100, 200, 400 answers with a scripted teacher (the first 50 uniform, later batches by the
run's method), refitting the reward ensemble (3 members, images only, 48 px) after each; at each point it is scored on
500 uniform segment pairs of the test episodes against the oracle (ties dropped), and by the Spearman correlation of
its per-frame reward with the true progress over all test frames. What the teachers see: the task's true dense progress
of every frame (the sim's reach/grasp/lift or coverage terms), never the images; the reward model sees only images.
Training time is the wall time of the refit per 100 labels on this machine (2 CPU cores, torch 2 threads).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

CHECKPOINTS = [50, 100, 200, 400]
TEACHERS = {"oracle": {}, "mistaken": {"eps": 0.1}, "stochastic": {"beta": 1.0}}
METHODS = ("uniform", "disagreement")
SEGMENT = 20
TEST_PAIRS = 500
# Pairs whose mean true progress differs by at least this much (5% of the task): clear to a person watching.
CLEAR_GAP = 0.05


def split_episodes(num_episodes: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(12345).permutation(num_episodes)
    n_test = num_episodes // 4
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def one_run(pool, task: str, teacher_name: str, method: str, seed: int, dev, test, test_pairs, clear_pairs) -> list[dict]:
    from dataclasses import replace

    from policies.reward import RewardConfig
    from robot_hf.feedback.reward.evaluation import evaluate_reward
    from robot_hf.feedback.reward.labeling import label_rounds, teacher_answers
    from robot_hf.feedback.reward.queries import QueryConfig
    from robot_hf.feedback.reward.training import RewardTrainConfig, pair_accuracy
    from sim.teachers import ScriptedTeacher, TeacherConfig

    teacher = ScriptedTeacher(TeacherConfig(name=teacher_name, seed=seed, **TEACHERS[teacher_name]))
    rows = []

    def report(model, result: dict) -> None:
        metrics = evaluate_reward(model, pool, test, SEGMENT)
        rows.append({"task": task, "teacher": teacher_name, "method": method, "seed": seed, "labels": result["labels"],
                     "test_accuracy": pair_accuracy(model, pool, test_pairs), "clear_accuracy": pair_accuracy(model, pool, clear_pairs),
                     "spearman": metrics["spearman_frames"], "success_auc": metrics["success_auc"], "fit_seconds": result["seconds"]})
        print(json.dumps(rows[-1]), flush=True)

    label_rounds(pool, teacher_answers(pool, teacher, SEGMENT), lambda answers: None, RewardConfig(),
                 QueryConfig(segment=SEGMENT, method=method), replace(RewardTrainConfig(), seed=seed), CHECKPOINTS,
                 seed=seed, episodes=dev, report=report)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| task | teacher | queries | seeds | " + " | ".join(f"acc@{n}" for n in CHECKPOINTS) +
             " | clear pairs acc@200 | rank corr.@400 | success AUC@400 | fit s / 100 labels |", "|" + "---|" * (4 + len(CHECKPOINTS) + 4)]
    keys = sorted({(r["task"], r["teacher"], r["method"]) for r in rows},
                  key=lambda k: (k[0], list(TEACHERS).index(k[1]), METHODS.index(k[2])))
    for task, teacher, method in keys:
        mine = [r for r in rows if (r["task"], r["teacher"], r["method"]) == (task, teacher, method)]
        seeds = sorted({r["seed"] for r in mine})

        def at(n, key, fmt, mine=mine):
            vals = [r[key] for r in mine if r["labels"] == n]
            if not vals:
                return "-"
            spread = f" ±{np.std(vals):{fmt[1:]}}" if len(vals) > 1 else ""
            return f"{np.mean(vals):{fmt[1:]}}{spread}" if fmt != "%" else f"{100 * np.mean(vals):.1f}%" + (
                f" ±{100 * np.std(vals):.1f}" if len(vals) > 1 else "")

        fit_rate = [r["fit_seconds"] for r in mine]
        labels = [r["labels"] for r in mine]
        per100 = 100 * sum(fit_rate) / max(1, sum(labels))
        lines.append(f"| {task} | {teacher} | {method} | {len(seeds)} | " + " | ".join(at(n, "test_accuracy", "%") for n in CHECKPOINTS)
                     + f" | {at(200, 'clear_accuracy', '%')} | {at(400, 'spearman', ':.3f')} | {at(400, 'success_auc', ':.3f')} | {per100:.0f} |")
    return "\n".join(lines)


def timing(args) -> None:
    """Wall time of a refit from scratch per 100 labels, alone on the machine (the runs' own fit times share it)."""
    from policies.reward import RewardConfig, RewardModel
    from robot_hf.dataset import DatasetReader
    from robot_hf.feedback.reward.frames import FramePool
    from robot_hf.feedback.reward.labeling import teacher_answers
    from robot_hf.feedback.reward.queries import QueryConfig, select_queries
    from robot_hf.feedback.reward.training import LabelledPairs, RewardTrainConfig, fit_reward
    from sim.teachers import ScriptedTeacher, TeacherConfig

    print("| task | labels | fit steps | fit s | s per 100 labels |\n|---|---|---|---|---|")
    for task in args.tasks:
        pool = FramePool.load(DatasetReader(args.data / task / "merged"), 48, with_progress=True)
        oracle = teacher_answers(pool, ScriptedTeacher(TeacherConfig()), SEGMENT)
        for n in (100, 200):
            pairs = select_queries(pool, QueryConfig(segment=SEGMENT), n, np.random.default_rng(n))
            labelled = LabelledPairs.from_preferences(pool, oracle(pairs))
            model = RewardModel(RewardConfig(features=pool.features(False)))
            result = fit_reward(model, pool, labelled, RewardTrainConfig())
            print(f"| {task} | {n} | {result['steps']} | {result['seconds']:.0f} | {100 * result['seconds'] / n:.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/bench-out/prefdata"))
    parser.add_argument("--tasks", nargs="+", default=["lift", "pusht"])
    parser.add_argument("--teachers", nargs="+", default=list(TEACHERS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--log", type=Path, default=Path("benchmarks/results/preferences_runs.jsonl"))
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 when other runs share the machine)")
    parser.add_argument("--timing", action="store_true",
                        help="only time fitting a fresh reward to 100 and 200 oracle labels (run it on an idle machine)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from robot_hf.dataset import DatasetReader
    from robot_hf.feedback.reward.frames import FramePool
    from robot_hf.feedback.reward.labeling import teacher_answers
    from robot_hf.feedback.reward.queries import QueryConfig, select_queries
    from robot_hf.feedback.reward.training import LabelledPairs
    from sim.teachers import ScriptedTeacher, TeacherConfig

    if args.timing:
        timing(args)
        return
    done = [json.loads(line) for line in args.log.read_text().splitlines()] if args.log.exists() else []
    finished = {(r["task"], r["teacher"], r["method"], r["seed"]) for r in done if r["labels"] == CHECKPOINTS[-1]}
    rows = [r for r in done if (r["task"], r["teacher"], r["method"], r["seed"]) in finished]
    for task in args.tasks:
        start = time.perf_counter()
        pool = FramePool.load(DatasetReader(args.data / task / "merged"), 48, with_progress=True)
        dev, test = split_episodes(pool.num_episodes)
        oracle = teacher_answers(pool, ScriptedTeacher(TeacherConfig()), SEGMENT)
        pairs = select_queries(pool, QueryConfig(segment=SEGMENT), TEST_PAIRS, np.random.default_rng(999), episodes=test)
        test_pairs = LabelledPairs.from_preferences(pool, oracle(pairs))
        gap = np.abs([pool.progress[a:a + SEGMENT].mean() - pool.progress[b:b + SEGMENT].mean() for a, b in pairs])
        clear_pairs = test_pairs.subset(np.flatnonzero(gap >= CLEAR_GAP))
        print(f"{task}: {len(test_pairs)} test pairs, {len(clear_pairs)} of them clear (true progress {CLEAR_GAP} apart)")
        print(f"{task}: {pool.num_episodes} episodes ({pool.success.sum()} successful), {pool.num_frames} frames; "
              f"{len(dev)} dev / {len(test)} test episodes; loaded and replayed in {time.perf_counter() - start:.0f} s", flush=True)
        for seed in args.seeds:
            for teacher in args.teachers:
                for method in args.methods:
                    if (task, teacher, method, seed) in finished:
                        continue
                    new = one_run(pool, task, teacher, method, seed, dev, test, test_pairs, clear_pairs)
                    with args.log.open("a") as f:
                        f.writelines(json.dumps(r) + "\n" for r in new)
                    rows += new
    print(table(rows))


if __name__ == "__main__":
    main()
