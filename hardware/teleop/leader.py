"""A leader arm (SO-101 or Koch leader) as a teleoperator: its joint angles are the follower's targets.

Moving the leader while the follower is under policy control asks for a take-over (`intervene`);
`move_to` first drives the leader to the follower's pose, so control changes hands without a jump.
A keyboard may ride along for the episode keys (success, re-record, stop).
"""

from __future__ import annotations

import numpy as np

from hardware.arms.arm import Arm
from hardware.config import ArmConfig, DeviceTeleopConfig
from hardware.teleop.events import INTERVENE, EventQueue


class LeaderArmTeleop:
    produces = "joint"

    def __init__(self, config: DeviceTeleopConfig, arm: Arm | None = None, keyboard=None, motion_threshold_rad: float = 0.08):
        kind = config.type.removesuffix("_leader")
        self.config = config
        self.arm = arm or Arm(ArmConfig(type=kind, role="leader", port=config.port, baudrate=config.baudrate,
                                        calibration=config.calibration))
        self.keyboard = keyboard
        self.events = EventQueue()
        self.threshold = motion_threshold_rad
        self._rest: np.ndarray | None = None
        self.watching = False  # True while the policy drives: leader motion then means "take over"

    def connect(self) -> None:
        self.arm.connect()
        if self.keyboard is not None:
            self.keyboard.connect()

    def get_action(self, observation=None) -> np.ndarray:
        joints = self.arm.read_joints()
        if self.watching:
            if self._rest is None:
                self._rest = joints
            elif np.max(np.abs(joints - self._rest)) > self.threshold:
                self.events.put(INTERVENE)
                self._rest = None
        else:
            self._rest = None
        return joints

    def moving(self) -> bool:
        return self._rest is not None and np.max(np.abs(self.arm.read_joints() - self._rest)) > self.threshold

    def move_to(self, joints: np.ndarray) -> None:
        self.arm.move_to(joints)

    def get_events(self) -> dict:
        events = self.events.take()
        if self.keyboard is not None:
            events.update(self.keyboard.get_events())
        return events

    def disconnect(self) -> None:
        self.arm.disconnect()
        if self.keyboard is not None:
            self.keyboard.disconnect()
