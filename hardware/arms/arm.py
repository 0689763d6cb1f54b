"""A real arm as a Robot: calibrated joints in radians, safety clipping, torque off on exit or error."""

from __future__ import annotations

import logging
import time
from typing import Self

import numpy as np

from hardware.arms.calibration import ArmCalibration, default_path
from hardware.arms.layouts import JOINTS, layout
from hardware.cameras.opencv import OpenCVCamera
from hardware.config import ArmConfig
from hardware.motors.bus import MotorBus
from hardware.motors.errors import MotorBusError

try:
    import termios

    SERIAL_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)  # pyserial's SerialException is an OSError
except ImportError:  # not POSIX
    SERIAL_ERRORS = (OSError,)
BUS_FAULTS = (MotorBusError, *SERIAL_ERRORS)

log = logging.getLogger(__name__)


class ArmFault(ConnectionError):
    """An arm's bus, a servo or a camera failed; the arm was made safe (torque off where the bus still answers)."""


class Arm:
    """SO-101 or Koch, follower or leader. Positions and actions are joint angles (rad), gripper 0 = closed."""

    def __init__(self, config: ArmConfig, bus: MotorBus | None = None, cameras: dict[str, OpenCVCamera] | None = None):
        self.config = config
        self.name = f"{config.type}_{config.role}"
        self.fps = config.fps
        self.action_names = list(JOINTS)
        self.state_names = [f"{j}.pos" for j in JOINTS] + [f"{j}.vel" for j in JOINTS]
        self.bus = bus or MotorBus(config.port, layout(config.type, config.role), config.baudrate, config.timeout_s, config.retries)
        self.cameras = cameras if cameras is not None else {n: OpenCVCamera(n, c) for n, c in config.cameras.items()}
        self.camera_shapes = {n: cam.shape for n, cam in self.cameras.items()}
        self.calibration: ArmCalibration | None = None
        self.connected = False
        self._last_command: np.ndarray | None = None
        self._present: np.ndarray | None = None
        # The episode loop's view of an arm: a person judges success and ends episodes; no reward, no scene seed.
        self.max_steps = int(round(config.episode_time_s * config.fps))
        self.success = False
        self.done = False
        self.reward = 0.0
        self.seed: int | None = None
        self.initial_state: np.ndarray | None = None
        # Why the arm stopped, once a read or write failed: it stays stopped (torque off) until reconnected.
        self.fault: str | None = None

    # ---- connection -------------------------------------------------------------------------------------
    def connect(self) -> None:
        self.fault = None
        self.calibration = ArmCalibration.load(self.config.calibration or default_path(self.config.type, self.config.role))
        self.bus.connect()
        missing = self.bus.find_missing()
        if missing:
            self.bus.close()
            raise ConnectionError(f"{self.name} on {self.config.port}: " + "; ".join(f"{k}: {v}" for k, v in missing.items()))
        for joint, cal in self.calibration.motors.items():
            self.bus.write("Homing_Offset", joint, cal.homing_offset)
        for cam in self.cameras.values():
            cam.connect()
        self.limits = np.array([self.calibration.limits(j) for j in JOINTS])
        self.action_low, self.action_high = self.limits[:, 0].astype(np.float32), self.limits[:, 1].astype(np.float32)
        if self.config.role == "follower":
            self._last_command = self.read_joints()
            self.bus.sync_write("Goal_Position", {j: self.calibration.to_ticks(j, q) for j, q in zip(JOINTS, self._last_command, strict=True)})
            self.bus.set_torque(True)
        else:
            self.bus.set_torque(False)  # a leader is moved by hand
        self.connected = True

    def disconnect(self) -> None:
        """Torque off (the arm goes limp, never stays driven by a dead program), then close everything."""
        try:
            if self.bus.serial is not None:
                self.torque_off()
        finally:
            try:
                self.bus.close()
            except SERIAL_ERRORS as e:  # an unplugged adapter may fail even to close
                log.warning("%s: closing %s: %s", self.name, self.config.port, e)
            for cam in self.cameras.values():
                cam.disconnect()
            self.connected = False

    def torque_off(self) -> bool:
        """Every motor's torque off, as far as the bus answers; True when every motor acknowledged."""
        ok = True
        for joint in self.bus.motors:
            try:
                self.bus.write("Torque_Enable", joint, 0)
            except MotorBusError as e:  # one servo down: the others still go limp
                log.error("%s: could not turn torque off on %s: %s", self.name, joint, e)
                ok = False
            except SERIAL_ERRORS as e:  # the line itself is gone: nothing more can be sent
                log.error("%s: could not turn torque off (%s is gone: %s)", self.name, self.config.port, e)
                return False
        return ok

    def _guarded(self, what: str, action, *args):
        """Run a bus or camera exchange; on a failure make the arm safe and raise one ArmFault naming the arm."""
        if self.fault is not None:
            raise ArmFault(f"{self.name} on {self.config.port} stopped after an earlier failure ({self.fault}); reconnect it")
        try:
            return action(*args)
        except ArmFault:
            raise
        except (*BUS_FAULTS, RuntimeError) as e:
            self.fault = f"{what}: {e}"
            safe = self.torque_off() if self.bus.serial is not None else False
            raise ArmFault(f"{self.name} on {self.config.port}: {what} failed ({e}); "
                           f"{'torque is off' if safe else 'torque off could not be confirmed on every motor'}") from e

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.disconnect()

    # ---- reading ----------------------------------------------------------------------------------------
    def read_joints(self) -> np.ndarray:
        return self._guarded("reading joint positions", self._read_joints)

    def _read_joints(self) -> np.ndarray:
        ticks = self.bus.sync_read("Present_Position", JOINTS)
        return np.array([self.calibration.to_radians(j, ticks[j]) for j in JOINTS], dtype=np.float32)

    def read_velocities(self) -> np.ndarray:
        ticks = self.bus.sync_read("Present_Velocity", JOINTS)
        sign = np.array([-1.0 if self.calibration.motors[j].drive_mode else 1.0 for j in JOINTS])
        return (np.array([ticks[j] for j in JOINTS]) * sign * 2 * np.pi / 4096).astype(np.float32)

    def get_observation(self) -> dict:
        return self._guarded("observing", self._observe)

    def _observe(self) -> dict:
        images = {name: cam.read_latest()[0] for name, cam in self.cameras.items()}
        self._present = self._read_joints()
        state = np.concatenate([self._present, self.read_velocities()]).astype(np.float32)
        return {"images": images, "state": state, "task": self.config.task}

    def reset(self, seed: int | None = None) -> dict:
        """An arm starts an episode where it stands (the person resets the scene)."""
        return self.get_observation()

    def joint_positions(self, observation: dict) -> np.ndarray:
        return np.asarray(observation["state"], dtype=np.float32)[: len(JOINTS)]

    def hold_action(self, observation: dict) -> np.ndarray:
        return self.joint_positions(observation).copy()

    # ---- acting -----------------------------------------------------------------------------------------
    def clip(self, action: np.ndarray, current: np.ndarray) -> np.ndarray:
        """Joint limits, then at most max_step_rad from where the arm is (its last observed position)."""
        action = np.clip(np.asarray(action, dtype=np.float32), self.action_low, self.action_high)
        step = self.config.max_step_rad
        return np.clip(action, current - step, current + step).astype(np.float32)

    def send_action(self, action: np.ndarray) -> np.ndarray:
        if not self.connected:
            raise ArmFault(f"{self.name} is not connected")
        action = np.asarray(action, dtype=np.float32).reshape(-1)
        if action.shape != (len(JOINTS),):
            raise ValueError(f"{self.name} takes {len(JOINTS)} joint targets {list(JOINTS)}, got shape {action.shape}")
        sent = self._guarded("sending an action", self._send, action)
        self._last_command = sent
        return sent

    def _send(self, action: np.ndarray) -> np.ndarray:
        present = self._present if self._present is not None else self._read_joints()
        sent = self.clip(action, present)
        self.bus.sync_write("Goal_Position", {j: self.calibration.to_ticks(j, q) for j, q in zip(JOINTS, sent, strict=True)})
        return sent

    def move_to(self, joints: np.ndarray, duration_s: float = 1.0, steps: int = 20) -> None:
        """Drive the arm smoothly to a pose (a leader to its follower's pose before a take-over), then let go."""
        self._guarded("moving to a pose", self._move_to, joints, duration_s, steps)

    def _move_to(self, joints: np.ndarray, duration_s: float, steps: int) -> None:
        start = self._read_joints()
        self.bus.set_torque(True)
        for k in range(1, steps + 1):
            q = start + (np.asarray(joints) - start) * k / steps
            self.bus.sync_write("Goal_Position", {j: self.calibration.to_ticks(j, v) for j, v in zip(JOINTS, q, strict=True)})
            time.sleep(duration_s / steps)
        if self.config.role == "leader":
            self.bus.set_torque(False)

    def estop(self) -> None:
        """Emergency stop: torque off now."""
        self.torque_off()
