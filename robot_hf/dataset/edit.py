"""`dataset merge` and `dataset delete-episodes`: rebuild a dataset from chosen episodes of others.

Videos are remuxed, not re-encoded, whenever the sources share codec and size (episodes start on a
keyframe); data rows are re-indexed; per-episode stats are carried over and re-aggregated; feedback
rows follow their episodes.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import Commit, recover
from robot_hf.dataset.episode_commit import stage_feedback
from robot_hf.dataset.feedback import TABLES
from robot_hf.dataset.layout import FileRef
from robot_hf.dataset.metadata import DatasetMeta, episode_stats_from_row
from robot_hf.dataset.migrate import migrate
from robot_hf.dataset.stats import aggregate
from robot_hf.dataset.video import VideoSettings, concatenate, decode_range, encode_frames


@dataclass
class Selection:
    meta: DatasetMeta
    episodes: list[int]


def _compatible(a: DatasetMeta, b: DatasetMeta) -> None:
    if a.fps != b.fps:
        raise ValueError(f"cannot merge {a.root} ({a.fps} fps) with {b.root} ({b.fps} fps): fps must match")
    fa = {k: (v["dtype"], list(v["shape"])) for k, v in a.features.items()}
    fb = {k: (v["dtype"], list(v["shape"])) for k, v in b.features.items()}
    if fa != fb:
        only_a = sorted(set(fa) - set(fb))
        only_b = sorted(set(fb) - set(fa))
        differ = sorted(k for k in set(fa) & set(fb) if fa[k] != fb[k])
        raise ValueError(
            f"cannot merge {a.root} with {b.root}: features differ "
            f"(only in first: {only_a}; only in second: {only_b}; different dtype/shape: {differ})"
        )


def rebuild(selections: Sequence[Selection], out_root: Path) -> DatasetMeta:
    """Write a new dataset at `out_root` holding the selected episodes, in order."""
    first = selections[0].meta
    for sel in selections[1:]:
        _compatible(first, sel.meta)
    out_root = Path(out_root)
    if out_root.exists() and any(out_root.iterdir()):
        raise FileExistsError(f"{out_root} exists and is not empty; choose a new output directory")
    out_root.mkdir(parents=True, exist_ok=True)
    out = DatasetMeta.new(
        out_root, first.fps, {k: dict(v) for k, v in first.features.items()}, first.info.get("robot_type"),
        first.chunks_size, int(first.info.get("data_files_size_in_mb", 100)), int(first.info.get("video_files_size_in_mb", 200)),
    )
    out.robot_hf = dict(first.robot_hf)
    commit = Commit(out_root)
    tables: list[pa.Table] = []
    segments: dict[str, list[tuple[Path, float, float]]] = {k: [] for k in out.video_keys}
    feedback: list = []
    next_frame = 0
    for sel in selections:
        remap = {old: len(out.episodes) + i for i, old in enumerate(sel.episodes)}
        data_cache: dict[FileRef, pa.Table] = {}
        for old in sel.episodes:
            src = sel.meta.episodes[old]
            new_index, n = remap[old], int(src["length"])
            ref = sel.meta.data_ref(src)
            if ref not in data_cache:
                data_cache[ref] = pq.read_table(layout.data_path(sel.meta.root, ref))
            table = data_cache[ref]
            rows = table.filter(pc.equal(table.column("episode_index"), old)).sort_by("frame_index")
            if rows.num_rows != n:
                raise ValueError(f"{sel.meta.root}: episode {old} has {rows.num_rows} data rows, its length says {n}; run dataset validate")
            rows = _reindex(rows, sel.meta, out, new_index, next_frame)
            tables.append(rows)
            row = {k: v for k, v in src.items() if not k.startswith(("videos/", "data/", "meta/episodes/"))}
            row.update({"episode_index": new_index, "dataset_from_index": next_frame, "dataset_to_index": next_frame + n,
                        "data/chunk_index": 0, "data/file_index": 0, "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0})
            for key in out.video_keys:
                start = float(src[f"videos/{key}/from_timestamp"])
                path = layout.video_path(sel.meta.root, key, sel.meta.video_ref(src, key))
                segments[key].append((path, start, start + n / out.fps))
                row.update({f"videos/{key}/chunk_index": 0, f"videos/{key}/file_index": 0})
            out.episodes.append(row)
            next_frame += n
        for table in TABLES.values():  # rows that point at a dropped episode go with it
            feedback.extend(r for r in (table.remap(row, remap) for row in table.read(sel.meta.root)) if r is not None)

    _stage_data(out, tables, commit)
    for key, segs in segments.items():
        _stage_video(out, key, segs, [s.meta for s in selections], commit)
    out.stats = aggregate([episode_stats_from_row(ep) for ep in out.episodes]) if out.episodes else {}
    stage_feedback(commit, out_root, feedback)
    out.stage_all(commit)
    commit.publish(f"rebuild of {len(out.episodes)} episodes")
    return out


def _reindex(rows: pa.Table, src: DatasetMeta, out: DatasetMeta, episode_index: int, start: int) -> pa.Table:
    n = rows.num_rows
    task_map = np.asarray([out.task_index(t, add=True) for t in src.tasks], dtype=np.int64)
    updates = {
        "episode_index": pa.array(np.full(n, episode_index, np.int64)),
        "index": pa.array(np.arange(start, start + n, dtype=np.int64)),
        "task_index": pa.array(task_map[rows.column("task_index").to_numpy()]),
    }
    if "instruction" in rows.column_names:
        updates["instruction"] = pa.array(task_map[rows.column("instruction").to_numpy()])
    for name, values in updates.items():
        rows = rows.set_column(rows.schema.get_field_index(name), name, values)
    return rows


def _stage_data(out: DatasetMeta, tables: list[pa.Table], commit: Commit) -> None:
    limit = float(out.info.get("data_files_size_in_mb", 100)) * 1024 * 1024
    ref, current, size = FileRef(), [], 0
    schema = tables[0].schema if tables else None
    files: list[tuple[FileRef, list[pa.Table]]] = []
    for table in tables:
        if current and size + table.nbytes > limit:
            files.append((ref, current))
            ref, current, size = ref.next(out.chunks_size), [], 0
        current.append(table.cast(schema))
        size += table.nbytes
    if current:
        files.append((ref, current))
    ep = 0
    for ref, parts in files:
        pq.write_table(pa.concat_tables(parts), commit.stage(layout.data_path(out.root, ref)))
        for part in parts:
            out.episodes[ep].update({"data/chunk_index": ref.chunk_index, "data/file_index": ref.file_index})
            ep += 1


def _source_videos(sources: list[DatasetMeta], key: str) -> dict[Path, tuple[str | None, float]]:
    """Codec and duration of every source video file of camera `key`."""
    out: dict[Path, tuple[str | None, float]] = {}
    for meta in sources:
        codec = meta.features[key].get("info", {}).get("video.codec")
        for ep in meta.episodes:
            path = layout.video_path(meta.root, key, meta.video_ref(ep, key))
            end = float(ep[f"videos/{key}/to_timestamp"])
            out[path] = (codec, max(end, out.get(path, (codec, 0.0))[1]))
    return out


def _stage_video(out: DatasetMeta, key: str, segments: list[tuple[Path, float, float]], sources: list[DatasetMeta], commit: Commit) -> None:
    """Concatenate the episodes' segments into as few files as the size limit allows."""
    target_codec = out.features[key].get("info", {}).get("video.codec")
    limit_mb = float(out.info.get("video_files_size_in_mb", 200))
    source_files = _source_videos(sources, key)
    ref, start, group, est_mb = FileRef(), 0.0, [], 0.0
    for i, (path, s0, s1) in enumerate(segments):
        codec, file_duration = source_files[path]
        seg = (path, s0, s1)
        if codec != target_codec:
            # Another codec than the output file: decode and encode this episode alone.
            frames = decode_range(path, s0, int(out.episodes[i]["length"]), out.fps)
            tmp = commit.staging / "reencoded" / f"{uuid.uuid4().hex}.mp4"
            encode_frames(frames, tmp, out.fps, VideoSettings.from_feature_info(out.features[key].get("info", {})))
            seg = (tmp, 0.0, s1 - s0)
        seg_mb = layout.file_size_mb(path) * (s1 - s0) / max(file_duration, 1e-6)
        if group and est_mb + seg_mb > limit_mb:
            concatenate(group, commit.stage(layout.video_path(out.root, key, ref)))
            ref, start, group, est_mb = ref.next(out.chunks_size), 0.0, [], 0.0
        group.append(seg)
        est_mb += seg_mb
        out.episodes[i].update({
            f"videos/{key}/chunk_index": ref.chunk_index, f"videos/{key}/file_index": ref.file_index,
            f"videos/{key}/from_timestamp": start, f"videos/{key}/to_timestamp": start + (s1 - s0),
        })
        start += s1 - s0
    if group:
        concatenate(group, commit.stage(layout.video_path(out.root, key, ref)))


