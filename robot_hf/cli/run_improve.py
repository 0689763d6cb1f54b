"""`robot-hf improve`."""

from __future__ import annotations

from omegaconf import DictConfig
from rich.table import Table

from robot_hf.cli.console import make_console
from robot_hf.feedback.improve import Improver


def rounds_table(result) -> Table:
    """Every arm's rounds: success on the evaluation seeds and what each round cost the person."""
    table = Table(title=f"{result.method} on {result.task}: success on the same evaluation seeds after each round")
    for column in ("arm", "round", "success (95% CI)", "human frames", "person-s", "take-overs", "labels"):
        table.add_column(column, justify="left" if column == "arm" else "right")
    arms = [(result.method, result.rounds)] + ([("more demos", result.baseline)] if result.baseline else [])
    for name, rows in arms:
        for r in rows:
            table.add_row(name, str(r.round), f"{100 * r.success:.0f}% ({100 * r.ci95[0]:.0f}-{100 * r.ci95[1]:.0f})",
                          str(r.human_frames), f"{r.person_seconds:.0f}", str(r.takeovers or "-"), str(r.labels or "-"))
    return table


def main(cfg: DictConfig) -> int:
    result = Improver(cfg).run()
    make_console().print(rounds_table(result))
    first, last = result.rounds[0], result.rounds[-1]
    spent = sum(r.person_seconds for r in result.rounds)
    print(f"{result.method} on {result.task}: success {100 * first.success:.1f}% -> {100 * last.success:.1f}% in "
          f"{len(result.rounds) - 1} round(s), {last.cumulative_human_frames} human frames, {spent:.0f} person-s")
    if any(r.corrections for r in result.rounds):
        per_round = ", ".join(f"{r.corrections_per_episode:.1f}" for r in result.rounds[1:])
        print(f"corrections per rollout episode, round by round: {per_round}")
    if result.baseline:
        b = result.baseline[-1]
        print(f"more demos, same person-seconds: {100 * b.success:.1f}% with {b.cumulative_human_frames} human frames, "
              f"{sum(r.person_seconds for r in result.baseline):.0f} person-s")
    print(f"report: {result.report}")
    return 0
