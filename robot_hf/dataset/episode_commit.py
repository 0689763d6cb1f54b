"""Turning a recorded episode into files: video, data rows, episode row, stats, all in one commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import Commit
from robot_hf.dataset.episode_buffer import EpisodeBuffer
from robot_hf.dataset.features import numpy_dtype
from robot_hf.dataset.feedback import table_of
from robot_hf.dataset.layout import FileRef
from robot_hf.dataset.metadata import DatasetMeta, episode_stats_columns
from robot_hf.dataset.parquet_schema import data_schema, numpy_to_column
from robot_hf.dataset.stats import Stats, aggregate, array_stats, image_stats
from robot_hf.dataset.video import VideoSettings, concatenate, encode_frames


@dataclass
class EpisodeJob:
    episode_index: int
    buffer: EpisodeBuffer
    extra: dict[str, Any]


class DatasetFiles:
    """Where the next episode goes, and the tail data file kept in memory to append cheaply."""

    def __init__(self, meta: DatasetMeta):
        self.meta = meta
        self._tail_table: pa.Table | None = None
        self._tail_ref: FileRef | None = None

    def last_data_ref(self) -> FileRef | None:
        return self.meta.data_ref(self.meta.episodes[-1]) if self.meta.episodes else None

    def last_video_ref(self, key: str) -> FileRef | None:
        return self.meta.video_ref(self.meta.episodes[-1], key) if self.meta.episodes else None

    def last_episodes_ref(self) -> FileRef | None:
        if not self.meta.episodes:
            return None
        ep = self.meta.episodes[-1]
        return FileRef(int(ep["meta/episodes/chunk_index"]), int(ep["meta/episodes/file_index"]))

    def video_end(self, key: str, ref: FileRef) -> float:
        """Seconds of video already in file `ref` of camera `key` (end of its last episode)."""
        ends = [float(ep[f"videos/{key}/to_timestamp"]) for ep in self.meta.episodes if self.meta.video_ref(ep, key) == ref]
        return max(ends, default=0.0)

    def tail_table(self, ref: FileRef) -> pa.Table | None:
        if self._tail_ref != ref:
            path = layout.data_path(self.meta.root, ref)
            self._tail_table = pq.read_table(path) if path.exists() else None
            self._tail_ref = ref
        return self._tail_table

    def set_tail(self, ref: FileRef, table: pa.Table) -> None:
        self._tail_ref, self._tail_table = ref, table


def _episode_arrays(job: EpisodeJob, meta: DatasetMeta, start_index: int) -> dict[str, Any]:
    """Column arrays for the data file; the buffer holds every column but the writer-filled ones."""
    buf, features, n = job.buffer, meta.features, len(job.buffer)
    # Tasks first, so the episode's own task gets the lower index when both are new.
    cols: dict[str, Any] = {"task_index": np.asarray([meta.task_index(t, add=True) for t in buf.tasks], dtype=np.int64)}
    for key, values in buf.columns.items():
        dtype = features[key]["dtype"]
        if key == "instruction":
            cols[key] = np.asarray([meta.task_index(t, add=True) for t in values], dtype=np.int64)
        elif dtype in ("video", "image", "string"):
            cols[key] = values
        else:
            cols[key] = np.asarray(values, dtype=numpy_dtype(dtype))
    cols["frame_index"] = np.arange(n, dtype=np.int64)
    cols["episode_index"] = np.full(n, job.episode_index, dtype=np.int64)
    cols["index"] = np.arange(start_index, start_index + n, dtype=np.int64)
    return cols


def _encode_png(image: np.ndarray) -> dict[str, Any]:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return {"bytes": buf.tobytes(), "path": None}


def _episode_stats(cols: Mapping[str, Any], features: Mapping[str, Mapping[str, Any]]) -> Stats:
    stats: Stats = {}
    for key, ft in features.items():
        if key not in cols or ft["dtype"] == "string":
            continue
        if ft["dtype"] in ("video", "image"):
            stats[key] = image_stats(np.stack(cols[key]))
        else:
            stats[key] = array_stats(np.asarray(cols[key]))
    return stats


def commit_episode(job: EpisodeJob, meta: DatasetMeta, files: DatasetFiles, video: VideoSettings | None, durable: bool,
                   trace_files: Sequence[Path] = ()) -> None:
    """Write one episode to the dataset; all of it becomes visible at once, or none of it.

    `trace_files` (the take's crash trace) are removed by the same commit, so a commit rolled forward
    after a crash never leaves the take reported as lost.
    """
    root, features, n = meta.root, meta.features, len(job.buffer)
    limits_mb = (float(meta.info.get("data_files_size_in_mb", 100)), float(meta.info.get("video_files_size_in_mb", 200)))
    commit = Commit(root, durable=durable)
    try:
        start_index = meta.total_frames
        cols = _episode_arrays(job, meta, start_index)
        row: dict[str, Any] = {
            "episode_index": job.episode_index,
            "tasks": list(dict.fromkeys(job.buffer.tasks)),
            "length": n,
        }

        # Data rows: appended to the tail file while it stays under the size limit.
        data_ref = files.last_data_ref() or FileRef()
        tail = files.tail_table(data_ref) if meta.episodes else None
        if tail is not None and layout.file_size_mb(layout.data_path(root, data_ref)) >= limits_mb[0]:
            data_ref, tail = data_ref.next(meta.chunks_size), None
        schema = data_schema(features)
        arrays = []
        for field in schema:
            values = cols[field.name]
            if features[field.name]["dtype"] == "image":
                values = [_encode_png(img) for img in values]
            arrays.append(numpy_to_column(values, field.name, features[field.name]))
        table = pa.Table.from_arrays(arrays, schema=schema)
        if tail is not None:
            table = pa.concat_tables([tail, table.cast(tail.schema)])
        pq.write_table(table, commit.stage(layout.data_path(root, data_ref)))
        row.update({"data/chunk_index": data_ref.chunk_index, "data/file_index": data_ref.file_index,
                    "dataset_from_index": start_index, "dataset_to_index": start_index + n})

        # Videos: each camera's episode encoded alone, then remuxed onto the end of its tail file.
        for key in meta.video_keys:
            frames = np.stack(cols[key])
            episode_file = commit.staging / "episodes" / f"{key}.mp4"
            settings = video or VideoSettings.from_feature_info(features[key].get("info", {}))
            encode_frames(frames, episode_file, meta.fps, settings)
            ref = files.last_video_ref(key)
            start_s = 0.0
            if ref is not None:
                tail_path = layout.video_path(root, key, ref)
                start_s = files.video_end(key, ref)
                if layout.file_size_mb(tail_path) >= limits_mb[1] or not tail_path.exists():
                    ref, start_s = ref.next(meta.chunks_size), 0.0
            else:
                ref = FileRef()
            target = layout.video_path(root, key, ref)
            staged = commit.stage(target)
            duration = n / meta.fps
            if start_s > 0:
                concatenate([(target, 0.0, start_s), (episode_file, 0.0, duration)], staged)
            else:
                episode_file.replace(staged)
            if "info" not in features[key]:
                features[key]["info"] = settings.feature_info(frames.shape[1], frames.shape[2], meta.fps)
            row.update({f"videos/{key}/chunk_index": ref.chunk_index, f"videos/{key}/file_index": ref.file_index,
                        f"videos/{key}/from_timestamp": start_s, f"videos/{key}/to_timestamp": start_s + duration})

        ep_stats = _episode_stats(cols, features)
        row.update(episode_stats_columns(ep_stats))
        ep_ref = files.last_episodes_ref() or FileRef()
        if layout.file_size_mb(layout.episodes_path(root, ep_ref)) >= limits_mb[0]:
            ep_ref = ep_ref.next(meta.chunks_size)
        row.update({"meta/episodes/chunk_index": ep_ref.chunk_index, "meta/episodes/file_index": ep_ref.file_index})
        row.update(job.extra)

        meta.episodes.append(row)
        meta.stats = aggregate([meta.stats, ep_stats]) if meta.stats else ep_stats
        meta.stage_episodes(commit, {ep_ref})
        meta.stage_tasks(commit)
        meta.stage_stats(commit)
        stage_feedback(commit, root, [table_of(r).bind(r, job.episode_index) for r in job.buffer.feedback])
        meta.stage_info(commit)
        for path in trace_files:
            commit.remove(path)
        commit.publish(f"episode {job.episode_index}")
        files.set_tail(data_ref, table)
    except BaseException:
        commit.abandon()
        raise



def stage_feedback(commit: Commit, root: Path, rows: Sequence) -> None:
    """Append feedback rows of any tables to their tables, one new part file per table, in `commit`."""
    by_table: dict[str, list] = {}
    for row in rows:
        by_table.setdefault(table_of(row).name, []).append(row)
    for rows_of_table in by_table.values():
        table_of(rows_of_table[0]).stage_append(commit, root, rows_of_table)
