"""Preference pairs as training windows: for each answered pair, the chosen and the rejected segment's frames at
the same offsets, with the observations before each frame and the action chunk the robot took from it."""

from __future__ import annotations

from typing import Any

import numpy as np

from robot_hf.dataset import DatasetReader, Preference


def _source_of(annotator: str) -> str:
    return annotator.split(":", 1)[0]


def decided_pairs(preferences: list[Preference], sources: list[str]) -> list[Preference]:
    """The answers a preference objective trains on: decided (a or b) and from one of `sources`."""
    return [p for p in preferences if p.choice in ("a", "b") and _source_of(p.annotator) in sources]


class SegmentPairs:
    """The dataset's decided answers (a or b; equal and skip carry no direction) from the chosen sources."""

    def __init__(self, reader: DatasetReader, windows, sources: list[str]):
        self.windows = windows
        bounds = reader.episode_bounds
        rows = decided_pairs(reader.preferences, sources)
        chosen, rejected, length = [], [], []
        for p in rows:
            a = (bounds[p.a_episode_index, 0] + p.a_from_frame, p.a_to_frame - p.a_from_frame)
            b = (bounds[p.b_episode_index, 0] + p.b_from_frame, p.b_to_frame - p.b_from_frame)
            win, lose = (a, b) if p.choice == "a" else (b, a)
            chosen.append(win[0])
            rejected.append(lose[0])
            length.append(min(win[1], lose[1]))
        self.chosen, self.rejected = np.asarray(chosen, np.int64), np.asarray(rejected, np.int64)
        self.length = np.asarray(length, np.int64)
        self.sources = sorted({_source_of(p.annotator) for p in rows})
        if len(rows) and (self.length < 1).any():
            raise ValueError(f"dataset {reader.root}: a preference has an empty segment; check meta/preferences")

    def __len__(self) -> int:
        return len(self.chosen)

    def sample(self, pairs: int, frames: int, rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
        """Windows of `pairs` pairs x `frames` offsets each (pair-major, offsets rising): chosen, rejected, and the
        offsets (P, F) within each segment."""
        picked = rng.integers(0, len(self), pairs)
        offsets = np.sort(np.stack([rng.integers(0, self.length[i], frames) for i in picked]), axis=1)
        win = (self.chosen[picked, None] + offsets).reshape(-1)
        lose = (self.rejected[picked, None] + offsets).reshape(-1)
        return self.windows.at_frames(win), self.windows.at_frames(lose), offsets
