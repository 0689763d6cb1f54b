"""Live view while recording or rolling out: the MuJoCo viewer for simulated robots, an OpenCV window of the cameras
for real arms, where a display exists; headless runs rely on the status line. A caption (the actor's status: the
motion in force, the last correction) is drawn over it."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import cv2
import numpy as np

log = logging.getLogger(__name__)


def _display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def draw_caption(image: np.ndarray, text: str) -> np.ndarray:
    """`image` (RGB) with `text` on a dark band along its top, one line per ' | ' part."""
    lines = [part.strip() for part in text.split(" | ") if part.strip()]
    if not lines:
        return image
    out = image.copy()
    height = 14 * len(lines) + 6
    out[:height] = (out[:height] * 0.35).astype(out.dtype)
    for k, line in enumerate(lines):
        cv2.putText(out, line, (4, 14 * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return out


class LiveView:
    def __init__(self, robot, scale: int = 3, caption: Callable[[], str] | None = None):
        self.scale = scale
        self.caption = caption
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
        text = self.caption() if self.caption else ""
        if self.viewer is not None:
            if text:
                import mujoco

                self.viewer.set_texts((None, mujoco.mjtGridPos.mjGRID_TOPLEFT, text.replace(" | ", "\n"), None))
            self.viewer.sync()
            return
        if observation.get("images"):
            row = np.concatenate(list(observation["images"].values()), axis=1)
            row = cv2.resize(row, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_NEAREST)
            row = draw_caption(row, text)
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
