"""One writer per dataset: an OS lock held for the whole session, naming its holder to whoever comes second.

The lock is `flock` on `.recording/writer.lock`; the OS drops it when its process ends, however it ends
(a crash or `kill -9` leaves no stale lock behind). Readers take no lock: every commit is journaled, so
they see a dataset before or after a commit, never half of one.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

from robot_hf.dataset.layout import RECORDING_DIR


class DatasetBusyError(ValueError):
    """Another process is writing the dataset."""


class WriterLock:
    def __init__(self, root: Path):
        directory = Path(root) / RECORDING_DIR
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "writer.lock"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            os.close(self._fd)
            raise DatasetBusyError(
                f"{root} is being written by another process ({holder}); wait for it to finish or stop it: "
                "one writer at a time keeps a dataset whole") from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv), "since": time.time()}).encode())

    def _holder(self) -> str:
        try:
            info = json.loads(os.pread(self._fd, 4096, 0) or b"{}")
        except (OSError, ValueError):
            return "unknown"
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("since", 0)))
        return f"pid {info.get('pid')}, `{info.get('command', '?')}`, since {since}"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
