"""Feedback tables stored beside the frames: meta/corrections.parquet and meta/preferences.parquet."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout

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


CORRECTIONS_SCHEMA = pa.schema(
    [
        ("episode_index", pa.int64()),
        ("frame_index", pa.int64()),
        ("timestamp", pa.float64()),
        ("text", pa.string()),
        ("kind", pa.string()),
    ]
)
PREFERENCES_SCHEMA = pa.schema(
    [
        ("a_episode_index", pa.int64()),
        ("a_from_frame", pa.int64()),
        ("a_to_frame", pa.int64()),
        ("b_episode_index", pa.int64()),
        ("b_from_frame", pa.int64()),
        ("b_to_frame", pa.int64()),
        ("choice", pa.string()),
        ("annotator", pa.string()),
        ("strength", pa.float64()),
        ("time", pa.timestamp("us", tz="UTC")),
    ]
)


def read_corrections(root: Path) -> list[Correction]:
    path = Path(root) / layout.CORRECTIONS_PATH
    if not path.exists():
        return []
    return [Correction(**row) for row in pq.read_table(path).to_pylist()]


def read_preferences(root: Path) -> list[Preference]:
    path = Path(root) / layout.PREFERENCES_PATH
    if not path.exists():
        return []
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        row["time"] = row["time"].timestamp() if row["time"] is not None else 0.0
    return [Preference(**row) for row in rows]


def write_corrections(path: Path, corrections: list[Correction]) -> None:
    names = [f.name for f in fields(Correction)]
    table = pa.Table.from_pylist([asdict(c) for c in corrections], schema=CORRECTIONS_SCHEMA)
    pq.write_table(table.select(names), path)


def write_preferences(path: Path, preferences: list[Preference]) -> None:
    rows = [asdict(p) for p in preferences]
    for row in rows:
        row["time"] = int(row["time"] * 1_000_000)
    pq.write_table(pa.Table.from_pylist(rows, schema=PREFERENCES_SCHEMA), path)
