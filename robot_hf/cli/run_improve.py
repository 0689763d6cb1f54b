"""`robot-hf improve`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.feedback.improve import Improver


def main(cfg: DictConfig) -> int:
    result = Improver(cfg).run()
    first, last = result.rounds[0], result.rounds[-1]
    print(f"{result.method} on {result.task}: success {100 * first.success:.1f}% -> {100 * last.success:.1f}% in "
          f"{len(result.rounds) - 1} round(s), {last.cumulative_human_frames} human frames")
    if result.baseline:
        b = result.baseline[-1]
        print(f"more demos, same human frames: {100 * b.success:.1f}% with {b.cumulative_human_frames} human frames")
    print(f"report: {result.report}")
    return 0
