"""Where improvement rounds run: the task's simulation with a simulated person, or a real arm with a real one.

A site gives each round a robot and the person who may take over, evaluates a checkpoint, and says
what observations its robot records, so `Improver` runs the same rounds on either.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from robot_hf.dataset import DatasetWriter, robot_features
from robot_hf.session import StatusLine
from robot_hf.session.connection import connected


class SimSite:
    """Rollouts in the task's simulation with the simulated intervener; evaluation in vectorised envs on fixed seeds
    that no rollout or demonstration was recorded on."""

    realtime = False
    has_sim = True
    release = None  # nothing to make safe when a sim session is cut short

    def __init__(self, cfg: DictConfig, run_dir: Path, status: StatusLine):
        self.cfg, self.run_dir, self.status = cfg, run_dir, status
        self.task = OmegaConf.to_container(cfg.task, resolve=True)

    def robot(self):
        from sim.robot import SimRobot

        return SimRobot(self.task)

    def features(self) -> dict[str, Any]:
        robot = self.robot()
        try:
            return robot_features(robot)
        finally:
            robot.disconnect()

    def people(self, round_index: int) -> int:
        """The seed of round `round_index`'s simulated people: its intervener and its baseline demonstrator are the same."""
        return self.cfg.run.seed + 17 * round_index

    def open_round(self, round_index: int, policy, kind):
        """The round's robot and its simulated person (the feedback kind's: an intervener, a corrector)."""
        from sim.teleop import operator_styles

        robot = self.robot()
        n = self.cfg.feedback.intervener.operators
        styles = operator_styles(self.people(round_index), n) if n > 0 else None
        return robot, kind.person(self.cfg, robot, policy, seed=self.cfg.run.seed + round_index, styles=styles)

    def close_round(self, robot, person) -> None:
        robot.disconnect()

    def evaluate(self, policy, label: str, episodes: int):
        from robot_hf.evaluation.rollout import evaluate

        return evaluate(policy, self.task, episodes, self.cfg.eval.num_envs, self.cfg.eval.seed,
                        video_dir=self.run_dir / "videos" / label, videos=self.cfg.eval.videos,
                        video_height=self.cfg.eval.video_height)

    def close(self) -> None:
        pass


class RobotSite:
    """A real arm and the person at it: they take over with the leader arm, keyboard or gamepad, mark each rollout's
    outcome, and mark the outcomes of the evaluation episodes (recorded in <run.dir>/evaluations)."""

    realtime = True
    has_sim = False

    def __init__(self, cfg: DictConfig, run_dir: Path, status: StatusLine):
        from robot_hf.factory import make_robot, make_teleop

        self.cfg, self.run_dir, self.status = cfg, run_dir, status
        self.robot = make_robot(cfg)
        self.person = make_teleop(cfg, self.robot)
        self._connection = ExitStack()
        # Called when a session is cut short: the arm's torque goes off before anything else happens.
        self.release = self._connection.enter_context(connected(self.robot, self.person))
        self.task = {"name": self.robot.name}
        # A sim twin to evaluate in (evaluate_in=sim): the task's simulation, checked against the arm's features.
        self.twin = SimSite(cfg, run_dir, status) if cfg.evaluate_in == "sim" else None

    def features(self) -> dict[str, Any]:
        return robot_features(self.robot)

    def open_round(self, round_index: int, policy, kind):
        return self.robot, self.person

    def close_round(self, robot, person) -> None:
        pass

    def evaluate(self, policy, label: str, episodes: int):
        from robot_hf.evaluation.on_robot import evaluate_on_robot

        if self.twin is not None:
            from robot_hf.training.setup import check_task

            check_task(policy.config.features, self.twin.task, f"the policy of {label} (evaluate_in=sim)")
            return self.twin.evaluate(policy, label, episodes)
        root = self.run_dir / "evaluations"
        if (root / "meta/info.json").exists():
            writer = DatasetWriter.open(root)
        else:
            writer = DatasetWriter.create(root, self.robot.fps, self.features(), robot_type=self.robot.name)
        with writer:
            result = evaluate_on_robot(self.robot, policy, self.person, writer, episodes, seed=self.cfg.eval.seed,
                                       max_steps=self.cfg.eval.max_steps, video_dir=self.run_dir / "videos" / label,
                                       videos=self.cfg.eval.videos, reset_time_s=self.cfg.eval.reset_time_s,
                                       status=self.status, episode_meta={"evaluation": label}, on_abort=self.release)
        return result

    def close(self) -> None:
        self._connection.close()


def make_site(cfg: DictConfig, run_dir: Path, status: StatusLine):
    if cfg.evaluate_in not in ("auto", "sim"):
        raise ValueError(f"evaluate_in={cfg.evaluate_in!r}: use auto (where the rollouts run) or sim (the task's simulation)")
    if cfg.evaluate_in == "sim" and cfg.get("task") is None:
        raise ValueError("evaluate_in=sim evaluates in the arm's sim twin: name its task, e.g. task=lift")
    return SimSite(cfg, run_dir, status) if cfg.robot.type == "sim" else RobotSite(cfg, run_dir, status)
