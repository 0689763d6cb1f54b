"""`dataset validate`: check every invariant of a dataset and say what is wrong, file by file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import STAGING_DIR, interrupted_commit
from robot_hf.dataset.episode_buffer import unsaved_recordings
from robot_hf.dataset.features import SOURCES, numeric_keys
from robot_hf.dataset.feedback import TABLES
from robot_hf.dataset.metadata import DatasetFormatError, DatasetMeta
from robot_hf.dataset.parquet_schema import column_to_numpy
from robot_hf.dataset.stats import STAT_NAMES
from robot_hf.dataset.video import frame_times, undecodable

REQUIRED_STATS = ("min", "max", "mean", "std", "count")


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: str = "error"  # "error": an invariant is broken; "warning": something was cut off or lost

    def __str__(self) -> str:
        return f"[{self.severity}] {self.code}: {self.message}"


def validate(root: str | Path, timestamp_tolerance_s: float = layout.TIMESTAMP_TOLERANCE_S,
             decode: str = "keyframes") -> list[Finding]:
    """Every finding about the dataset at `root`; an empty list means it is sound. Read-only.

    decode: "keyframes" (default: every episode's first frame and each keyframe), "all" (every frame), or "none".
    """
    if decode not in ("keyframes", "all", "none"):
        raise ValueError(f"decode={decode!r}: use keyframes, all or none")
    root = Path(root)
    findings = list(_crash_traces(root))
    if any(f.code == "interrupted-commit" for f in findings):
        # Part of the commit's files may already be renamed into place: the rest of the checks would
        # only report the mix, which opening the dataset resolves.
        return findings
    try:
        meta = DatasetMeta.load(root)
    except (DatasetFormatError, OSError, ValueError) as e:
        return [*findings, Finding("meta", str(e))]
    findings += _check_meta(meta)
    data_ok = True
    for f in _check_data(meta, timestamp_tolerance_s):
        findings.append(f)
        data_ok = False
    findings += _check_videos(meta, decode)
    findings += _check_stats(meta)
    findings += _check_feedback(meta)
    if not data_ok:
        findings.append(Finding("hint", "data checks failed; later checks may repeat the same cause", "warning"))
    return findings


def _crash_traces(root: Path) -> Iterator[Finding]:
    journal = interrupted_commit(root)
    if journal is not None:
        yield Finding(
            "interrupted-commit",
            f"the save of {journal['label']} was cut off after it was complete on disk; any robot-hf command that "
            f"opens the dataset finishes it, e.g. `robot-hf dataset info dataset.root={root}`",
        )
    staging = root / STAGING_DIR
    if staging.exists() and any(p.is_file() for p in staging.rglob("*")) and journal is None:
        yield Finding("cut-off-save", "a save was cut off before it committed; its staged files are dropped on the next open", "warning")
    for lost in unsaved_recordings(root):
        yield Finding(
            "cut-off-episode",
            f"episode {lost['episode_index']} was being recorded when its process stopped: "
            f"{lost['frames']} frames ({lost['seconds']:.1f} s) were not saved; every earlier episode is intact",
            "warning",
        )
    failed = root / layout.RECORDING_DIR / "failed"
    for dump in sorted(failed.glob("episode_*.npz")) if failed.exists() else []:
        yield Finding("failed-save", f"{dump.name}: an episode whose save failed was kept as raw arrays in {failed}", "warning")


def _check_meta(meta: DatasetMeta) -> Iterator[Finding]:
    info, eps = meta.info, meta.episodes
    for key in ("codebase_version", "fps", "features", "total_episodes", "total_frames", "total_tasks", "data_path", "chunks_size"):
        if key not in info:
            yield Finding("info", f"meta/info.json lacks {key!r}")
    if meta.fps <= 0:
        yield Finding("info", f"fps must be positive, got {meta.fps}")
    if meta.video_keys and not info.get("video_path"):
        yield Finding("info", "features include videos but meta/info.json has no video_path")
    if info.get("total_episodes") != len(eps):
        yield Finding("totals", f"info.json says {info.get('total_episodes')} episodes, meta/episodes holds {len(eps)}")
    lengths = sum(int(e["length"]) for e in eps)
    if info.get("total_frames") != lengths:
        yield Finding("totals", f"info.json says {info.get('total_frames')} frames, episode lengths add to {lengths}")
    if info.get("total_tasks") != len(meta.tasks):
        yield Finding("totals", f"info.json says {info.get('total_tasks')} tasks, meta/tasks.parquet holds {len(meta.tasks)}")
    expected_from = 0
    for i, ep in enumerate(eps):
        if ep["episode_index"] != i:
            yield Finding("episode-index", f"episode rows must be numbered 0..{len(eps) - 1}; row {i} is episode {ep['episode_index']}")
            break
        lo, hi, n = int(ep["dataset_from_index"]), int(ep["dataset_to_index"]), int(ep["length"])
        if lo != expected_from:
            yield Finding("index-continuity", f"episode {i} starts at frame {lo}, expected {expected_from}")
        if hi - lo != n:
            yield Finding("index-continuity", f"episode {i}: dataset_to_index - dataset_from_index = {hi - lo} but length = {n}")
        for task in ep.get("tasks") or []:
            if task not in meta.tasks:
                yield Finding("tasks", f"episode {i} names task {task!r}, which meta/tasks.parquet lacks")
        expected_from = hi


def _check_data(meta: DatasetMeta, tol: float) -> Iterator[Finding]:
    root, features = meta.root, meta.features
    stored = [k for k, ft in features.items() if ft["dtype"] != "video"]
    by_file: dict[layout.FileRef, list[dict]] = {}
    for ep in meta.episodes:
        by_file.setdefault(meta.data_ref(ep), []).append(ep)
    next_index = 0
    for ref in sorted(by_file, key=lambda r: (r.chunk_index, r.file_index)):
        path = layout.data_path(root, ref)
        rel = path.relative_to(root)
        if not path.exists():
            yield Finding("data-missing", f"{rel} is missing; episodes {[e['episode_index'] for e in by_file[ref]]} point at it")
            continue
        try:
            table = pq.read_table(path)
        except Exception as e:  # noqa: BLE001 - any parquet error is a finding
            yield Finding("data-unreadable", f"{rel}: {e}")
            continue
        missing = [k for k in stored if k not in table.column_names]
        extra = [k for k in table.column_names if k not in features]
        if missing:
            yield Finding("data-schema", f"{rel} lacks column(s) {missing} declared in info.json")
            continue
        if extra:
            yield Finding("data-schema", f"{rel} has column(s) {extra} not declared in info.json")
        cols = {k: column_to_numpy(table.column(k), features[k]) for k in ("index", "episode_index", "frame_index", "timestamp", "task_index") if k in table.column_names}
        index = cols["index"]
        first_ep, last_ep = by_file[ref][0], by_file[ref][-1]
        want = np.arange(int(first_ep["dataset_from_index"]), int(last_ep["dataset_to_index"]))
        if int(first_ep["dataset_from_index"]) != next_index:
            yield Finding("index-continuity", f"{rel} starts at frame {first_ep['dataset_from_index']}, expected {next_index}")
        next_index = int(last_ep["dataset_to_index"])
        if len(index) > len(want) and np.array_equal(index[: len(want)], want):
            yield Finding("data-extra-rows", f"{rel} holds {len(index) - len(want)} rows after its last episode (a save cut off mid-way?)")
            index = index[: len(want)]
        elif not np.array_equal(index, want):
            gaps = _first_mismatch(index, want)
            yield Finding("index-continuity", f"{rel}: global index should run {want[0] if len(want) else 0}..{next_index - 1}; {gaps}")
            continue
        offset = int(first_ep["dataset_from_index"])
        for ep in by_file[ref]:
            e, lo, hi = int(ep["episode_index"]), int(ep["dataset_from_index"]) - offset, int(ep["dataset_to_index"]) - offset
            if np.any(cols["episode_index"][lo:hi] != e):
                yield Finding("episode-index", f"{rel}: rows of episode {e} carry other episode_index values")
            if not np.array_equal(cols["frame_index"][lo:hi], np.arange(hi - lo)):
                yield Finding("frame-index", f"{rel}: frame_index of episode {e} does not run 0..{hi - lo - 1}")
            ts = cols["timestamp"][lo:hi].astype(np.float64)
            expected = np.arange(hi - lo) / meta.fps
            bad = np.nonzero(np.abs(ts - ts[0] - expected) > max(tol, 1e-4))[0] if len(ts) else []
            if len(bad):
                i = int(bad[0])
                yield Finding("timestamps", f"episode {e}: frame {i} is at {ts[i]:.4f}s, expected {ts[0] + expected[i]:.4f}s at {meta.fps} fps (tolerance {tol}s)")
            tasks = cols["task_index"][lo:hi]
            if len(tasks) and (tasks.min() < 0 or tasks.max() >= len(meta.tasks)):
                yield Finding("tasks", f"episode {e}: task_index {int(tasks.max())} is not in meta/tasks.parquet ({len(meta.tasks)} tasks)")
            if "instruction" in table.column_names:
                instr = column_to_numpy(table.column("instruction"), features["instruction"])[lo:hi]
                if len(instr) and (instr.min() < 0 or instr.max() >= len(meta.tasks)):
                    yield Finding("feedback", f"episode {e}: instruction {int(instr.max())} is not a task index")
            if "source" in table.column_names:
                src = set(column_to_numpy(table.column("source"), features["source"])[lo:hi].tolist())
                if not src <= set(SOURCES):
                    yield Finding("feedback", f"episode {e}: source values {sorted(src - set(SOURCES))} are not one of {SOURCES}")


def _first_mismatch(index: np.ndarray, want: np.ndarray) -> str:
    if len(index) != len(want):
        return f"found {len(index)} rows, expected {len(want)}"
    i = int(np.nonzero(index != want)[0][0])
    return f"row {i} has index {index[i]}, expected {want[i]}"


def video_findings(meta: DatasetMeta, decode: str = "none") -> list[Finding]:
    """Errors in the video files' timing and frame counts (and, with decode, their frames): a quick check before
    training, however its frames are read."""
    return [f for f in _check_videos(meta, decode) if f.severity == "error"]


def _check_videos(meta: DatasetMeta, decode: str = "keyframes") -> Iterator[Finding]:
    for key in meta.video_keys:
        by_file: dict[layout.FileRef, list[dict]] = {}
        for ep in meta.episodes:
            if f"videos/{key}/chunk_index" not in ep:
                yield Finding("video-meta", f"episode {ep['episode_index']} has no video columns for {key}")
                continue
            by_file.setdefault(meta.video_ref(ep, key), []).append(ep)
        for ref, eps in by_file.items():
            path = layout.video_path(meta.root, key, ref)
            rel = path.relative_to(meta.root)
            end = 0.0
            for ep in eps:
                start, stop = float(ep[f"videos/{key}/from_timestamp"]), float(ep[f"videos/{key}/to_timestamp"])
                if abs(start - end) > 1e-3:
                    yield Finding("video-timestamps", f"{rel}: episode {ep['episode_index']} starts at {start:.3f}s, expected {end:.3f}s")
                if abs((stop - start) * meta.fps - int(ep["length"])) > 0.5:
                    yield Finding("video-timestamps", f"{rel}: episode {ep['episode_index']} spans {stop - start:.3f}s for {ep['length']} frames at {meta.fps} fps")
                end = stop
            if not path.exists():
                yield Finding("video-missing", f"{rel} is missing; episodes {[e['episode_index'] for e in eps]} point at it")
                continue
            try:
                times = frame_times(path)
            except Exception as e:  # noqa: BLE001
                yield Finding("video-unreadable", f"{rel}: {e}")
                continue
            needed = sum(int(e["length"]) for e in eps)
            inside = int(np.sum(times < end - 0.5 / meta.fps))
            if inside < needed:
                yield Finding("video-frames", f"{rel} holds {inside} frames before {end:.3f}s, its episodes need {needed}")
            elif len(times) > needed:
                yield Finding("video-frames", f"{rel} holds {len(times) - needed} frames past its last episode (a save cut off mid-way?)")
            if decode != "none":
                yield from _check_decoding(meta, path, key, eps, decode == "all")


def _episode_at(key: str, episodes: list[dict], t: float | None) -> str:
    for ep in episodes:
        if t is not None and float(ep[f"videos/{key}/from_timestamp"]) <= t < float(ep[f"videos/{key}/to_timestamp"]):
            return f"episode {ep['episode_index']}"
    return "no episode"


def _check_decoding(meta: DatasetMeta, path: Path, key: str, episodes: list[dict], every_frame: bool) -> Iterator[Finding]:
    rel = path.relative_to(meta.root)
    try:
        for t, error in undecodable(path, every_frame):
            where = _episode_at(key, episodes, t)
            yield Finding("video-decode", f"{rel}: {where} (at {t if t is not None else '?'} s) cannot be decoded ({error}); "
                                          f"drop it with `robot-hf dataset delete-episodes` or re-record it")
    except Exception as e:  # noqa: BLE001 - a file the demuxer cannot even walk
        yield Finding("video-decode", f"{rel}: cannot be read to the end ({e})")


def _check_stats(meta: DatasetMeta) -> Iterator[Finding]:
    if not meta.episodes:
        return
    if not (meta.root / layout.STATS_PATH).exists():
        yield Finding("stats", "meta/stats.json is missing; training cannot normalise without it")
        return
    wanted = [*numeric_keys(meta.features), *meta.camera_keys]
    for key in wanted:
        have = meta.stats.get(key)
        if have is None:
            yield Finding("stats", f"meta/stats.json has no stats for {key!r}")
            continue
        lacking = [s for s in REQUIRED_STATS if s not in have]
        if lacking:
            yield Finding("stats", f"meta/stats.json: {key!r} lacks {lacking}")
        elif int(np.asarray(have["count"]).reshape(-1)[0]) <= 0:
            yield Finding("stats", f"meta/stats.json: {key!r} has count 0")
        unknown = [s for s in have if s not in STAT_NAMES]
        if unknown:
            yield Finding("stats", f"meta/stats.json: {key!r} has unknown stat(s) {unknown}", "warning")
    no_ep_stats = [ep["episode_index"] for ep in meta.episodes if not any(c.startswith("stats/") for c in ep)]
    if no_ep_stats:
        yield Finding("stats", f"episodes {no_ep_stats[:10]} have no per-episode stats")


def _check_feedback(meta: DatasetMeta) -> Iterator[Finding]:
    lengths = {int(ep["episode_index"]): int(ep["length"]) for ep in meta.episodes}
    for table in TABLES.values():
        try:
            rows = table.read(meta.root)
        except (ValueError, TypeError, KeyError, OSError, pa.ArrowException) as e:
            yield Finding("feedback", f"meta/{table.name}: {e}")
            continue
        for i, row in enumerate(rows):
            for problem in table.problems(row, lengths):
                yield Finding("feedback", f"{table.name} row {i}: {problem}")