"""Evaluation on one robot, a real arm above all: the policy acts through the episode loop and a person marks
each episode a success (Enter) or a failure (n), or lets it run to the time limit (a failure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from robot_hf.dataset import DatasetWriter
from robot_hf.evaluation.rollout import wilson_interval
from robot_hf.interfaces import Robot, Teleoperator
from robot_hf.session import PolicyActor, StatusLine, run_session
from robot_hf.session.listeners import EpisodeVideos


@dataclass
class RobotEvalResult:
    episodes: int
    success_rate: float
    ci95: tuple[float, float]
    mean_length: float
    seconds: float
    # Who judged success: on an arm the person, in sim the task's own check.
    judged_by: str
    per_episode: list[dict[str, Any]] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    # What the sim's evaluation also reports; a person marking outcomes gives neither.
    mean_max_reward: float | None = None
    mean_max_progress: float | None = None

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("per_episode")
        return out

    def line(self) -> str:
        lo, hi = self.ci95
        return (f"success {100 * self.success_rate:.1f}% (95% CI {100 * lo:.1f}-{100 * hi:.1f}) over {self.episodes} episodes "
                f"judged by {self.judged_by}, mean length {self.mean_length:.1f} steps")


def evaluate_on_robot(robot: Robot, policy, person: Teleoperator | None, writer: DatasetWriter, episodes: int, *,
                      seed: int = 100_000, max_steps: int | None = None, video_dir: str | Path | None = None, videos: int = 4,
                      reset_time_s: float = 0.0, realtime: bool = True, status: StatusLine | None = None,
                      episode_meta: dict[str, Any] | None = None) -> RobotEvalResult:
    """`episodes` episodes of the policy on `robot`, recorded into `writer` (every frame: the evaluation can be
    replayed, inspected, and learned from)."""
    import time

    t0 = time.perf_counter()
    clips = EpisodeVideos(Path(video_dir) if video_dir is not None else Path("."), robot.fps, videos if video_dir else 0)
    result = run_session(robot, PolicyActor(policy), writer, episodes, person=person, listeners=[clips], seed=seed,
                         max_steps=max_steps, realtime=realtime, reset_time_s=reset_time_s, status=status,
                         episode_meta=episode_meta, label="evaluation")
    n = len(result.saved)
    return RobotEvalResult(
        episodes=n, success_rate=result.successes / max(1, n), ci95=wilson_interval(result.successes, n),
        mean_length=sum(e["length"] for e in result.episodes) / max(1, n), seconds=time.perf_counter() - t0,
        judged_by="the person" if person is not None else "the robot", per_episode=result.episodes, videos=clips.paths,
    )
