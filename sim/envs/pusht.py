"""Push-T: push a T block onto a goal pose with a planar pusher.

Reward is the goal coverage; success is coverage >= 0.95, as LeRobot's gym-pusht counts it. The
action is the pusher's target position (its two slide joints), the state its position and velocity.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from sim.envs.base import MujocoTaskEnv
from sim.envs.coverage import coverage

GOAL_POSE = np.array([0.0, 0.0, np.pi / 4])
SUCCESS_COVERAGE = 0.95
BOARD_HALF_M = 0.25


class PushTEnv(MujocoTaskEnv):
    default_episode_time_s: ClassVar[float] = 30.0
    task_name: ClassVar[str] = "pusht"
    scene_file: ClassVar[str] = "pusht.xml"
    cameras_available: ClassVar[tuple[str, ...]] = ("top", "front")
    default_cameras: ClassVar[tuple[str, ...]] = ("top",)
    object_geoms: ClassVar[tuple[str, ...]] = ("t_bar", "t_stem")
    object_bodies: ClassVar[tuple[str, ...]] = ("tblock",)
    action_spaces: ClassVar[tuple[str, ...]] = ("joint",)
    settle_s: ClassVar[float] = 0.1

    def __init__(self, config: Any = None, render_mode: str | None = "rgb_array", **overrides):
        super().__init__(config, render_mode, **overrides)
        self._set_spaces(["x.pos", "y.pos", "x.vel", "y.vel"], spaces.Box(-BOARD_HALF_M, BOARD_HALF_M, (2,), np.float32), ["x", "y"])
        self._block = np.array([self.model.joint(n).qposadr[0] for n in ("t_x", "t_y", "t_yaw")])
        self._pusher = np.array([self.model.joint(n).qposadr[0] for n in ("pusher_x", "pusher_y")])
        self._pusher_dof = np.array([self.model.joint(n).dofadr[0] for n in ("pusher_x", "pusher_y")])
        self.max_coverage = 0.0

    def block_pose(self) -> np.ndarray:
        return self.data.qpos[self._block].copy()

    def pusher_pos(self) -> np.ndarray:
        return self.data.qpos[self._pusher].copy()

    def _reset_robot(self, rng: np.random.Generator) -> None:
        self.max_coverage = 0.0

    def _setup_scene(self, rng: np.random.Generator) -> None:
        while True:
            pose = np.array([rng.uniform(-0.14, 0.14), rng.uniform(-0.14, 0.14), rng.uniform(-np.pi, np.pi)])
            if coverage(pose, GOAL_POSE) < 0.5:  # start clearly away from the goal
                break
        self.data.qpos[self._block] = pose
        while True:
            pusher = rng.uniform(-0.2, 0.2, 2)
            if np.linalg.norm(pusher - pose[:2]) > 0.12:
                break
        self.data.qpos[self._pusher] = pusher
        self.data.ctrl[:] = pusher

    def _after_settle(self) -> None:
        self.max_coverage = coverage(self.block_pose(), GOAL_POSE)

    def _apply_action(self, sent: np.ndarray) -> np.ndarray:
        self.data.ctrl[:] = sent
        return sent

    def _robot_state(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[self._pusher], self.data.qvel[self._pusher_dof]])

    object_state_names: ClassVar[tuple[str, ...]] = ("block.x", "block.y", "block.cos", "block.sin")

    def _object_state(self) -> np.ndarray:
        x, y, th = self.block_pose()
        return np.array([x, y, np.cos(th), np.sin(th)])

    def _evaluate(self) -> tuple[bool, float]:
        cov = coverage(self.block_pose(), GOAL_POSE)
        self.max_coverage = max(self.max_coverage, cov)
        return cov >= SUCCESS_COVERAGE, cov

    def _reward(self, success: bool, progress: float) -> float:
        return float(progress)

    def instruction(self) -> str:
        return "push the T onto the target"

    def _info(self, success: bool, progress: float) -> dict[str, Any]:
        info = super()._info(success, progress)
        info.update({"coverage": float(progress), "max_coverage": float(self.max_coverage)})
        return info

    def _privileged(self) -> dict[str, Any]:
        return {"block_pose": self.block_pose(), "goal_pose": GOAL_POSE.copy(), "pusher_pos": self.pusher_pos()}

    task_vars_size: ClassVar[int] = 1

    def _task_vars(self) -> np.ndarray:
        return np.array([self.max_coverage])

    def _set_task_vars(self, values: np.ndarray) -> None:
        self.max_coverage = float(values[0])
