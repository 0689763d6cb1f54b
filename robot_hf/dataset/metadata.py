"""meta/: info.json, tasks.parquet, episodes/*.parquet and stats.json, read and written as LeRobot does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import Commit
from robot_hf.dataset.features import camera_keys, video_keys
from robot_hf.dataset.layout import FileRef
from robot_hf.dataset.stats import Stats, from_jsonable, to_jsonable


class DatasetFormatError(ValueError):
    """The directory is not a LeRobot v3.0 dataset, or one of its meta files is broken."""


@dataclass
class DatasetMeta:
    root: Path
    info: dict[str, Any]
    tasks: list[str] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    stats: Stats = field(default_factory=dict)
    robot_hf: dict[str, Any] = field(default_factory=dict)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def new(
        cls,
        root: Path,
        fps: int,
        features: Mapping[str, Mapping[str, Any]],
        robot_type: str | None = None,
        chunks_size: int = layout.DEFAULT_CHUNKS_SIZE,
        data_files_size_in_mb: int = layout.DEFAULT_DATA_FILE_SIZE_MB,
        video_files_size_in_mb: int = layout.DEFAULT_VIDEO_FILE_SIZE_MB,
    ) -> DatasetMeta:
        if not isinstance(fps, int) or fps <= 0:
            raise ValueError(f"fps must be a positive integer, got {fps!r}")
        info = {
            "codebase_version": layout.CODEBASE_VERSION,
            "robot_type": robot_type,
            "total_episodes": 0,
            "total_frames": 0,
            "total_tasks": 0,
            "chunks_size": chunks_size,
            "data_files_size_in_mb": data_files_size_in_mb,
            "video_files_size_in_mb": video_files_size_in_mb,
            "fps": fps,
            "splits": {},
            "data_path": layout.DATA_PATH_TEMPLATE,
            "video_path": layout.VIDEO_PATH_TEMPLATE if video_keys(features) else None,
            "features": {k: dict(v) for k, v in features.items()},
        }
        return cls(root=Path(root), info=info)

    @classmethod
    def load(cls, root: Path) -> DatasetMeta:
        root = Path(root)
        info_file = root / layout.INFO_PATH
        if not info_file.exists():
            raise DatasetFormatError(f"{root} is not a dataset: {layout.INFO_PATH} is missing")
        try:
            info = json.loads(info_file.read_text())
        except json.JSONDecodeError as e:
            raise DatasetFormatError(f"{info_file}: not valid JSON ({e})") from e
        version = info.get("codebase_version")
        if version != layout.CODEBASE_VERSION:
            raise DatasetFormatError(
                f"{root}: codebase_version is {version!r}; robot-hf reads LeRobot datasets {layout.CODEBASE_VERSION}. "
                "Convert older datasets with LeRobot's convert_dataset_v21_to_v30 script first."
            )
        for key in ("fps", "features", "total_episodes", "total_frames"):
            if key not in info:
                raise DatasetFormatError(f"{info_file}: required key {key!r} is missing")
        if not isinstance(info["fps"], int) or info["fps"] <= 0:
            raise DatasetFormatError(f"{info_file}: fps must be a positive integer, got {info['fps']!r}")
        if not isinstance(info["features"], dict) or not all(
                isinstance(ft, dict) and "dtype" in ft and isinstance(ft.get("shape"), list) for ft in info["features"].values()):
            raise DatasetFormatError(f"{info_file}: every feature needs a dtype and a shape list (LeRobot's info.json format)")
        meta = cls(root=root, info=info)
        meta.tasks = _read_tasks(root)
        meta.episodes = _read_episodes(root)
        stats_file = root / layout.STATS_PATH
        if stats_file.exists():
            try:
                meta.stats = from_jsonable(json.loads(stats_file.read_text()))
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as e:
                raise DatasetFormatError(f"{stats_file}: not valid stats ({e}); delete it and robot-hf recomputes it "
                                         "when training, or rewrite it with LeRobot's compute_stats") from None
        extra = root / layout.ROBOT_HF_INFO_PATH
        if extra.exists():
            meta.robot_hf = json.loads(extra.read_text())
        return meta

    # ---- facts ----------------------------------------------------------------------------
    @property
    def fps(self) -> int:
        return int(self.info["fps"])

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.info["features"]

    @property
    def camera_keys(self) -> list[str]:
        return camera_keys(self.features)

    @property
    def video_keys(self) -> list[str]:
        return video_keys(self.features)

    @property
    def image_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] == "image"]

    @property
    def total_episodes(self) -> int:
        return int(self.info["total_episodes"])

    @property
    def total_frames(self) -> int:
        return int(self.info["total_frames"])

    @property
    def chunks_size(self) -> int:
        return int(self.info.get("chunks_size", layout.DEFAULT_CHUNKS_SIZE))

    @property
    def has_feedback(self) -> bool:
        return "source" in self.features

    def task_index(self, task: str, add: bool = False) -> int:
        try:
            return self.tasks.index(task)
        except ValueError:
            if not add:
                raise KeyError(f"task {task!r} is not in this dataset's tasks") from None
            self.tasks.append(task)
            return len(self.tasks) - 1

    def data_ref(self, episode: Mapping[str, Any]) -> FileRef:
        return FileRef(int(episode["data/chunk_index"]), int(episode["data/file_index"]))

    def video_ref(self, episode: Mapping[str, Any], key: str) -> FileRef:
        return FileRef(int(episode[f"videos/{key}/chunk_index"]), int(episode[f"videos/{key}/file_index"]))

    def data_files(self) -> list[FileRef]:
        return sorted({self.data_ref(ep) for ep in self.episodes}, key=lambda r: (r.chunk_index, r.file_index))

    # ---- writing (all through a Commit, so a crash never leaves half a dataset) ---------------
    def stage_info(self, commit: Commit) -> None:
        self.info["total_episodes"] = len(self.episodes)
        self.info["total_frames"] = sum(int(ep["length"]) for ep in self.episodes)
        self.info["total_tasks"] = len(self.tasks)
        self.info["splits"] = {"train": f"0:{len(self.episodes)}"} if self.episodes else {}
        _dump_json(commit.stage(self.root / layout.INFO_PATH), self.info)

    def stage_stats(self, commit: Commit) -> None:
        _dump_json(commit.stage(self.root / layout.STATS_PATH), to_jsonable(self.stats))

    def stage_tasks(self, commit: Commit) -> None:
        frame = pd.DataFrame({"task_index": list(range(len(self.tasks)))}, index=pd.Index(self.tasks))
        frame.to_parquet(commit.stage(self.root / layout.TASKS_PATH))

    def stage_robot_hf(self, commit: Commit) -> None:
        _dump_json(commit.stage(self.root / layout.ROBOT_HF_INFO_PATH), self.robot_hf)

    def stage_episodes(self, commit: Commit, refs: set[FileRef] | None = None) -> None:
        """Rewrite the episode files in `refs` (all of them when None)."""
        by_file: dict[FileRef, list[dict]] = {}
        for ep in self.episodes:
            ref = FileRef(int(ep["meta/episodes/chunk_index"]), int(ep["meta/episodes/file_index"]))
            by_file.setdefault(ref, []).append(ep)
        for ref, rows in by_file.items():
            if refs is None or ref in refs:
                pq.write_table(_episodes_table(rows), commit.stage(layout.episodes_path(self.root, ref)))

    def stage_all(self, commit: Commit) -> None:
        self.stage_episodes(commit)
        self.stage_tasks(commit)
        self.stage_stats(commit)
        self.stage_robot_hf(commit)
        self.stage_info(commit)


def _dump_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=4))


def _read_tasks(root: Path) -> list[str]:
    path = root / layout.TASKS_PATH
    if not path.exists():
        return []
    frame = pd.read_parquet(path)
    if "task_index" not in frame.columns:
        raise DatasetFormatError(f"{path}: no 'task_index' column")
    if "task" in frame.columns:  # some writers keep the text as a column, not the index
        frame = frame.set_index("task")
    frame = frame.sort_values("task_index")
    expected = list(range(len(frame)))
    if frame["task_index"].tolist() != expected:
        raise DatasetFormatError(f"{path}: task_index must run 0..{len(frame) - 1}")
    return [str(t) for t in frame.index]


def _read_episodes(root: Path) -> list[dict[str, Any]]:
    files = sorted((root / layout.EPISODES_DIR).glob("chunk-*/file-*.parquet"))
    rows: list[dict[str, Any]] = []
    for f in files:
        rows.extend(pq.read_table(f).to_pylist())
    rows.sort(key=lambda r: r["episode_index"])
    return rows


def _episodes_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows in LeRobot's column order, with robot-hf's extra columns after."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    head = ["episode_index", "tasks", "length", "data/chunk_index", "data/file_index", "dataset_from_index", "dataset_to_index"]
    videos = [c for c in columns if c.startswith("videos/")]
    stats = [c for c in columns if c.startswith("stats/")]
    tail = ["meta/episodes/chunk_index", "meta/episodes/file_index"]
    extra = [c for c in columns if c not in set(head + videos + stats + tail)]
    ordered = [c for c in head + videos + stats + tail + extra if c in columns]
    return pa.Table.from_pylist([{c: row.get(c) for c in ordered} for row in rows])


def episode_stats_columns(ep_stats: Stats) -> dict[str, Any]:
    """Per-episode stats flattened into `stats/<feature>/<stat>` columns."""
    return {f"stats/{key}/{name}": value.tolist() for key, stats in ep_stats.items() for name, value in stats.items()}


def episode_stats_from_row(row: Mapping[str, Any]) -> Stats:
    stats: Stats = {}
    for col, value in row.items():
        if col.startswith("stats/") and value is not None:
            key, name = col[len("stats/") :].rsplit("/", 1)
            stats.setdefault(key, {})[name] = np.asarray(value)
    return stats
