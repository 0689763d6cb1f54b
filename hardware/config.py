"""Configs of real arms and input devices (the robot/ and teleop/ config groups)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CameraConfig:
    # A device index ("0"), a /dev/video path, or a video file / stream URL.
    source: str = "0"
    width: int = 640
    height: int = 480
    fps: int = 30
    # Frames handed to the policy and dataset are resized to this (height, width); null: as captured.
    resize: list[int] | None = field(default_factory=lambda: [96, 96])


@dataclass
class ArmConfig:
    # "so101" (Feetech STS3215) or "koch" (Dynamixel XL430/XL330).
    type: str = "so101"
    # "follower" (the arm that acts) or "leader" (the arm a person moves).
    role: str = "follower"
    port: str = "/dev/ttyACM0"
    baudrate: int = 1_000_000
    # Where `robot-hf calibrate` saved this arm's calibration; null: ~/.cache/robot_hf/calibration/<type>_<role>.json
    calibration: str | None = None
    timeout_s: float = 0.02
    retries: int = 3
    fps: int = 30
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    # Safety: the largest joint move per command (rad); joint limits come from the calibrated ranges.
    max_step_rad: float = 0.2
    # The instruction recorded with each frame.
    task: str = "teleoperated task"
    # Episode length when the command names none (record.episode_time_s); the person may end it sooner.
    episode_time_s: float = 30.0


@dataclass
class DeviceTeleopConfig:
    # keyboard | gamepad | spacemouse | so101_leader | koch_leader
    type: str = "keyboard"
    # End-effector speed of keyboard/gamepad/spacemouse input at full deflection, per control step.
    step_m: float = 0.01
    yaw_step: float = 0.08
    # Gamepad index / HID path, when several are plugged in.
    device: str | None = None
    # Leader arms: their bus and calibration.
    port: str = "/dev/ttyACM1"
    baudrate: int = 1_000_000
    calibration: str | None = None
