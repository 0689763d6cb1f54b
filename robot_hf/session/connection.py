"""Connect a robot and the people's devices for a session, and let go of all of them however it ends.

`with connected(robot, teleop) as release:` yields `release`, which the session calls as soon as it
fails or is interrupted, so the arm's torque goes off before queued episodes finish saving; the
block's end calls it again (a no-op by then). The robot is released first, then each device; a
device that fails to disconnect does not keep the others connected, and the person is told which
one failed, in one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _name(device) -> str:
    return getattr(device, "name", None) or type(device).__name__


@contextmanager
def connected(robot, *devices) -> Iterator[Callable[[], None]]:
    opened: list = []

    def release() -> None:
        failed = []
        while opened:
            device = opened.pop(0)  # the robot first: it is the one that can hurt someone
            try:
                device.disconnect()
            except Exception as e:  # noqa: BLE001 - every device is released whatever the others do
                failed.append(f"{_name(device)}: {e}")
        if failed:
            print(f"could not disconnect cleanly: {'; '.join(failed)}", file=sys.stderr)

    try:
        for device in (robot, *(d for d in devices if d is not None)):
            device.connect()
            opened.append(device)
        yield release
    finally:
        release()
