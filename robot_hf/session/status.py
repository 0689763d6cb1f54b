"""The status line a session prints while it runs."""

from __future__ import annotations

import sys
import time


class StatusLine:
    """One updating line on a terminal; occasional plain lines when headless (logs, CI)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self._last = 0.0

    def update(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + text[:150].ljust(150))
            self.stream.flush()
        elif force or now - self._last > 10:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last = now

    def done(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 150 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()
