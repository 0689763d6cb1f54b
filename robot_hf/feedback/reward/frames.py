"""Every frame of a dataset as a reward model reads it, and segments of those frames.

The pool decodes each camera once, resizes it to the model's input size and keeps it as uint8, so
training and querying index frames by their global index with no decoding. A segment is K consecutive
frames of one episode, named by its first frame's global index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from policies.reward.model import to_pixels
from robot_hf.dataset import DatasetReader, Preference
from robot_hf.training.setup import dataset_cameras


@dataclass
class FramePool:
    reader: DatasetReader
    cameras: list[str]
    pixels: torch.Tensor  # (N, 3 x cameras, S, S) uint8
    state: torch.Tensor  # (N, D) float32
    episode_of: np.ndarray  # (N,)
    bounds: np.ndarray  # (E, 2) [from, to) per episode
    seeds: list[int | None]  # each episode's reset seed (None on a real arm)
    success: np.ndarray  # (E,) bool: the episode's recorded outcome
    progress: np.ndarray | None = None  # (N,) the task's true progress, where known (sim recordings)

    @classmethod
    def load(cls, reader: DatasetReader, image_size: int | None, cameras: list[str] | None = None,
             camera_keys: dict[str, str] | None = None, with_progress: bool = False) -> FramePool:
        by_name = dataset_cameras(reader, camera_keys)
        chosen = list(by_name) if cameras is None else list(cameras)
        missing = [c for c in chosen if c not in by_name]
        if missing or not chosen:
            raise ValueError(f"reward.cameras={chosen}: dataset {reader.root} has cameras {sorted(by_name)}; "
                             "choose among them (the reward model reads images)")
        # image_size None: segments and episodes only (choosing uniform queries needs no pixels)
        parts = ([to_pixels(reader.camera_all(by_name[c]), image_size) for c in chosen] if image_size
                 else [torch.zeros((reader.num_frames, 0, 1, 1), dtype=torch.uint8)])
        episode_of = reader.column("episode_index").astype(np.int64)
        meta = reader.meta.episodes
        progress = None
        if with_progress:
            from robot_hf.feedback.reward.progress import true_progress

            progress = true_progress(reader)
        return cls(
            reader=reader, cameras=chosen, pixels=torch.cat(parts, dim=1),
            state=torch.as_tensor(np.array(reader.column("observation.state"), dtype=np.float32)),
            episode_of=episode_of, bounds=np.asarray(reader.episode_bounds),
            seeds=[ep.get("seed") for ep in meta],
            success=np.asarray([bool(ep.get("success", False)) for ep in meta]),
            progress=progress,
        )

    @property
    def num_frames(self) -> int:
        return len(self.pixels)

    @property
    def num_episodes(self) -> int:
        return len(self.bounds)

    def episode_frames(self, episode: int) -> np.ndarray:
        lo, hi = self.bounds[episode]
        return np.arange(lo, hi)

    def segment_starts(self, length: int, episodes: np.ndarray | None = None) -> np.ndarray:
        """Global indices where a `length`-frame segment can start, in the given episodes (all by default)."""
        chosen = range(self.num_episodes) if episodes is None else episodes
        starts = [np.arange(lo, hi - length + 1) for lo, hi in (self.bounds[e] for e in chosen) if hi - lo >= length]
        return np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)

    def features(self, use_state: bool) -> dict[str, Any]:
        state = self.state.numpy()
        out: dict[str, Any] = {"cameras": list(self.cameras), "state_dim": int(state.shape[1]), "fps": self.reader.fps}
        if use_state:
            out["state_mean"] = state.mean(axis=0).tolist()
            out["state_std"] = np.maximum(state.std(axis=0), 1e-3).tolist()
        return out

    # ---- preferences <-> segments ------------------------------------------------------------------------
    def span(self, episode: int, start: int, end: int) -> np.ndarray:
        lo, hi = self.bounds[episode]
        if not 0 <= start < end <= hi - lo:
            raise ValueError(f"frames [{start}, {end}) fall outside episode {episode} ({hi - lo} frames)")
        return np.arange(lo + start, lo + end)

    def preference_spans(self, pref: Preference) -> tuple[np.ndarray, np.ndarray]:
        return (self.span(pref.a_episode_index, pref.a_from_frame, pref.a_to_frame),
                self.span(pref.b_episode_index, pref.b_from_frame, pref.b_to_frame))

    def preference(self, start_a: int, start_b: int, length: int, choice: str, annotator: str) -> Preference:
        """A Preference row for two segments named by their first frames' global indices."""
        ea, eb = int(self.episode_of[start_a]), int(self.episode_of[start_b])
        fa, fb = int(start_a - self.bounds[ea, 0]), int(start_b - self.bounds[eb, 0])
        return Preference(a_episode_index=ea, a_from_frame=fa, a_to_frame=fa + length,
                          b_episode_index=eb, b_from_frame=fb, b_to_frame=fb + length, choice=choice, annotator=annotator)