def merge(roots: Sequence[str | Path], out_root: str | Path) -> DatasetMeta:
    metas = []
    for r in roots:
        recover(Path(r))
        migrate(Path(r))
        metas.append(DatasetMeta.load(Path(r)))
    return rebuild([Selection(m, list(range(m.total_episodes))) for m in metas], Path(out_root))


def delete_episodes(root: str | Path, episodes: Sequence[int], out_root: str | Path | None = None) -> DatasetMeta:
    """Drop episodes; in place (through a fresh copy swapped in) unless `out_root` is given."""
    root = Path(root)
    recover(root)
    meta = DatasetMeta.load(root)
    drop = {int(e) for e in episodes}
    unknown = sorted(e for e in drop if not 0 <= e < meta.total_episodes)
    if unknown:
        raise ValueError(f"episodes {unknown} do not exist; {root} holds episodes 0..{meta.total_episodes - 1}")
    keep = [e for e in range(meta.total_episodes) if e not in drop]
    if out_root is not None:
        return rebuild([Selection(meta, keep)], Path(out_root))
    tmp = root.with_name(f".{root.name}.rebuild-{uuid.uuid4().hex[:8]}")
    result = rebuild([Selection(meta, keep)], tmp)
    backup = root.with_name(f".{root.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(root, backup)
    os.replace(tmp, root)
    shutil.rmtree(backup, ignore_errors=True)
    result.root = root
    return result
