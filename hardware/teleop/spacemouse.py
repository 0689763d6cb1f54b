"""3Dconnexion SpaceMouse teleoperation over HID (hidapi): 6-axis reports to end-effector deltas.

Report 1 holds translation (x, y, z; int16 little-endian; newer models append rotation in the same
report), report 2 rotation (rx, ry, rz), report 3 the buttons. Left button: gripper; right: take over.
"""

from __future__ import annotations

import logging
import struct
import threading

import numpy as np

from hardware.config import DeviceTeleopConfig
from hardware.teleop.base import DeviceTeleop
from hardware.teleop.events import GRIPPER_CLOSED, GRIPPER_OPEN, INTERVENE, EventQueue

log = logging.getLogger(__name__)

VENDOR_IDS = (0x256F, 0x046D)  # 3Dconnexion, and Logitech for older SpaceMice
FULL_SCALE = 350.0
DEADZONE = 0.1


class SpaceMouseTeleop(DeviceTeleop):
    produces = "ee_delta"

    def __init__(self, config: DeviceTeleopConfig | None = None):
        self.config = config or DeviceTeleopConfig(type="spacemouse")
        self.events = EventQueue()
        self.translation = np.zeros(3)
        self.rotation = np.zeros(3)
        self.buttons = 0
        self.gripper = GRIPPER_OPEN
        self._device = None
        self._stop = threading.Event()
        self._thread = None

    def connect(self) -> None:
        try:
            import hid
        except ImportError as e:
            raise ImportError("the SpaceMouse needs hidapi: pip install 'robot-hf[devices]'") from e
        devices = [d for d in hid.enumerate() if d["vendor_id"] in VENDOR_IDS]
        if not devices:
            raise ConnectionError("no 3Dconnexion SpaceMouse found; `robot-hf find-devices` lists HID devices")
        self._device = hid.device()
        self._device.open_path(self.config.device.encode() if self.config.device else devices[0]["path"])
        self._thread = threading.Thread(target=self._read_loop, daemon=True)
        self._thread.start()

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            data = self._device.read(13, 50)
            if data:
                self.feed_report(bytes(data))

    def feed_report(self, report: bytes) -> None:
        """Parse one HID report (also for synthetic input)."""
        kind = report[0]
        if kind == 1 and len(report) >= 7:
            self.translation = np.array(struct.unpack("<hhh", report[1:7])) / FULL_SCALE
            if len(report) >= 13:
                self.rotation = np.array(struct.unpack("<hhh", report[7:13])) / FULL_SCALE
        elif kind == 2 and len(report) >= 7:
            self.rotation = np.array(struct.unpack("<hhh", report[1:7])) / FULL_SCALE
        elif kind == 3 and len(report) >= 2:
            pressed = report[1] & ~self.buttons
            if pressed & 1:
                self.gripper = GRIPPER_CLOSED if self.gripper > 0 else GRIPPER_OPEN
            if pressed & 2:
                self.events.put(INTERVENE)
            self.buttons = report[1]

    def get_action(self, observation=None) -> np.ndarray:
        t = np.where(np.abs(self.translation) < DEADZONE, 0.0, np.clip(self.translation, -1, 1))
        r = np.where(np.abs(self.rotation) < DEADZONE, 0.0, np.clip(self.rotation, -1, 1))
        # The puck's +y points away from the user (robot +x); its +x to the right (robot -y); +z down.
        delta = np.array([t[1], -t[0], -t[2], -r[2]]) * np.array([self.config.step_m] * 3 + [self.config.yaw_step])
        return np.append(delta, self.gripper).astype(np.float32)

    def moving(self) -> bool:
        return bool(np.any(np.abs(self.translation) >= DEADZONE) or np.any(np.abs(self.rotation) >= DEADZONE))

    def get_events(self) -> dict:
        return self.events.take()

    def disconnect(self) -> None:
        self._stop.set()
        if self._device is not None:
            self._device.close()
