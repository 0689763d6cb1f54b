"""`robot-hf improve`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.feedback.improve import Improver


def main(cfg: DictConfig) -> int:
    result = Improver(cfg).run()
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
