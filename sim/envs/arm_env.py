"""The tabletop SO-101 environment every arm task builds on."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from sim.arm import DLSIK, GRIPPER_OPEN, GRIPPER_RANGE, JOINT_NAMES, ArmIndex, planar_guess, wrap_angle
from sim.envs.base import MujocoTaskEnv


class ArmTaskEnv(MujocoTaskEnv):
    """SO-101 on a table with task objects.

    Actions are absolute joint targets + jaw angle (the real arm's units), or end-effector deltas
    (dx, dy, dz, dyaw) + jaw angle through DLS IK, as `task.action_space` says. The state is the six
    joint positions then their velocities, as the real arm's driver reports them.
    """

    cameras_available: ClassVar[tuple[str, ...]] = ("front", "wrist", "top")
    default_cameras: ClassVar[tuple[str, ...]] = ("front", "wrist")
    # Where the gripper waits at the start of an episode: (x, y, z, yaw).
    home_pose: ClassVar[tuple[float, float, float, float]] = (0.15, 0.0, 0.09, 0.0)
    controller_vars_size: ClassVar[int] = 9  # joint targets (5) + end-effector target (4)

    def __init__(self, config: Any = None, render_mode: str | None = "rgb_array", **overrides):
        super().__init__(config, render_mode, **overrides)
        self.arm = ArmIndex.of(self.model)
        self.ik = DLSIK(self.model)
        if self.config.action_space == "joint":
            low = np.append(self.arm.limits[:, 0], GRIPPER_RANGE[0]).astype(np.float32)
            high = np.append(self.arm.limits[:, 1], GRIPPER_RANGE[1]).astype(np.float32)
            names = list(JOINT_NAMES)
        else:
            step, yaw = self.config.ee_max_step_m, self.config.ee_max_step_yaw
            low = np.array([-step, -step, -step, -yaw, GRIPPER_RANGE[0]], np.float32)
            high = np.array([step, step, step, yaw, GRIPPER_RANGE[1]], np.float32)
            names = ["dx", "dy", "dz", "dyaw", "gripper"]
        robot_state = [f"{n}.pos" for n in JOINT_NAMES] + [f"{n}.vel" for n in JOINT_NAMES]
        self._set_spaces(robot_state, spaces.Box(low, high, dtype=np.float32), names)
        self._q_cmd = np.zeros(5)
        self._target = np.zeros(4)

    def _reset_robot(self, rng: np.random.Generator) -> None:
        x, y, z, yaw = self.home_pose
        q_home, _, _ = self.ik.solve(planar_guess(np.array([x, y, z]), yaw), np.array([x, y, z]), yaw)
        self.arm.set_joints(self.data, q_home, GRIPPER_OPEN)
        self._q_cmd = q_home.copy()

    def _after_settle(self) -> None:
        pos, yaw = self.arm.ee_pose(self.data)
        self._target = np.append(pos, yaw)

    def _apply_action(self, sent: np.ndarray) -> np.ndarray:
        if self.config.action_space == "joint":
            self._q_cmd = sent[:5].astype(np.float64)
        else:
            ws = self.config.workspace
            old = self._target.copy()
            pos = np.clip(old[:3] + sent[:3], ws[0::2], ws[1::2])
            yaw = float(wrap_angle(old[3] + sent[3]))
            self._q_cmd, _, _ = self.ik.solve(self._q_cmd, pos, yaw)
            self._target = np.append(pos, yaw)
            sent = sent.copy()
            sent[:3] = pos - old[:3]  # what workspace clipping let through
        self.arm.command(self.data, self._q_cmd, float(sent[-1]))
        return sent

    def _robot_state(self) -> np.ndarray:
        return np.concatenate([self.arm.joint_positions(self.data), self.arm.joint_velocities(self.data)])

    def _privileged(self) -> dict[str, Any]:
        pos, yaw = self.arm.ee_pose(self.data)
        return {
            "ee_pos": pos,
            "ee_yaw": yaw,
            "joints": self.arm.joint_positions(self.data),
            "joint_targets": self._q_cmd.copy(),
            "ee_target": self._target.copy(),
            **self._privileged_task(),
        }

    def _privileged_task(self) -> dict[str, Any]:
        return {}

    def _controller_vars(self) -> np.ndarray:
        return np.concatenate([self._q_cmd, self._target])

    def _set_controller_vars(self, values: np.ndarray) -> None:
        self._q_cmd, self._target = values[:5].copy(), values[5:9].copy()
