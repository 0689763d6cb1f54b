"""Loop timing: period percentiles and overruns, kept per episode in its metadata."""

from __future__ import annotations

import time

import numpy as np


class LoopTimer:
    """Measures the period of a fixed-rate loop and, when `realtime`, sleeps to hold the rate."""

    def __init__(self, fps: int, realtime: bool, overrun_tolerance: float = 0.1):
        self.period = 1.0 / fps
        self.realtime = realtime
        self.tolerance = overrun_tolerance
        self.reset()

    def reset(self) -> None:
        self.periods: list[float] = []
        self.overruns = 0
        self._last: float | None = None
        self._deadline: float | None = None

    def tick(self) -> None:
        """Call at the top of every iteration."""
        now = time.perf_counter()
        if self._last is not None:
            period = now - self._last
            self.periods.append(period)
            if period > self.period * (1 + self.tolerance):
                self.overruns += 1
        self._last = now
        self._deadline = now + self.period

    def wait(self) -> None:
        """Call at the end of an iteration: sleep out the rest of the period (realtime only)."""
        if self.realtime and self._deadline is not None:
            remaining = self._deadline - time.perf_counter()
            if remaining > 0:
                time.sleep(remaining)

    @property
    def rate_hz(self) -> float:
        recent = self.periods[-30:]
        return 1.0 / float(np.mean(recent)) if recent else 0.0

    def summary(self) -> dict[str, float]:
        """Episode metadata: p50/p99 loop period (ms) and the overrun count."""
        if not self.periods:
            return {"loop/period_p50_ms": 0.0, "loop/period_p99_ms": 0.0, "loop/overruns": 0}
        ms = np.asarray(self.periods) * 1e3
        return {
            "loop/period_p50_ms": float(np.percentile(ms, 50)),
            "loop/period_p99_ms": float(np.percentile(ms, 99)),
            "loop/overruns": int(self.overruns),
        }
