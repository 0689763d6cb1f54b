"""The episode being recorded: frames kept in memory, plus a tiny on-disk trace so a crash is reported."""

from __future__ import annotations

import json
import os
import struct
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robot_hf.dataset.features import IMAGE_DTYPES
from robot_hf.dataset.layout import RECORDING_DIR


@dataclass
class EpisodeBuffer:
    """Frames of one take, column by column, as add_frame received them."""

    features: Mapping[str, Mapping[str, Any]]
    fps: int
    columns: dict[str, list] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    # Feedback rows given during the take (corrections ...): bound to the episode's index when it is saved.
    feedback: list = field(default_factory=list)

    def __post_init__(self):
        self.image_keys = [k for k, ft in self.features.items() if ft["dtype"] in IMAGE_DTYPES]

    def __len__(self) -> int:
        return len(self.tasks)

    def append(self, frame: Mapping[str, Any], task: str) -> None:
        for key, value in frame.items():
            if key == "task":
                continue
            if key in self.image_keys:
                # Copy: camera drivers may hand out the same buffer every frame.
                value = np.array(value, copy=True)
            self.columns.setdefault(key, []).append(value)
        self.tasks.append(task)


class RecordingTrace:
    """Append-only trace of the episode in progress under .recording/.

    One JSON header and 8 bytes per frame (its timestamp): enough for `dataset validate` to say how
    many frames a crash cut off, cheap enough for a 30 Hz loop.
    """

    def __init__(self, root: Path, episode_index: int, fps: int):
        directory = Path(root) / RECORDING_DIR
        stem = f"episode_{episode_index:06d}-{uuid.uuid4().hex[:8]}"
        self.header = directory / f"{stem}.json"
        self.frames = directory / f"{stem}.frames"
        header = json.dumps({"episode_index": episode_index, "fps": fps, "started": time.time()})
        for attempt in range(100):
            # The background saver removes the directory once it is empty (delete() below): it may vanish
            # between mkdir and the write. Once the header is in it, rmdir fails and the directory stays.
            try:
                directory.mkdir(parents=True, exist_ok=True)
                self.header.write_text(header)
                break
            except (FileExistsError, FileNotFoundError):
                if attempt == 99:
                    raise
        self._fd = os.open(self.frames, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def add(self, timestamp: float) -> None:
        os.write(self._fd, struct.pack("<d", timestamp))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def delete(self) -> None:
        self.close()
        self.header.unlink(missing_ok=True)
        self.frames.unlink(missing_ok=True)
        try:
            self.header.parent.rmdir()  # only when no other take is in flight
        except OSError:
            pass


def unsaved_recordings(root: Path) -> list[dict[str, Any]]:
    """Takes that were being recorded when their process stopped: index, frames, seconds."""
    directory = Path(root) / RECORDING_DIR
    found = []
    for header in sorted(directory.glob("episode_*.json")):
        try:
            info = json.loads(header.read_text())
        except (json.JSONDecodeError, OSError):
            info = {"episode_index": -1, "fps": 0}
        frames_file = header.with_suffix(".frames")
        n = frames_file.stat().st_size // 8 if frames_file.exists() else 0
        fps = info.get("fps") or 0
        found.append(
            {
                "episode_index": info.get("episode_index", -1),
                "frames": int(n),
                "seconds": n / fps if fps else 0.0,
                "header": header,
            }
        )
    return found


def archive_unsaved(root: Path) -> list[dict[str, Any]]:
    """Move traces of lost takes to .recording/lost/ so they are reported once, not forever."""
    lost = unsaved_recordings(root)
    if lost:
        target = Path(root) / RECORDING_DIR / "lost"
        target.mkdir(parents=True, exist_ok=True)
        for item in lost:
            header = item["header"]
            for path in (header, header.with_suffix(".frames")):
                if path.exists():
                    os.replace(path, target / path.name)
    return lost
