"""OpenCV capture in a background thread: timestamps, latest-frame reads that never block, loss detection."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np

from hardware.config import CameraConfig


class CameraError(RuntimeError):
    pass


class OpenCVCamera:
    def __init__(self, name: str, config: CameraConfig, capture_factory=None, lost_after_s: float = 1.0):
        self.name, self.config = name, config
        self._factory = capture_factory or cv2.VideoCapture
        self.lost_after_s = lost_after_s
        self._lock = threading.Lock()
        self._frame: np.ndarray | None = None
        self._stamp = 0.0
        self._error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_read = 0

    @property
    def shape(self) -> tuple[int, int]:
        if self.config.resize:
            return int(self.config.resize[0]), int(self.config.resize[1])
        return self.config.height, self.config.width

    def connect(self) -> None:
        source = int(self.config.source) if str(self.config.source).isdigit() else self.config.source
        self._capture = self._factory(source)
        if not self._capture.isOpened():
            raise CameraError(f"camera {self.name!r} ({self.config.source}) could not be opened; `robot-hf find-devices` lists cameras")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        self._capture.set(cv2.CAP_PROP_FPS, self.config.fps)
        self._thread = threading.Thread(target=self._loop, name=f"camera-{self.name}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 5.0
        while self._frame is None and self._error is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if self._frame is None:
            self.disconnect()
            raise CameraError(f"camera {self.name!r} ({self.config.source}) gave no frame: {self._error or 'timed out'}")

    def _loop(self) -> None:
        while not self._stop.is_set():
            ok, frame = self._capture.read()
            if not ok or frame is None:
                self._error = "read failed (unplugged?)"
                time.sleep(0.01)
                continue
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            if self.config.resize:
                h, w = self.shape
                rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
            with self._lock:
                self._frame, self._stamp = rgb, time.monotonic()
                self._error = None
            self.frames_read += 1

    def read_latest(self) -> tuple[np.ndarray, float]:
        """The newest frame and its capture time (monotonic s), without waiting for the next one."""
        with self._lock:
            frame, stamp = self._frame, self._stamp
        if frame is None or time.monotonic() - stamp > self.lost_after_s:
            raise CameraError(f"camera {self.name!r} ({self.config.source}) stopped delivering frames "
                              f"{'(' + self._error + ')' if self._error else ''}: check its cable")
        return frame, stamp

    def disconnect(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if getattr(self, "_capture", None) is not None:
            self._capture.release()
