"""Paths and constants of the LeRobot dataset v3.0 layout, as LeRobot itself writes it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CODEBASE_VERSION = "v3.0"

INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
EPISODES_DIR = "meta/episodes"
# robot-hf's own per-dataset facts (action bounds, robot-hf version); LeRobot never reads it.
ROBOT_HF_INFO_PATH = "meta/robot_hf.json"
COMMIT_JOURNAL_PATH = "meta/.commit.json"
RECORDING_DIR = ".recording"

DATA_PATH_TEMPLATE = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH_TEMPLATE = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH_TEMPLATE = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"

DEFAULT_CHUNKS_SIZE = 1000
DEFAULT_DATA_FILE_SIZE_MB = 100
DEFAULT_VIDEO_FILE_SIZE_MB = 200

# The timestamp tolerance LeRobot uses when matching frames to timestamps.
TIMESTAMP_TOLERANCE_S = 1e-4


@dataclass(frozen=True)
class FileRef:
    """Where a piece of the dataset lives: chunk and file index, as LeRobot numbers them."""

    chunk_index: int = 0
    file_index: int = 0

    def next(self, chunks_size: int) -> FileRef:
        """The file after this one: a new file in the chunk, or the first file of the next chunk."""
        if self.file_index + 1 >= chunks_size:
            return FileRef(self.chunk_index + 1, 0)
        return FileRef(self.chunk_index, self.file_index + 1)


def data_path(root: Path, ref: FileRef) -> Path:
    return root / DATA_PATH_TEMPLATE.format(chunk_index=ref.chunk_index, file_index=ref.file_index)


def video_path(root: Path, video_key: str, ref: FileRef) -> Path:
    return root / VIDEO_PATH_TEMPLATE.format(
        video_key=video_key, chunk_index=ref.chunk_index, file_index=ref.file_index
    )


def episodes_path(root: Path, ref: FileRef) -> Path:
    return root / EPISODES_PATH_TEMPLATE.format(chunk_index=ref.chunk_index, file_index=ref.file_index)


def file_size_mb(path: Path) -> float:
    return path.stat().st_size / (1024 * 1024) if path.exists() else 0.0
