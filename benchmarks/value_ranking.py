"""Can best-of-N's value head tell the policy's own chunks apart? A diagnostic on recorded branches.

    MUJOCO_GL=egl python benchmarks/value_ranking.py \
        --sources outputs/benchmarks/reward_improvement/lift/seed_0/sources_mistaken --branches data_branches_240x4_s16

Best-of-N samples N chunks from one state and runs the one its value head scores best. The branch datasets of
reward_improvement.py's sources ablation hold exactly that choice, already played out: k continuations of the start
policy from one restored state, each run on in the sim. Half the branch points are held out; on them this script
asks which continuation each scorer would pick and how far the sim's true progress got after it (the max over the
continuation), against a random pick (best-of-1) and the best pick (an oracle):
- the value head as best-of-N fits it (the learned reward's reward-to-go on the recorded rollouts and demos),
- the same head fitted with the other half's branches too (k chunks from one state: the action's effect is in the data),
- the learned reward averaged over each whole continuation (what ranks DPO's branch pairs; it sees the outcome, so
  no run-time scorer can match it).
Pair accuracy counts, over every two continuations of a held-out point whose true progress differs, how often the
scorer orders them as the sim does (chance: 0.5); its 95% CI resamples branch points.
"""

from __future__ import annotations

import argparse
import os
from itertools import combinations
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("MUJOCO_GL", "egl")


def pick_table(groups, outcome, scorers, resamples: int = 2000, seed: int = 0) -> list[tuple[str, float, float, float, float]]:
    """Per scorer: pair accuracy, its 95% CI (resampling branch points) and the mean true outcome of its pick, over the
    held-out branch points; first the random pick's row (best-of-1: each point's mean outcome; no accuracy)."""
    keys = list(groups)
    outcomes = [np.array([outcome(m, key[1]) for m in groups[key]]) for key in keys]
    rows = [("random pick (best-of-1)", float("nan"), float("nan"), float("nan"), float(np.mean([o.mean() for o in outcomes])))]
    rng = np.random.default_rng(seed)
    boot = [rng.integers(0, len(keys), len(keys)) for _ in range(resamples)]
    for name, score in scorers.items():
        right, total, picked = np.zeros(len(keys)), np.zeros(len(keys)), np.zeros(len(keys))
        for i, (key, o) in enumerate(zip(keys, outcomes, strict=True)):
            s = np.array([score(m, key[1]) for m in groups[key]])
            picked[i] = o[int(np.argmax(s))]
            for a, b in combinations(range(len(o)), 2):
                if abs(o[a] - o[b]) > 1e-3:
                    total[i] += 1
                    right[i] += np.sign(s[a] - s[b]) == np.sign(o[a] - o[b])
        ci = np.percentile([right[b].sum() / max(total[b].sum(), 1) for b in boot], [2.5, 97.5])
        rows.append((name, right.sum() / max(total.sum(), 1), ci[0], ci[1], float(picked.mean())))
    return rows


def main() -> None:
    from policies.reward import RewardModel
    from robot_hf.dataset import DatasetReader
    from robot_hf.feedback.reward.branches import branch_groups
    from robot_hf.feedback.reward.progress import true_progress
    from robot_hf.feedback.reward.value import action_chunks, fit_value, frame_rewards

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, required=True, help="a sources ablation's folder (label/reward_model inside)")
    parser.add_argument("--branches", default="data_branches_240x4_s16", help="its branch dataset's folder name")
    parser.add_argument("--steps", type=int, default=8, help="actions per chunk the value head scores (the policy's n_action_steps)")
    parser.add_argument("--seed", type=int, default=0, help="which half of the branch points is held out")
    args = parser.parse_args()

    reader = DatasetReader(args.sources / args.branches)
    bounds = np.asarray(reader.episode_bounds)
    rewards = frame_rewards(RewardModel.from_pretrained(args.sources / "label" / "reward_model"), reader)
    progress = true_progress(reader)
    groups = branch_groups(reader)
    keys = list(groups)
    held = {keys[i] for i in np.random.default_rng(args.seed).permutation(len(keys))[: len(keys) // 2]}
    test = {k: groups[k] for k in keys if k in held}
    test_episodes = {m for members in test.values() for m in members}
    is_branch = np.array([ep.get("branch_of") is not None for ep in reader.meta.episodes])
    plain = [e for e in range(len(bounds)) if not is_branch[e]]
    with_branches = [e for e in range(len(bounds)) if e not in test_episodes]

    state = torch.as_tensor(np.array(reader.column("observation.state"), np.float32).reshape(reader.num_frames, -1))
    chunks = torch.as_tensor(action_chunks(np.asarray(reader.column("action"), np.float32).reshape(reader.num_frames, -1),
                                           bounds, args.steps))

    def value_scores(episodes):
        head, fitted = fit_value(reader, rewards, args.steps, episodes=episodes)
        with torch.no_grad():
            return head(state, chunks).numpy(), fitted

    def at_branch(scores):
        return lambda m, t: scores[bounds[m, 0] + t]

    plain_scores, plain_fit = value_scores(plain)
    branch_scores, branch_fit = value_scores(with_branches)
    scorers = {
        f"value head, rollouts and demos ({plain_fit['frames']} frames, held-out R^2 {plain_fit['held_out_r2']:.2f})":
            at_branch(plain_scores),
        f"value head, + the other half's branches ({branch_fit['frames']} frames, R^2 {branch_fit['held_out_r2']:.2f})":
            at_branch(branch_scores),
        "learned reward over the whole continuation (DPO's ranking)": lambda m, t: rewards[bounds[m, 0] + t + 1:bounds[m, 1]].mean(),
        "true progress (oracle pick)": lambda m, t: progress[bounds[m, 0] + t + 1:bounds[m, 1]].max(),
    }
    rows = pick_table(test, lambda m, t: progress[bounds[m, 0] + t + 1:bounds[m, 1]].max(), scorers)
    k = int(np.median([len(v) for v in test.values()]))
    print(f"{args.sources / args.branches}: {len(keys)} branch points, {len(test)} held out (k = {k} continuations each)")
    print(f"{'scorer':<100} {'pair accuracy (95% CI)':>24} {'true max progress of its pick':>30}")
    for name, accuracy, lo, hi, picked in rows:
        shown = "-" if np.isnan(accuracy) else f"{accuracy:.3f} ({lo:.3f}-{hi:.3f})"
        print(f"{name:<100} {shown:>24} {picked:>30.3f}")


if __name__ == "__main__":
    main()
