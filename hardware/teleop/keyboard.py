"""Keyboard teleoperation: held keys move the gripper, single keys mark and steer episodes.

    w/s: +x/-x   a/d: +y/-y   r/f: up/down   q/e: yaw left/right   space: open/close the gripper
    enter: success   n: failure   backspace: re-record   t: take over / hand back   esc: stop   x: e-stop

Keys come from a pynput listener where a display exists, or from press()/release() (tests, web UIs).
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np

from hardware.config import DeviceTeleopConfig
from hardware.teleop.base import DeviceTeleop
from hardware.teleop.events import (
    ESTOP,
    FAILURE,
    GRIPPER_CLOSED,
    GRIPPER_OPEN,
    INTERVENE,
    RERECORD,
    STOP,
    SUCCESS,
    EventQueue,
)

log = logging.getLogger(__name__)

MOTION = {"w": (0, 1), "s": (0, -1), "a": (1, 1), "d": (1, -1), "r": (2, 1), "f": (2, -1), "q": (3, 1), "e": (3, -1)}
EVENT_KEYS = {"enter": SUCCESS, "n": FAILURE, "backspace": RERECORD, "t": INTERVENE, "esc": STOP, "x": ESTOP}


class KeyboardTeleop(DeviceTeleop):
    produces = "ee_delta"

    def __init__(self, config: DeviceTeleopConfig | None = None, listen: bool = True):
        self.config = config or DeviceTeleopConfig(type="keyboard")
        self.listen = listen
        self.events = EventQueue()
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self.gripper = GRIPPER_OPEN
        self._listener = None

    def connect(self) -> None:
        if not self.listen:
            return
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            log.warning("no display: the keyboard listener is off; drive the teleoperator with press()/release()")
            return
        try:
            from pynput import keyboard
        except ImportError:
            log.warning("pynput is not installed: the keyboard listener is off (pip install pynput)")
            return

        def name(key) -> str:
            return getattr(key, "char", None) or str(key).removeprefix("Key.")

        self._listener = keyboard.Listener(on_press=lambda k: self.press(name(k)), on_release=lambda k: self.release(name(k)))
        self._listener.start()

    def press(self, key: str) -> None:
        key = key.lower()
        if key in EVENT_KEYS:
            self.events.put(EVENT_KEYS[key])
        elif key == "space":
            self.gripper = GRIPPER_CLOSED if self.gripper > 0 else GRIPPER_OPEN
        with self._lock:
            self._held.add(key)

    def release(self, key: str) -> None:
        with self._lock:
            self._held.discard(key.lower())

    def get_action(self, observation=None) -> np.ndarray:
        delta = np.zeros(4)
        with self._lock:
            held = set(self._held)
        for key in held & set(MOTION):
            axis, sign = MOTION[key]
            delta[axis] += sign
        scale = np.array([self.config.step_m] * 3 + [self.config.yaw_step])
        return np.append(delta * scale, self.gripper).astype(np.float32)

    def moving(self) -> bool:
        with self._lock:
            return bool(self._held & set(MOTION))

    def get_events(self) -> dict:
        return self.events.take()

    def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.stop()
