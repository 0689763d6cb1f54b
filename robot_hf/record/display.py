"""Live view while recording: the MuJoCo viewer for simulated robots, an OpenCV window of the cameras
for real arms, where a display exists; headless runs rely on the status line."""

from __future__ import annotations

import logging
import os

import cv2
import numpy as np

log = logging.getLogger(__name__)


def _display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class LiveView:
    def __init__(self, robot, scale: int = 3):
        self.scale = scale
        self.viewer = None
        self.enabled = _display()
        if not self.enabled:
            log.warning("record.display=true but no display is available; recording headless (status line only)")
            return
        env = getattr(robot, "env", None)
        if env is not None and hasattr(env, "model"):
            try:
                import mujoco.viewer

                self.viewer = mujoco.viewer.launch_passive(env.model, env.data)
            except Exception as e:  # noqa: BLE001 - fall back to the camera window
                log.warning("MuJoCo viewer unavailable (%s); showing the cameras instead", e)

    def show(self, observation: dict) -> None:
        if not self.enabled:
            return
        if self.viewer is not None:
            self.viewer.sync()
            return
        if observation.get("images"):
            row = np.concatenate(list(observation["images"].values()), axis=1)
            row = cv2.resize(row, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_NEAREST)
            cv2.imshow("robot-hf", cv2.cvtColor(row, cv2.COLOR_RGB2BGR))
            cv2.waitKey(1)

    # A session listener: the view follows every step.
    def on_step(self, writer, observation: dict, events: dict) -> None:
        self.show(observation)

    def on_saved(self, writer, episode) -> None:
        pass

    def close(self) -> None:
        if self.viewer is not None:
            self.viewer.close()
        elif self.enabled:
            cv2.destroyAllWindows()
