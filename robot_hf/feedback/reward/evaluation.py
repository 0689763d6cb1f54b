"""How good a learned reward is, and the early signs that a policy could exploit it.

Quality: held-out pair accuracy; rank correlation with the task's true progress (over all frames, and
within each episode); how well the end of an episode separates successes from failures (ROC AUC).
Warnings (RESEARCH.md, reward hacking): the episode return's correlation with episode length (a reward
that pays for dawdling), reward and ensemble disagreement on frames far from every labelled segment
against frames near one (a reward extrapolating where no one judged).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from policies.reward import RewardModel
from robot_hf.feedback.reward.frames import FramePool
from robot_hf.feedback.reward.training import LabelledPairs, pair_accuracy


def roc_auc(scores_pos: np.ndarray, scores_neg: np.ndarray) -> float:
    """P(a random positive scores above a random negative), ties counting half."""
    if len(scores_pos) == 0 or len(scores_neg) == 0:
        return float("nan")
    diff = np.asarray(scores_pos)[:, None] - np.asarray(scores_neg)[None, :]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def labelled_mask(pool: FramePool, pairs: LabelledPairs, margin: int) -> np.ndarray:
    """(N,) True for frames within `margin` frames (same episode) of a segment someone labelled."""
    near = np.zeros(pool.num_frames, dtype=bool)
    for seg in pairs.a + pairs.b:
        e = int(pool.episode_of[seg[0]])
        lo, hi = pool.bounds[e]
        near[max(lo, seg[0] - margin):min(hi, seg[-1] + 1 + margin)] = True
    return near


def evaluate_reward(model: RewardModel, pool: FramePool, episodes: np.ndarray, segment: int,
                    held_out: LabelledPairs | None = None, trained_on: LabelledPairs | None = None) -> dict:
    """Metrics over `episodes` of the pool; progress-based ones only where the pool knows the true progress."""
    members = model.rewards(pool.pixels, pool.state if model.state_dim else None)  # (M, N)
    reward, spread = members.mean(axis=0), members.std(axis=0)
    frames = np.concatenate([pool.episode_frames(e) for e in episodes])
    out: dict = {"episodes": len(episodes), "frames": len(frames), "members": len(members)}
    out["held_out_accuracy"] = pair_accuracy(model, pool, held_out) if held_out is not None and len(held_out) else float("nan")
    if pool.progress is not None:
        out["spearman_frames"] = _spearman(reward[frames], pool.progress[frames])
        per_episode = [_spearman(reward[pool.episode_frames(e)], pool.progress[pool.episode_frames(e)]) for e in episodes]
        out["spearman_within_episode"] = float(np.nanmean(per_episode)) if np.isfinite(per_episode).any() else float("nan")
    final = np.asarray([reward[pool.episode_frames(e)[-segment:]].mean() for e in episodes])
    success = pool.success[episodes]
    out["success_auc"] = roc_auc(final[success], final[~success])
    returns = np.asarray([reward[pool.episode_frames(e)].sum() for e in episodes])
    lengths = np.asarray([len(pool.episode_frames(e)) for e in episodes])
    out["return_vs_length"] = _spearman(returns, lengths)
    out["disagreement"] = float(spread[frames].mean())
    if trained_on is not None and len(trained_on):
        near = labelled_mask(pool, trained_on, segment)[frames]
        far = frames[~near]
        out["far_frames"] = int(len(far))
        out["disagreement_far_over_near"] = (float(spread[far].mean() / max(spread[frames[near]].mean(), 1e-8))
                                             if len(far) and near.any() else float("nan"))
        out["reward_far_minus_near"] = (float(reward[far].mean() - reward[frames[near]].mean())
                                        if len(far) and near.any() else float("nan"))
    return out


def warnings_of(metrics: dict) -> list[str]:
    """Plain-language warnings for the signs of an exploitable reward."""
    out = []
    if abs(metrics.get("return_vs_length", 0.0) or 0.0) > 0.5:
        sign = "longer" if metrics["return_vs_length"] > 0 else "shorter"
        out.append(f"episode return correlates with episode length (rho {metrics['return_vs_length']:+.2f}): "
                   f"a policy could raise it by making episodes {sign}")
    ratio = metrics.get("disagreement_far_over_near")
    if ratio is not None and np.isfinite(ratio) and ratio > 1.5:
        out.append(f"the members disagree {ratio:.1f}x more on frames far from any labelled segment: label there "
                   "(query.method=disagreement) before optimising a policy against this reward")
    gap = metrics.get("reward_far_minus_near")
    if gap is not None and np.isfinite(gap) and gap > 0.2:
        out.append(f"frames no one judged score {gap:+.2f} above judged ones: the reward extrapolates upward there")
    return out


def format_metrics(metrics: dict) -> str:
    names = [("held_out_accuracy", "held-out pair accuracy", "{:.1%}"), ("spearman_frames", "rank corr. with true progress (frames)", "{:+.3f}"),
             ("spearman_within_episode", "rank corr. with true progress (within episodes)", "{:+.3f}"),
             ("success_auc", "success vs failure AUC (episode end)", "{:.3f}"), ("return_vs_length", "return vs episode length (rho)", "{:+.3f}"),
             ("disagreement", "ensemble disagreement (std)", "{:.4f}"), ("disagreement_far_over_near", "disagreement far / near labels", "{:.2f}"),
             ("reward_far_minus_near", "reward far - near labels", "{:+.3f}")]
    lines = [f"{label:<50} {fmt.format(metrics[key]) if np.isfinite(metrics[key]) else 'n/a'}"
             for key, label, fmt in names if key in metrics]
    return "\n".join(lines)


def plot_episodes(model: RewardModel, pool: FramePool, episodes: list[int], path: Path) -> Path:
    """Learned reward (ensemble mean and spread) beside true progress, over time, for a few episodes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    members = model.rewards(pool.pixels, pool.state if model.state_dim else None)
    fig, axes = plt.subplots(1, len(episodes), figsize=(4 * len(episodes), 3), squeeze=False)
    for ax, e in zip(axes[0], episodes, strict=True):
        f = pool.episode_frames(e)
        t = np.arange(len(f)) / pool.reader.fps
        mean, std = members[:, f].mean(axis=0), members[:, f].std(axis=0)
        ax.plot(t, mean, label="learned reward")
        ax.fill_between(t, mean - std, mean + std, alpha=0.3)
        if pool.progress is not None:
            ax.plot(t, 2 * pool.progress[f] - 1, label="true progress (x2-1)")
        ax.set_title(f"episode {e} ({'success' if pool.success[e] else 'failure'})")
        ax.set_xlabel("s")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
