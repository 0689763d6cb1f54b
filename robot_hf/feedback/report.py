"""The improvement report: a markdown table and PNG plots of success per round and per human frame."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator


def _round_ticks(ax, first: int, last: int) -> None:
    """Rounds are whole numbers: a tick per round up to 20, integer ticks beyond."""
    if last - first <= 20:
        ax.set_xticks(range(first, last + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _legend_below(fig, ax) -> None:
    """One legend under the axes, never over the data, and room left for it."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))


def write_report(result, run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    arms = [(result.method, result.rounds)] + ([("more demos (same person-seconds)", result.baseline)] if result.baseline else [])

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, rows in arms:
        rounds = [r.round for r in rows]
        success = [100 * r.success for r in rows]
        lo = [100 * r.ci95[0] for r in rows]
        hi = [100 * r.ci95[1] for r in rows]
        axes[0].plot(rounds, success, marker="o", label=name)
        axes[0].fill_between(rounds, lo, hi, alpha=0.15)
        axes[1].plot([r.cumulative_human_frames for r in rows], success, marker="o", label=name)
    axes[0].set(xlabel="round", ylabel="success rate (%)", title=f"{result.task}: success per round (95% CI)", ylim=(0, 100))
    axes[1].set(xlabel="cumulative human frames", ylabel="success rate (%)", title="success per human frame", ylim=(0, 100))
    last = max(r.round for _, rows in arms for r in rows)
    axes[0].set_xlim(-0.3, last + 0.3)
    _round_ticks(axes[0], 0, last)
    for ax in axes:
        ax.grid(alpha=0.3)
    _legend_below(fig, axes[0])
    success_png = run_dir / "success.png"
    fig.savefig(success_png, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(min(8.0, 4 + 0.5 * last), 4))
    width = 0.25
    for k, (name, rows) in enumerate(arms):
        rows = rows[1:]
        ax.bar([r.round + (k - (len(arms) - 1) / 2) * width for r in rows], [r.human_frames for r in rows], width, label=name)
    # Rounds 1..last at fixed width: one round is one narrow bar, not a block filling the figure.
    ax.set(xlabel="round", ylabel="human frames", title="human frames spent per round", xlim=(0, max(last, 1) + 1))
    _round_ticks(ax, 1, max(last, 1))
    ax.grid(alpha=0.3, axis="y")
    _legend_below(fig, ax)
    frames_png = run_dir / "human_frames.png"
    fig.savefig(frames_png, dpi=110)
    plt.close(fig)

    lines = [f"# Improvement with {result.method} on {result.task}", "",
             "Success is measured on the same held-out seeds after every round.", "",
             ("| arm | round | success | 95% CI | mean max progress | human frames (round) | human frames (total) | "
              "person-s driving or typing (round) | person-s watching (round) | take-overs | corrections / episode | "
              "rollout success |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, rows in arms:
        for r in rows:
            rollout = f"{100 * r.rollout_success:.0f}%" if r.rollout_success is not None else "-"
            progress = f"{r.progress:.2f}" if r.progress is not None else "-"
            said = f"{r.corrections_per_episode:.1f}" if r.corrections else "-"
            lines.append(f"| {name} | {r.round} | {100 * r.success:.1f}% | {100 * r.ci95[0]:.0f}-{100 * r.ci95[1]:.0f}% | {progress} | "
                         f"{r.human_frames} | {r.cumulative_human_frames} | {r.person_seconds:.1f} | {r.attention_seconds:.1f} | "
                         f"{r.takeovers or '-'} | {said} | {rollout} |")
    first, last = result.rounds[0], result.rounds[-1]
    lines += ["", f"Change over {len(result.rounds) - 1} round(s): {100 * (last.success - first.success):+.1f} percentage points "
              f"for {result.method}" + (f", {100 * (result.baseline[-1].success - first.success):+.1f} for more demos" if result.baseline else "") + ".",
              ""]
    for r in result.rounds[1:]:
        if r.classes:
            mix = ", ".join(f"{name} {r.classes.get(name, 0)} x{weight:g}" for name, weight in r.class_weights.items())
            lines.append(f"- round {r.round} trained on frames (class, count, loss weight): {mix}")
    scored = [r for r in result.rounds[1:] if r.learned_score is not None]
    if scored:
        lines += ["", ("Preference labels and the learned reward (each round's rollouts, scored by that round's reward model; "
                       "the rollouts of round r were run by round r-1's policy). Judge by success, never by the learned reward:"), ""]
        lines += [f"- round {r.round}: {r.labels} labels ({r.labeling_seconds:.0f} person-s), learned reward of its rollouts "
                  f"{r.learned_score:+.3f}, their true success {100 * (r.rollout_success or 0):.0f}%" for r in scored]
        hacked = reward_hacking(result.rounds)
        warning = (f"WARNING: possible reward hacking in round(s) {hacked}: the learned reward of the rollouts rose while "
                   "their true success fell.")
        lines += ["", warning if hacked else "No round where the learned reward rose while true success fell."]
    lines += ["", f"![success]({success_png.name})", "", f"![human frames]({frames_png.name})", ""]
    report = run_dir / "report.md"
    report.write_text("\n".join(lines))
    return report


def reward_hacking(rounds) -> list[int]:
    """Rounds whose rollouts the learned reward scored higher than the round before's (both by this round's model)
    while the task's success on them fell."""
    flagged = []
    for before, now in pairwise(rounds[1:]):
        if None in (now.learned_score, now.learned_score_previous, before.rollout_success, now.rollout_success):
            continue
        if now.learned_score > now.learned_score_previous and now.rollout_success < before.rollout_success:
            flagged.append(now.round)
    return flagged
