"""Feedback tables stored beside the frames, each declared once: corrections, preferences, and the tables to come.

A table is a row dataclass, an Arrow schema and the spans its rows point at (episode, frame range).
From that one declaration come reading, appending, merging (episode indices remapped), and the checks
`dataset validate` runs. Rows are appended as new part files (`meta/<table>/file-NNNNNN.parquet`, in
the same journaled commit as whatever they belong to), so adding one preference never rewrites the
table; `meta/<table>.parquet`, the single file older robot-hf wrote, is still read first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CORRECTION_KINDS = ("language", "motion", "instruction", "success", "failure")
PREFERENCE_CHOICES = ("a", "b", "equal", "skip")


@dataclass
class Correction:
    """A person's words at one frame of an episode ("a bit to the left")."""

    episode_index: int
    frame_index: int
    timestamp: float
    text: str
    kind: str = "language"
    # What the text was taken to mean (a motion of the vocabulary; "" where it was refused or not resolved), how sure
    # the resolver was, and who gave it.
    motion: str = ""
    confidence: float = float("nan")
    who: str = ""

    def __post_init__(self):
        if self.kind not in CORRECTION_KINDS:
            raise ValueError(f"correction kind {self.kind!r} is not one of {CORRECTION_KINDS}")


@dataclass
class Preference:
    """A choice between two segments, each given as an episode and a frame range [from, to)."""

    a_episode_index: int
    a_from_frame: int
    a_to_frame: int
    b_episode_index: int
    b_from_frame: int
    b_to_frame: int
    choice: str
    annotator: str = "unknown"
    strength: float = 1.0
    time: float = field(default_factory=time.time)

    def __post_init__(self):
        if self.choice not in PREFERENCE_CHOICES:
            raise ValueError(f"preference choice {self.choice!r} is not one of {PREFERENCE_CHOICES}")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"preference strength must lie in [0, 1], got {self.strength}")
        for seg in ("a", "b"):
            lo, hi = getattr(self, f"{seg}_from_frame"), getattr(self, f"{seg}_to_frame")
            if not 0 <= lo < hi:
                raise ValueError(f"segment {seg}: frame range [{lo}, {hi}) is empty or negative")


def _same(row: dict) -> dict:
    return row


@dataclass(frozen=True)
class Span:
    """Where a row points into the frames: an episode, and a frame (end None) or a frame range [start, end)."""

    episode: str
    start: str
    end: str | None = None


