"""Calibration: homing offsets (zero = the middle of each joint's range) and the ranges, saved as JSON.

Recording refuses an offset the motor's Homing_Offset register cannot hold (Feetech: 11 bits and a sign,
+-2047 ticks), instead of letting it wrap around silently as LeRobot's once did.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from hardware.motors.bus import MotorBus
from hardware.motors.tables import HOMING_LIMITS, MODELS


@dataclass
class MotorCalibration:
    id: int
    homing_offset: int
    range_min: int
    range_max: int
    drive_mode: int = 0  # 1: the joint turns the other way round than the sim's

    @property
    def ticks_per_turn(self) -> int:
        return 4096


@dataclass
class ArmCalibration:
    arm: str
    motors: dict[str, MotorCalibration]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"arm": self.arm, "motors": {k: asdict(v) for k, v in self.motors.items()}}, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ArmCalibration:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no calibration at {path}; run `robot-hf calibrate` for this arm first")
        data = json.loads(path.read_text())
        return cls(data["arm"], {k: MotorCalibration(**v) for k, v in data["motors"].items()})

    # ---- units ------------------------------------------------------------------------------------------
    def to_radians(self, joint: str, ticks: float) -> float:
        c = self.motors[joint]
        sign = -1.0 if c.drive_mode else 1.0
        if joint == "gripper":  # 0 rad = fully closed, opening positive (the sim's jaw angle)
            return sign * (ticks - (c.range_max if c.drive_mode else c.range_min)) * 2 * math.pi / c.ticks_per_turn
        middle = (c.range_min + c.range_max) / 2
        return sign * (ticks - middle) * 2 * math.pi / c.ticks_per_turn

    def to_ticks(self, joint: str, radians: float) -> int:
        c = self.motors[joint]
        sign = -1.0 if c.drive_mode else 1.0
        if joint == "gripper":
            base = c.range_max if c.drive_mode else c.range_min
            return int(round(base + sign * radians * c.ticks_per_turn / (2 * math.pi)))
        middle = (c.range_min + c.range_max) / 2
        return int(round(middle + sign * radians * c.ticks_per_turn / (2 * math.pi)))

    def limits(self, joint: str) -> tuple[float, float]:
        c = self.motors[joint]
        a, b = self.to_radians(joint, c.range_min), self.to_radians(joint, c.range_max)
        return min(a, b), max(a, b)


def record_calibration(bus: MotorBus, arm: str, prompt: Callable[[str], None],
                       keep_sampling: Callable[[], bool], poll_s: float = 0.02) -> ArmCalibration:
    """Interactive: the person puts every joint mid-range, then sweeps each through its whole range.

    `prompt` shows an instruction and returns when the person is ready; `keep_sampling` is polled while
    ranges are recorded (it returns False once the person says they are done).
    """
    names = list(bus.motors)
    bus.set_torque(False)
    for name in names:
        bus.write("Homing_Offset", name, 0)
    prompt("Move every joint to the middle of its range (gripper half open), then press Enter.")
    middle = bus.sync_read("Present_Position", names)
    offsets = {}
    for name in names:
        protocol, _, _, ticks = MODELS[bus.motors[name].model]
        half = ticks // 2 - 1
        # Feetech subtracts the offset from the shaft position; Dynamixel adds it.
        offset = middle[name] - half if protocol == "feetech" else half - middle[name]
        limit = HOMING_LIMITS[protocol]
        if abs(offset) > limit:
            raise ValueError(
                f"homing offset {offset} for motor {name!r} (id {bus.motors[name].id}) does not fit its Homing_Offset "
                f"register (+-{limit} ticks): the horn is mounted more than half a turn from centre; remount it nearer "
                f"the middle of the joint's range and calibrate again"
            )
        offsets[name] = offset
    for name, offset in offsets.items():
        bus.write("Homing_Offset", name, offset)
    prompt("Move every joint through its whole range (gripper fully open and closed), then press Enter.")
    lo = dict(bus.sync_read("Present_Position", names))
    hi = dict(lo)
    while keep_sampling():
        for name, value in bus.sync_read("Present_Position", names).items():
            lo[name], hi[name] = min(lo[name], value), max(hi[name], value)
        time.sleep(poll_s)
    too_small = [n for n in names if hi[n] - lo[n] < 100]
    if too_small:
        raise ValueError(f"joints {too_small} barely moved (under 100 ticks) while recording ranges; sweep them fully and retry")
    return ArmCalibration(arm, {n: MotorCalibration(bus.motors[n].id, offsets[n], lo[n], hi[n]) for n in names})


def default_path(arm: str, role: str) -> Path:
    return Path.home() / ".cache" / "robot_hf" / "calibration" / f"{arm}_{role}.json"
