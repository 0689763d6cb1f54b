"""End-effector deltas from a keyboard, gamepad or spacemouse, turned into joint targets.

Robots that take joint targets (the real SO-101 and Koch, or a sim task in joint mode) are driven in
Cartesian space through damped-least-squares IK on the sim twin's model of the arm: the same
kinematics, so the person steers the gripper, not the joints.
"""

from __future__ import annotations

import numpy as np

WORKSPACE = np.array([0.08, 0.32, -0.22, 0.22, 0.005, 0.3])


class EndEffectorAdapter:
    produces = "joint"

    def __init__(self, teleop):
        from sim.arm import DLSIK
        from sim.envs.scene import load_model

        self.teleop = teleop
        self.ik = DLSIK(load_model("lift.xml"))
        self.target: np.ndarray | None = None
        self.q: np.ndarray | None = None

    def connect(self) -> None:
        self.teleop.connect()

    def reset(self, joints: np.ndarray) -> None:
        """Start from where the arm is."""
        from sim.arm import yaw_of

        self.q = np.asarray(joints[:5], dtype=np.float64)
        pos, rot = self.ik.forward(self.q)
        self.target = np.append(pos, yaw_of(rot))

    def get_action(self, observation) -> np.ndarray:
        delta = self.teleop.get_action(observation)
        if self.q is None:
            self.reset(observation["state"])
        pos = np.clip(self.target[:3] + delta[:3], WORKSPACE[0::2], WORKSPACE[1::2])
        yaw = self.target[3] + delta[3]
        if np.any(delta[:4] != 0):
            self.q, _, _ = self.ik.solve(self.q, pos, yaw)
            self.target = np.append(pos, yaw)
        return np.append(self.q, delta[4]).astype(np.float32)

    def start_episode(self) -> None:
        self.q = None  # the first action starts from wherever the arm stands
        self.teleop.start_episode()

    def meet(self, joints: np.ndarray) -> None:
        """A take-over: steer from the gripper's pose as it is now."""
        self.reset(joints)
        self.teleop.meet(joints)

    def watch(self, watching: bool) -> None:
        self.teleop.watch(watching)

    def moving(self) -> bool:
        return self.teleop.moving()

    def episode_info(self) -> dict:
        return self.teleop.episode_info()

    def get_events(self) -> dict:
        return self.teleop.get_events()

    def disconnect(self) -> None:
        self.teleop.disconnect()