@dataclass(frozen=True)
class FeedbackTable:
    name: str
    row: type
    schema: pa.Schema
    spans: tuple[Span, ...]
    # Python row <-> Arrow row, where a field is stored in another form (a time as a timestamp).
    to_arrow: Callable[[dict], dict] = _same
    from_arrow: Callable[[dict], dict] = _same

    # ---- where it lives -----------------------------------------------------------------------------
    def legacy_path(self, root: Path) -> Path:
        return Path(root) / "meta" / f"{self.name}.parquet"

    def parts(self, root: Path) -> list[Path]:
        return sorted((Path(root) / "meta" / self.name).glob("file-*.parquet"))

    # ---- reading and writing --------------------------------------------------------------------------
    def read(self, root: Path) -> list:
        files = ([self.legacy_path(root)] if self.legacy_path(root).exists() else []) + self.parts(root)
        return [self.row(**self.from_arrow(r)) for f in files for r in pq.read_table(f).to_pylist()]

    def stage_append(self, commit, root: Path, rows: Iterable) -> None:
        """Stage the rows as one new part file in `commit`; nothing already stored is rewritten."""
        rows = list(rows)
        if not rows:
            return
        existing = [int(p.stem.split("-")[1]) for p in self.parts(root)]
        path = Path(root) / "meta" / self.name / f"file-{max(existing, default=-1) + 1:06d}.parquet"
        names = [f.name for f in fields(self.row)]
        table = pa.Table.from_pylist([self.to_arrow(asdict(r)) for r in rows], schema=self.schema)
        pq.write_table(table.select(names), commit.stage(path))

    def stage_remove_last(self, commit, root: Path, rows: list) -> bool:
        """Stage removing the newest part file when it holds exactly `rows` (an undone answer); False otherwise."""
        parts = self.parts(root)
        if not parts:
            return False
        def key(row) -> dict:  # when a row was stored loses precision on disk; the rest identifies it
            return {k: v for k, v in asdict(row).items() if k != "time"}

        stored = [key(self.row(**self.from_arrow(r))) for r in pq.read_table(parts[-1]).to_pylist()]
        if stored != [key(r) for r in rows]:
            return False
        commit.remove(parts[-1])
        return True

    # ---- what rows point at ----------------------------------------------------------------------------
    def episodes(self, row) -> list[int]:
        return [int(getattr(row, s.episode)) for s in self.spans]

    def bind(self, row, episode_index: int):
        """A row recorded during an episode (episode -1) bound to that episode's index once it is saved."""
        return replace(row, **{s.episode: episode_index for s in self.spans if getattr(row, s.episode) == -1})

    def remap(self, row, mapping: Mapping[int, int]):
        """The row with its episodes renumbered; None when one of them was dropped."""
        if any(e not in mapping for e in self.episodes(row)):
            return None
        return replace(row, **{s.episode: mapping[int(getattr(row, s.episode))] for s in self.spans})

    def problems(self, row, lengths: Mapping[int, int]) -> list[str]:
        """What is wrong with where the row points, given each episode's length."""
        out = []
        for s in self.spans:
            ep, lo = int(getattr(row, s.episode)), int(getattr(row, s.start))
            hi = int(getattr(row, s.end)) if s.end else lo + 1
            if ep not in lengths:
                out.append(f"{s.episode} {ep}: episode {ep} does not exist")
            elif s.end is None and not 0 <= lo < lengths[ep]:
                out.append(f"points at frame {lo} of episode {ep}, which has {lengths[ep]} frames")
            elif not 0 <= lo < hi <= lengths[ep]:
                out.append(f"frames [{lo}, {hi}) fall outside episode {ep} ({lengths[ep]} frames)")
        return out


def _correction_from_arrow(row: dict) -> dict:
    """Corrections written before the resolved motion was kept have none."""
    return {"motion": "", "confidence": float("nan"), "who": "", **{k: v for k, v in row.items() if v is not None}}


def _time_to_arrow(row: dict) -> dict:
    return {**row, "time": int(row["time"] * 1_000_000)}


def _time_from_arrow(row: dict) -> dict:
    value = row.get("time")
    return {**row, "time": value.timestamp() if value is not None else 0.0}


CORRECTIONS = FeedbackTable(
    "corrections", Correction,
    pa.schema([("episode_index", pa.int64()), ("frame_index", pa.int64()), ("timestamp", pa.float64()),
               ("text", pa.string()), ("kind", pa.string()), ("motion", pa.string()), ("confidence", pa.float64()),
               ("who", pa.string())]),
    spans=(Span("episode_index", "frame_index"),),
    from_arrow=_correction_from_arrow,
)
PREFERENCES = FeedbackTable(
    "preferences", Preference,
    pa.schema([("a_episode_index", pa.int64()), ("a_from_frame", pa.int64()), ("a_to_frame", pa.int64()),
               ("b_episode_index", pa.int64()), ("b_from_frame", pa.int64()), ("b_to_frame", pa.int64()),
               ("choice", pa.string()), ("annotator", pa.string()), ("strength", pa.float64()),
               ("time", pa.timestamp("us", tz="UTC"))]),
    spans=(Span("a_episode_index", "a_from_frame", "a_to_frame"), Span("b_episode_index", "b_from_frame", "b_to_frame")),
    to_arrow=_time_to_arrow, from_arrow=_time_from_arrow,
)
# Every feedback table a dataset may hold; a new feedback kind adds its declaration here.
TABLES: dict[str, FeedbackTable] = {t.name: t for t in (CORRECTIONS, PREFERENCES)}
CORRECTIONS_SCHEMA, PREFERENCES_SCHEMA = CORRECTIONS.schema, PREFERENCES.schema


def table_of(row: Any) -> FeedbackTable:
    for table in TABLES.values():
        if isinstance(row, table.row):
            return table
    raise TypeError(f"{type(row).__name__} is not a row of any feedback table ({sorted(TABLES)})")
