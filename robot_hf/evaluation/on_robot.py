"""Evaluation on one robot, a real arm above all: the policy acts through the episode loop and a person marks
each episode a success (Enter) or a failure (n), or lets it run to the time limit (a failure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot_hf.dataset import DatasetWriter
from robot_hf.evaluation.rollout import EvalResult, wilson_interval
from robot_hf.interfaces import Robot, Teleoperator
from robot_hf.session import PolicyActor, StatusLine, run_session
from robot_hf.session.listeners import EpisodeVideos


def evaluate_on_robot(robot: Robot, policy, person: Teleoperator | None, writer: DatasetWriter, episodes: int, *,
                      seed: int = 100_000, max_steps: int | None = None, video_dir: str | Path | None = None, videos: int = 4,
                      reset_time_s: float = 0.0, realtime: bool = True, status: StatusLine | None = None,
                      episode_meta: dict[str, Any] | None = None, on_abort=None) -> EvalResult:
    """`episodes` episodes of the policy on `robot`, recorded into `writer` (every frame: the evaluation can be
    replayed, inspected, and learned from)."""
    import time

    t0 = time.perf_counter()
    clips = EpisodeVideos(Path(video_dir) if video_dir is not None else Path("."), robot.fps, videos if video_dir else 0)
    result = run_session(robot, PolicyActor(policy), writer, episodes, person=person, listeners=[clips], seed=seed,
                         max_steps=max_steps, realtime=realtime, reset_time_s=reset_time_s, status=status,
                         episode_meta=episode_meta, label="evaluation", on_abort=on_abort)
    n = len(result.saved)
    lengths = [e["length"] for e in result.episodes]
    success_lengths = [e["length"] for e in result.episodes if e["success"]]
    return EvalResult(
        episodes=n, success_rate=result.successes / max(1, n), ci95=wilson_interval(result.successes, n),
        mean_max_reward=None, mean_max_progress=None, mean_length=sum(lengths) / max(1, n),
        mean_length_success=sum(success_lengths) / len(success_lengths) if success_lengths else None,
        seconds=time.perf_counter() - t0, per_episode=result.episodes, videos=clips.paths,
        judged_by="the person" if person is not None else "the robot's success check",
    )
