"""Live view while recording: an OpenCV window of the cameras where a display exists."""

from __future__ import annotations

import logging
import os

import cv2
import numpy as np

log = logging.getLogger(__name__)


class LiveView:
    def __init__(self, robot, scale: int = 3):
        self.scale = scale
        self.enabled = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if not self.enabled:
            log.warning("record.display=true but no display is available; recording headless (status line only)")

    def show(self, observation: dict) -> None:
        if not self.enabled or not observation.get("images"):
            return
        row = np.concatenate(list(observation["images"].values()), axis=1)
        row = cv2.resize(row, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_NEAREST)
        cv2.imshow("robot-hf", cv2.cvtColor(row, cv2.COLOR_RGB2BGR))
        cv2.waitKey(1)

    def close(self) -> None:
        if self.enabled:
            cv2.destroyAllWindows()
