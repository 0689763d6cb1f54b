"""SIGTERM and SIGHUP (`kill`, a container stop, a closed terminal) end a session the way Ctrl-C does.

Python's default for them is to die on the spot: no `finally`, so no torque off and no saved episode.
Inside `stop_on_signals()` they raise `Terminated` instead, which the episode loop treats as an
interruption: the frames so far are kept, queued saves are committed, and the robot is disconnected.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal other than Ctrl-C."""


def _raise(signum, frame) -> None:
    raise Terminated(signal.Signals(signum).name)


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set from the main thread
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
