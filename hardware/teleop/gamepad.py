"""Gamepad teleoperation (pygame): sticks move the gripper, buttons mark and steer episodes.

    left stick: x/y   right stick vertical: z   right stick horizontal: yaw
    A: success   B: re-record   X: open/close gripper   Y: take over / hand back   Start: stop   Back: e-stop
"""

from __future__ import annotations

import logging
import os

import numpy as np

from hardware.config import DeviceTeleopConfig
from hardware.teleop.base import DeviceTeleop
from hardware.teleop.events import ESTOP, GRIPPER_CLOSED, GRIPPER_OPEN, INTERVENE, RERECORD, STOP, SUCCESS, EventQueue

log = logging.getLogger(__name__)

BUTTONS = {0: SUCCESS, 1: RERECORD, 3: INTERVENE, 7: STOP, 6: ESTOP}
GRIPPER_BUTTON = 2
DEADZONE = 0.12


class GamepadTeleop(DeviceTeleop):
    produces = "ee_delta"

    def __init__(self, config: DeviceTeleopConfig | None = None):
        self.config = config or DeviceTeleopConfig(type="gamepad")
        self.events = EventQueue()
        self.axes = np.zeros(4)
        self.buttons: set[int] = set()
        self.gripper = GRIPPER_OPEN
        self._joystick = None

    def connect(self) -> None:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        try:
            import pygame
        except ImportError as e:
            raise ImportError("the gamepad needs pygame: pip install 'robot-hf[devices]'") from e
        pygame.init()
        pygame.joystick.init()
        if pygame.joystick.get_count() == 0:
            raise ConnectionError("no gamepad found; plug one in (`robot-hf find-devices` lists HID devices)")
        self._joystick = pygame.joystick.Joystick(int(self.config.device or 0))
        self._joystick.init()

    def _poll(self) -> None:
        if self._joystick is None:
            return
        import pygame

        pygame.event.pump()
        j = self._joystick
        self.feed([j.get_axis(i) for i in range(min(4, j.get_numaxes()))],
                  {i for i in range(j.get_numbuttons()) if j.get_button(i)})

    def feed(self, axes, pressed: set[int]) -> None:
        """The device's state: axes in [-1, 1] and the set of pressed buttons (also for synthetic input)."""
        axes = np.asarray(list(axes) + [0.0] * (4 - len(axes)))[:4]
        self.axes = np.where(np.abs(axes) < DEADZONE, 0.0, axes)
        for b in pressed - self.buttons:  # rising edges only: one event per press
            if b in BUTTONS:
                self.events.put(BUTTONS[b])
            elif b == GRIPPER_BUTTON:
                self.gripper = GRIPPER_CLOSED if self.gripper > 0 else GRIPPER_OPEN
        self.buttons = set(pressed)

    def get_action(self, observation=None) -> np.ndarray:
        self._poll()
        lx, ly, rx, ry = self.axes
        # Stick up (negative y) moves forward (+x); stick left (negative x) moves left (+y).
        delta = np.array([-ly, -lx, -ry, -rx]) * np.array([self.config.step_m] * 3 + [self.config.yaw_step])
        return np.append(delta, self.gripper).astype(np.float32)

    def moving(self) -> bool:
        return bool(np.any(self.axes != 0))

    def get_events(self) -> dict:
        self._poll()
        return self.events.take()

    def disconnect(self) -> None:
        self._joystick = None
