"""Emulated SO-101 arms (follower and leader) on the bus emulator, calibrated through the real procedure:
for tests, benchmarks and trying the record loop without hardware."""

from __future__ import annotations

import threading

from hardware.arms.arm import Arm
from hardware.arms.calibration import record_calibration
from hardware.arms.layouts import layout
from hardware.config import ArmConfig
from hardware.emulator import BusEmulator
from hardware.motors.bus import MotorBus

MIDDLE = 3000  # raw shaft ticks where each joint's range is centred
HALF_RANGE = 900


def calibrate_emulated(emu: BusEmulator, path, role: str = "follower") -> None:
    """Run record_calibration with a scripted person: joints mid-range, then swept end to end."""
    bus = MotorBus(emu.port, layout("so101", role), timeout_s=0.02)
    bus.connect()
    for i in range(1, 7):
        emu.set_position(i, MIDDLE)
    state = {"polls": 0}

    def prompt(text: str) -> None:
        if text.startswith("Move every joint through"):
            for i in range(1, 7):
                emu.set_position(i, MIDDLE - HALF_RANGE)

    def keep_sampling() -> bool:
        state["polls"] += 1
        if state["polls"] == 2:
            for i in range(1, 7):
                emu.set_position(i, MIDDLE + HALF_RANGE)
        if state["polls"] == 3:
            for i in range(1, 7):
                emu.set_position(i, MIDDLE)
        return state["polls"] < 4

    record_calibration(bus, "so101", prompt, keep_sampling, poll_s=0.0).save(path)
    bus.close()


def make_arm(emu: BusEmulator, calibration_path, role: str = "follower", **config) -> Arm:
    return Arm(ArmConfig(type="so101", role=role, port=emu.port, calibration=str(calibration_path), timeout_s=0.02, **config))


class ScriptedLeaderMotion:
    """A person moving the leader: joint j follows a slow ramp, one call per control step."""

    def __init__(self, emu: BusEmulator):
        self.emu, self.t = emu, 0
        self.lock = threading.Lock()

    def step(self) -> None:
        with self.lock:
            self.t += 1
            for i in range(1, 6):
                self.emu.set_position(i, MIDDLE + 8 * self.t * (1 if i % 2 else -1))
            self.emu.set_position(6, MIDDLE - HALF_RANGE + 10 * self.t)
