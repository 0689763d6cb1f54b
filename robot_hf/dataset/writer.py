"""Recording API: add frames at control rate, save episodes in the background, never lose a saved one."""

from __future__ import annotations

import atexit
import logging
import queue
import shutil
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import Commit, recover
from robot_hf.dataset.episode_buffer import EpisodeBuffer, RecordingTrace, archive_unsaved
from robot_hf.dataset.episode_commit import DatasetFiles, EpisodeJob, commit_episode, stage_feedback
from robot_hf.dataset.features import FLAG_COLUMNS, NUMBER_COLUMNS, FrameError, FrameValidator, complete_features
from robot_hf.dataset.feedback import Correction, Preference, table_of
from robot_hf.dataset.lock import WriterLock
from robot_hf.dataset.metadata import DatasetMeta
from robot_hf.dataset.migrate import migrate
from robot_hf.dataset.video import VideoSettings

log = logging.getLogger(__name__)

_STOP = object()


class DatasetWriter:
    """Writes a LeRobot v3.0 dataset with robot-hf's feedback columns.

    `add_frame` validates and buffers; `save_episode` returns at once and a worker thread encodes
    and commits; `discard_episode` drops the take without touching disk. Use as a context manager,
    or call `close()`, so queued episodes are committed before the process ends.
    """

    def __init__(self, meta: DatasetMeta, video: VideoSettings | None = None, default_source: str = "human", durable: bool = True,
                 lock: WriterLock | None = None):
        self.meta = meta
        self._lock = lock or WriterLock(meta.root)
        self.root = meta.root
        self.video = video
        self.default_source = default_source
        self.durable = durable
        self._validate = FrameValidator(meta.features)
        self._feedback = meta.has_feedback
        self._files = DatasetFiles(meta)
        self._buffer = EpisodeBuffer(meta.features, meta.fps)
        self._trace: RecordingTrace | None = None
        self._next_episode = meta.total_episodes
        self._queue: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._closed = False
        # A dataset this writer created and nothing was ever added to: a start that fails removes it again.
        self._new_and_empty = False
        self._worker = threading.Thread(target=self._work, name="dataset-writer", daemon=True)
        self._worker.start()
        ref = weakref.ref(self)
        atexit.register(lambda: (w := ref()) is not None and w.close(raise_errors=False))

    # ---- opening ------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        root: str | Path,
        fps: int,
        features: Mapping[str, Mapping[str, Any]],
        robot_type: str | None = None,
        video: VideoSettings | None = None,
        feedback: bool = True,
        robot_hf_info: Mapping[str, Any] | None = None,
        chunks_size: int = layout.DEFAULT_CHUNKS_SIZE,
        data_files_size_in_mb: int = layout.DEFAULT_DATA_FILE_SIZE_MB,
        video_files_size_in_mb: int = layout.DEFAULT_VIDEO_FILE_SIZE_MB,
        **kwargs,
    ) -> DatasetWriter:
        root = Path(root)
        if root.exists():
            done = recover(root)  # a first commit cut off: finish it (or drop what never committed) before judging
            if done:
                log.warning("%s: %s", root, done)
        if (root / layout.INFO_PATH).exists():
            raise FileExistsError(f"{root} already holds a dataset; open it to append (DatasetWriter.open, or dataset.resume=true)")
        leftovers_before = root.exists() and any(root.iterdir())
        leftovers = [p for p in root.rglob("*") if p.is_file() and p.relative_to(root) != Path(layout.RECORDING_DIR, "writer.lock")] \
            if root.exists() else []
        if leftovers:
            raise FileExistsError(f"{root} exists and is not empty (it holds {leftovers[0].relative_to(root)}, ...); "
                                  "choose a new dataset root")
        meta = DatasetMeta.new(
            root, fps, complete_features(features, feedback=feedback), robot_type,
            chunks_size, data_files_size_in_mb, video_files_size_in_mb,
        )
        video = video or VideoSettings()
        for key in meta.video_keys:
            h, w, _ = meta.features[key]["shape"]
            meta.features[key]["info"] = video.feature_info(h, w, fps)
        meta.robot_hf = dict(robot_hf_info or {})
        root.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(root)
        try:
            commit = Commit(root)
            meta.stage_all(commit)
            commit.publish("new dataset")
            writer = cls(meta, video=video, lock=lock, **kwargs)
            writer._new_and_empty = not leftovers_before
            return writer
        except BaseException:
            lock.release()
            raise

    @classmethod
    def open(cls, root: str | Path, **kwargs) -> DatasetWriter:
        """Reopen an existing dataset (robot-hf's or LeRobot's) to append episodes."""
        root = Path(root)
        if not (root / layout.INFO_PATH).exists() and not (root / layout.COMMIT_JOURNAL_PATH).exists():
            DatasetMeta.load(root)  # the error that says what is missing, before anything is written there
        lock = WriterLock(root)  # before any repair: another writer's take in progress is not a lost one
        try:
            for repair in (recover, migrate):
                done = repair(root)
                if done:
                    log.warning("%s: %s", root, done)
            for lost in archive_unsaved(root):
                log.warning(
                    "%s: episode %d was being recorded when its process stopped; %d frames (%.1f s) were not saved",
                    root, lost["episode_index"], lost["frames"], lost["seconds"],
                )
            return cls(DatasetMeta.load(root), lock=lock, **kwargs)
        except BaseException:
            lock.release()
            raise

    # ---- facts ----------------------------------------------------------------------------------
    @property
    def fps(self) -> int:
        return self.meta.fps

    @property
    def num_episodes(self) -> int:
        """Episodes saved, committed or still in the queue."""
        return self._next_episode

    @property
    def episode_length(self) -> int:
        return len(self._buffer)

    @property
    def pending(self) -> int:
        return self._queue.unfinished_tasks

    # ---- recording ------------------------------------------------------------------------------
    def add_frame(self, frame: Mapping[str, Any]) -> None:
        self._new_and_empty = False
        self._raise_worker_error()
        self._validate(frame)
        n = len(self._buffer)
        task = frame.get("task")
        if task is None:
            if n == 0:
                raise FrameError("the first frame of an episode needs 'task': the instruction text")
            task = self._buffer.tasks[-1]
        full = {k: frame[k] for k in self._validate.required}
        timestamp = float(frame.get("timestamp", n / self.meta.fps))
        full["timestamp"] = np.float32(timestamp)
        if self._feedback:
            full["source"] = frame.get("source", self.default_source)
            for key in FLAG_COLUMNS:
                full[key] = bool(frame.get(key, False))
            for key in NUMBER_COLUMNS:
                full[key] = np.float32(frame.get(key, 0.0))
            full["instruction"] = frame.get("instruction", task)
        self._buffer.append(full, task)
        if self._trace is None:
            self._trace = RecordingTrace(self.root, self._next_episode, self.meta.fps)
        self._trace.add(timestamp)

    def add_correction(self, text: str, kind: str = "language", motion: str = "", confidence: float = float("nan"),
                       who: str = "") -> None:
        """A correction at the current frame of the episode being recorded (and what it was taken to mean)."""
        if not self._feedback:
            raise ValueError(f"{self.root} has no feedback columns; corrections need a robot-hf dataset")
        frame = max(len(self._buffer) - 1, 0)
        self._buffer.feedback.append(Correction(-1, frame, frame / self.meta.fps, text, kind, motion, confidence, who))

    def save_episode(self, **extra: Any) -> int:
        """Queue the episode for encoding and commit; returns its index at once.

        Keyword arguments become columns of the episode's row in meta/episodes (loop timing,
        take-over frames, outcome).
        """
        self._raise_worker_error()
        if len(self._buffer) == 0:
            raise ValueError("save_episode: the episode has no frames; call add_frame first")
        index = self._next_episode
        job = EpisodeJob(index, self._buffer, dict(extra))
        self._queue.put((job, self._trace))
        self._next_episode += 1
        self._buffer = EpisodeBuffer(self.meta.features, self.meta.fps)
        self._trace = None
        return index

    def discard_episode(self) -> None:
        """Drop the episode being recorded (a re-record): nothing of it reaches the dataset."""
        self._buffer = EpisodeBuffer(self.meta.features, self.meta.fps)
        if self._trace is not None:
            self._trace.delete()
            self._trace = None

    def add_preferences(self, preferences: list[Preference]) -> None:
        """Queue preference labels; they are committed after every episode queued before them."""
        self.add_feedback(preferences)

    def add_feedback(self, rows: list) -> None:
        """Queue rows of any feedback table (meta/<table>/); appended after every episode queued before them."""
        self._new_and_empty = False
        self._raise_worker_error()
        if not self._feedback:
            raise ValueError(f"{self.root} has no feedback columns; feedback tables need a robot-hf dataset")
        for row in rows:
            table = table_of(row)
            for span, ep in zip(table.spans, table.episodes(row), strict=True):
                if not 0 <= ep < self._next_episode:
                    raise ValueError(f"{table.name}: {span.episode} points at episode {ep}, which does not exist")
        self._queue.put((list(rows), None))

    def remove_last_feedback(self, rows: list) -> bool:
        """Take back the rows of the latest add_feedback call (an answer undone), once every queued save is done.

        Only the newest part file of their table is removed, and only when it holds exactly these rows; returns
        whether it did."""
        self.wait()
        if not rows:
            return False
        table = table_of(rows[0])
        commit = Commit(self.root, durable=self.durable)
        try:
            if not table.stage_remove_last(commit, self.root, rows):
                commit.abandon()
                return False
            commit.publish(f"undo {len(rows)} {table.name} row(s)")
        except BaseException:
            commit.abandon()
            raise
        return True

    def wait(self) -> None:
        """Block until every queued save is committed; re-raise a failure of the worker."""
        self._queue.join()
        self._raise_worker_error()

    def close(self, raise_errors: bool = True) -> None:
        if self._closed:
            return
        if len(self._buffer):
            log.warning("%s: closing with %d unsaved frames; call save_episode() to keep them", self.root, len(self._buffer))
            self.discard_episode()
        self._closed = True
        self._queue.put((_STOP, None))
        self._worker.join()
        self._lock.release()
        if raise_errors:
            self._raise_worker_error()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close(raise_errors=exc[0] is None)
        if exc[0] is not None and self._new_and_empty:  # e.g. the renderer failed before the first frame
            shutil.rmtree(self.root, ignore_errors=True)
            log.warning("%s: removed the new, empty dataset (the session failed before its first frame)", self.root)

    # ---- the worker -----------------------------------------------------------------------------
    def _raise_worker_error(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"saving to {self.root} failed; later episodes were kept under {layout.RECORDING_DIR}/failed") from self._error

    def _work(self) -> None:
        while True:
            item, trace = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._error is not None:
                    self._keep_failed(item)
                elif isinstance(item, EpisodeJob):
                    commit_episode(item, self.meta, self._files, self.video, self.durable,
                                   trace_files=(trace.header, trace.frames) if trace is not None else ())
                    if trace is not None:
                        trace.delete()
                else:
                    self._commit_feedback(item)
            except BaseException as e:  # kept and re-raised in the caller's thread
                log.exception("saving to %s failed", self.root)
                self._error = e
                self._keep_failed(item)
            finally:
                if trace is not None:
                    trace.close()
                self._queue.task_done()

    def _commit_feedback(self, rows: list) -> None:
        commit = Commit(self.root, durable=self.durable)
        try:
            stage_feedback(commit, self.root, rows)
            commit.publish(f"{len(rows)} feedback row(s)")
        except BaseException:
            commit.abandon()
            raise

    def _keep_failed(self, item: Any) -> None:
        """Dump a job that could not be committed as raw arrays, so no recorded frame is lost."""
        if not isinstance(item, EpisodeJob):
            return
        target = self.root / layout.RECORDING_DIR / "failed"
        target.mkdir(parents=True, exist_ok=True)
        arrays = {k.replace("/", "_"): np.asarray(v) for k, v in item.buffer.columns.items() if k not in ("source", "instruction")}
        np.savez(target / f"episode_{item.episode_index:06d}.npz", tasks=np.asarray(item.buffer.tasks), **arrays)
