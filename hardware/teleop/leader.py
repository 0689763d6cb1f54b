"""A leader arm (SO-101 or Koch leader) as a teleoperator: its joint angles are the follower's targets.

Moving the leader while the follower is under policy control asks for a take-over (`moving`);
`meet` first drives the leader to the follower's pose, so control changes hands without a jump.
A keyboard may ride along for the episode keys (success, re-record, stop).
"""

from __future__ import annotations

import numpy as np

from hardware.arms.arm import Arm
from hardware.config import ArmConfig, DeviceTeleopConfig
from hardware.teleop.base import DeviceTeleop
from hardware.teleop.events import EventQueue


class LeaderArmTeleop(DeviceTeleop):
    produces = "joint"

    def __init__(self, config: DeviceTeleopConfig, arm: Arm | None = None, keyboard=None, motion_threshold_rad: float = 0.08):
        kind = config.type.removesuffix("_leader")
        self.config = config
        self.arm = arm or Arm(ArmConfig(type=kind, role="leader", port=config.port, baudrate=config.baudrate,
                                        calibration=config.calibration))
        self.keyboard = keyboard
        self.events = EventQueue()
        self.threshold = motion_threshold_rad
        self._rest: np.ndarray | None = None  # where the leader was when the policy took the wheel

    def connect(self) -> None:
        self.arm.connect()
        if self.keyboard is not None:
            self.keyboard.connect()

    def get_action(self, observation=None) -> np.ndarray:
        return self.arm.read_joints()

    def watch(self, watching: bool) -> None:
        """While the policy drives, moving the leader past the threshold asks for a take-over."""
        self._rest = self.arm.read_joints() if watching else None

    def moving(self) -> bool:
        if self._rest is None:
            return False
        return bool(np.max(np.abs(self.arm.read_joints() - self._rest)) > self.threshold)

    def meet(self, joints: np.ndarray) -> None:
        """Drive the leader to the follower's pose, then let go: control changes hands without a jump."""
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
