"""Reading a LeRobot v3.0 dataset (robot-hf's or LeRobot's own) into numpy."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import recover
from robot_hf.dataset.feedback import CORRECTIONS, PREFERENCES, TABLES, Correction, Preference
from robot_hf.dataset.metadata import DatasetFormatError, DatasetMeta
from robot_hf.dataset.migrate import migrate
from robot_hf.dataset.parquet_schema import column_to_numpy, data_schema
from robot_hf.dataset.video import decode_range, iter_frames

log = logging.getLogger(__name__)


class DatasetReader:
    """Metadata, low-dimensional columns and camera frames of a dataset on disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        # A dataset, or one whose first commit was cut off (its journal is there, its info.json not yet): repair on open.
        if (self.root / layout.INFO_PATH).exists() or (self.root / layout.COMMIT_JOURNAL_PATH).exists():
            for repair in (recover, migrate):
                try:
                    done = repair(self.root)
                except OSError:  # read-only copy: read what is there
                    done = None
                if done:
                    log.warning("%s: %s", self.root, done)
        self.meta = DatasetMeta.load(self.root)
        self._table = self._load_data()

    def _load_data(self) -> pa.Table:
        tables = [pq.read_table(layout.data_path(self.root, ref)) for ref in self.meta.data_files()]
        if not tables:  # no episode saved yet: every declared column, empty
            return data_schema(self.meta.features).empty_table()
        table = pa.concat_tables([t.cast(tables[0].schema) for t in tables])
        n = self.meta.total_frames
        index = table.column("index").to_numpy()
        if len(index) < n or not np.array_equal(index[:n], np.arange(n)):
            raise DatasetFormatError(
                f"{self.root}: data rows do not run 0..{n - 1} in order; run `robot-hf dataset validate dataset.root={self.root}`"
            )
        table = table.slice(0, n)
        self._check_episode_rows(table.column("episode_index").to_numpy())
        return table

    def _check_episode_rows(self, episode_of: np.ndarray) -> None:
        """meta/episodes and the data rows must agree on where each episode lies, or windows would mix episodes."""
        for ep in self.meta.episodes:
            e, lo, hi, n = (int(ep[k]) for k in ("episode_index", "dataset_from_index", "dataset_to_index", "length"))
            if hi - lo != n or not np.all(episode_of[lo:hi] == e) or int(np.sum(episode_of == e)) != n:
                raise DatasetFormatError(
                    f"{self.root}: episode {e} is {n} frames at rows {lo}..{hi - 1} in meta/episodes, but the data has "
                    f"{int(np.sum(episode_of == e))} rows of it there; run `robot-hf dataset validate dataset.root={self.root}`")

    # ---- facts ------------------------------------------------------------------------------------
    @property
    def fps(self) -> int:
        return self.meta.fps

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.meta.features

    @property
    def num_episodes(self) -> int:
        return self.meta.total_episodes

    @property
    def num_frames(self) -> int:
        return self.meta.total_frames

    @property
    def tasks(self) -> list[str]:
        return self.meta.tasks

    @property
    def camera_keys(self) -> list[str]:
        return self.meta.camera_keys

    @cached_property
    def episode_bounds(self) -> np.ndarray:
        """(E, 2) [from, to) global frame index of each episode."""
        return np.asarray([[ep["dataset_from_index"], ep["dataset_to_index"]] for ep in self.meta.episodes], dtype=np.int64).reshape(-1, 2)

    def feedback(self, table: str) -> list:
        """Rows of a feedback table (meta/<table>/), e.g. "corrections" or "preferences"."""
        if table not in TABLES:
            raise KeyError(f"no feedback table {table!r}; the tables are {sorted(TABLES)}")
        return TABLES[table].read(self.root)

    @cached_property
    def corrections(self) -> list[Correction]:
        return CORRECTIONS.read(self.root)

    @cached_property
    def preferences(self) -> list[Preference]:
        return PREFERENCES.read(self.root)

    # ---- low-dimensional columns ------------------------------------------------------------------
    def column(self, key: str) -> np.ndarray:
        """A stored column for every frame: (N,) or (N, D); feedback columns default when absent."""
        if key in self._table.column_names:
            ft = self.features[key]
            if ft["dtype"] == "image":
                raise ValueError(f"{key!r} holds images; use camera_frames()")
            return column_to_numpy(self._table.column(key), ft)
        n = self.num_frames
        defaults = {
            "source": lambda: np.full(n, "human", dtype=object),
            "intervention": lambda: np.zeros(n, dtype=bool),
            "rlif_reward": lambda: np.zeros(n, dtype=np.float32),
            "next.reward": lambda: np.zeros(n, dtype=np.float32),
            "next.success": lambda: np.zeros(n, dtype=bool),
            "next.done": lambda: np.r_[self.column("episode_index")[1:] != self.column("episode_index")[:-1], [True]][:n],
            "instruction": lambda: self.column("task_index"),
        }
        if key in defaults:
            return defaults[key]()
        raise KeyError(f"{self.root} has no column {key!r}; columns: {self._table.column_names}")

    def episode(self, episode_index: int) -> dict[str, Any]:
        """Low-dimensional columns of one episode and its metadata row."""
        lo, hi = self.episode_bounds[episode_index]
        out = {"meta": self.meta.episodes[episode_index]}
        for key in self._table.column_names:
            if self.features.get(key, {}).get("dtype") != "image":
                out[key] = self.column(key)[lo:hi]
        return out

    # ---- cameras ------------------------------------------------------------------------------------
    def camera_frames(self, key: str, episode_index: int) -> np.ndarray:
        """Every frame of one camera in one episode, (T, H, W, 3) uint8."""
        ep = self.meta.episodes[episode_index]
        length = int(ep["length"])
        if self.features[key]["dtype"] == "image":
            lo = int(ep["dataset_from_index"])
            cells = self._table.column(key).slice(lo, length).to_pylist()
            return np.stack([_decode_png(c["bytes"]) for c in cells])
        path = layout.video_path(self.root, key, self.meta.video_ref(ep, key))
        try:
            return decode_range(path, float(ep[f"videos/{key}/from_timestamp"]), length, self.fps)
        except av.error.FFmpegError as error:
            raise DatasetFormatError(self.undecodable(path, episode_index, error)) from None

    def undecodable(self, path, episode_index: int, error: Exception) -> str:
        return (f"{path.relative_to(self.root)}: episode {episode_index} cannot be decoded ({error}); "
                f"`robot-hf dataset validate dataset.root={self.root} strict=true` lists every damaged episode")

    def camera_all(self, key: str) -> np.ndarray:
        """Every frame of a camera across the dataset, (N, H, W, 3) uint8, in global index order.

        Video files are decoded front to back once, which is far cheaper than seeking per episode.
        """
        h, w, _ = self.features[key]["shape"]
        out = np.empty((self.num_frames, h, w, 3), dtype=np.uint8)
        if self.features[key]["dtype"] == "image":
            for i, cell in enumerate(self._table.column(key).to_pylist()):
                out[i] = _decode_png(cell["bytes"])
            return out
        by_file: dict[layout.FileRef, list[dict]] = {}
        for ep in self.meta.episodes:
            by_file.setdefault(self.meta.video_ref(ep, key), []).append(ep)
        for ref, episodes in by_file.items():
            starts = np.asarray([float(ep[f"videos/{key}/from_timestamp"]) for ep in episodes])
            filled, t = 0, 0.0
            path = layout.video_path(self.root, key, ref)
            frames = iter_frames(path)
            while True:
                try:
                    t, image = next(frames)
                except StopIteration:
                    break
                except av.error.FFmpegError as error:
                    e = max(0, int(np.searchsorted(starts, t + 0.5 / self.fps, side="right")) - 1)
                    raise DatasetFormatError(self.undecodable(path, episodes[e]["episode_index"], error)) from None
                e = int(np.searchsorted(starts, t + 0.5 / self.fps, side="right")) - 1
                i = int(round((t - starts[e]) * self.fps)) if e >= 0 else -1
                if e < 0 or i >= int(episodes[e]["length"]):
                    continue  # frames no episode points at (LeRobot leaves none; a crash might)
                out[int(episodes[e]["dataset_from_index"]) + i] = image
                filled += 1
            needed = sum(int(ep["length"]) for ep in episodes)
            if filled < needed:
                raise DatasetFormatError(
                    f"{key}: video file {ref} holds {filled} of the {needed} frames its episodes need; "
                    "run `robot-hf dataset validate` to see which"
                )
        return out


def _decode_png(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
