"""Training access: windows of past observations and future actions around any frame."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import av
import numpy as np
import torch
from torch.utils.data import Dataset

from robot_hf.dataset import layout
from robot_hf.dataset.frame_cache import frames_on_disk
from robot_hf.dataset.metadata import DatasetFormatError
from robot_hf.dataset.reader import DatasetReader
from robot_hf.dataset.stats import array_stats
from robot_hf.dataset.video import decode_at

log = logging.getLogger(__name__)
# Where decoded frames are kept: "auto" (memory when they fit the budget, else the on-disk cache), "memory", "disk",
# "none" (decoded per sample).
CACHE_MODES = ("auto", "memory", "disk", "none")


def _already_collated(batch: dict[str, Any]) -> dict[str, Any]:
    return batch


def available_memory_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


class WindowDataset(Dataset):
    """One sample per frame t: observations t-n_obs+1..t and `horizon` actions from t+action_start (+ its action lag).

    Indices outside the episode are clamped to its edge frames and flagged in `observation_is_pad`
    and `action_is_pad`. Camera frames come from a uint8 cache decoded once: in memory when it fits
    `cache_budget_bytes` (default: half the available memory), otherwise memory-mapped from the
    dataset's on-disk frame cache (robot_hf/dataset/frame_cache.py); cache="none" decodes per sample.
    """

    def __init__(
        self,
        reader: DatasetReader,
        n_obs_steps: int = 2,
        horizon: int = 16,
        action_start: int | None = None,
        camera_keys: Sequence[str] | Mapping[str, str] | None = None,
        state_key: str = "observation.state",
        action_key: str = "action",
        episodes: Sequence[int] | None = None,
        weights: np.ndarray | None = None,
        cache: str = "auto",
        cache_budget_bytes: int | None = None,
        extras: Mapping[str, np.ndarray] | None = None,
        action_lag: np.ndarray | None = None,
    ):
        if n_obs_steps < 1 or horizon < 1:
            raise ValueError(f"n_obs_steps and horizon must be >= 1, got {n_obs_steps} and {horizon}")
        if cache not in CACHE_MODES:
            raise ValueError(f"cache must be one of {CACHE_MODES}, got {cache!r}")
        self.reader = reader
        self.n_obs_steps, self.horizon = n_obs_steps, horizon
        self.action_start = -(n_obs_steps - 1) if action_start is None else action_start
        # The batch's key for each camera -> the dataset's (a policy's `observation.images.image` may read
        # LeRobot's `observation.image`).
        if camera_keys is None:
            camera_keys = reader.camera_keys
        self.camera_sources = dict(camera_keys) if isinstance(camera_keys, Mapping) else {k: k for k in camera_keys}
        self.camera_keys = list(self.camera_sources)
        missing = [k for k in self.camera_sources.values() if k not in reader.features]
        if missing:
            raise KeyError(f"dataset {reader.root} has no camera(s) {missing}; it has {reader.camera_keys}")
        for key in (state_key, action_key):
            if key not in reader.features:
                raise KeyError(f"dataset {reader.root} has no feature {key!r}")
        self.state_key, self.action_key = state_key, action_key
        self.state = reader.column(state_key).astype(np.float32)
        self.action = reader.column(action_key).astype(np.float32)
        self.episode_of = reader.column("episode_index")
        self.task_index = reader.column("task_index")
        self.instruction = reader.column("instruction")
        # Per-frame arrays a policy trains on besides the columns (motion labels for a hierarchical policy).
        self.extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        for key, values in self.extras.items():
            if len(values) != reader.num_frames:
                raise ValueError(f"extra training array {key!r} has {len(values)} values for {reader.num_frames} frames")
        bounds = reader.episode_bounds
        self.ep_lo, self.ep_hi = bounds[self.episode_of, 0], bounds[self.episode_of, 1]
        chosen = range(reader.num_episodes) if episodes is None else episodes
        self.indices = np.concatenate([np.arange(*bounds[e]) for e in chosen]) if len(chosen) else np.zeros(0, np.int64)
        if weights is not None and len(weights) != reader.num_frames:
            raise ValueError(f"weights must have one value per frame ({reader.num_frames}), got {len(weights)}")
        self.weights = np.ones(reader.num_frames, np.float32) if weights is None else np.asarray(weights, np.float32)
        if weights is not None:
            if (self.weights < 0).any() or not np.isfinite(self.weights).all():
                raise ValueError("weights must be finite and >= 0 (a frame's share of the loss)")
            # A zero-weight frame adds nothing to the loss, so it is not drawn (a batch of them would be wasted);
            # it still appears as context in its neighbours' observation and action windows.
            self.indices = self.indices[self.weights[self.indices] > 0]
            if not len(self.indices):
                raise ValueError("every chosen frame has weight 0: nothing to train on (check the learner's class weights)")
        # Steps by which each frame's actions trail it (one value per frame): the frame trains on the actions recorded
        # that many steps later, the ones its operator decided from it (a person's reaction time, a pipeline's latency).
        self.action_lag = np.zeros(reader.num_frames, np.int64) if action_lag is None else np.asarray(action_lag, np.int64)
        if self.action_lag.shape != (reader.num_frames,) or (self.action_lag < 0).any():
            raise ValueError(f"action_lag must be one value >= 0 per frame ({reader.num_frames}), got shape {self.action_lag.shape}")
        self.obs_offsets = np.arange(-(n_obs_steps - 1), 1)
        self.action_offsets = np.arange(self.action_start, self.action_start + horizon)
        self.frames: dict[str, np.ndarray] = {}
        # The same checks whether frames are cached or decoded per sample: a video short of frames is an error now,
        # not at a random step later.
        from robot_hf.dataset.validate import video_findings

        problems = video_findings(reader.meta) if any(reader.features[k]["dtype"] == "video" for k in self.camera_sources.values()) else []
        if problems:
            raise DatasetFormatError(f"{reader.root}: {problems[0].message}; run `robot-hf dataset validate dataset.root={reader.root}`")
        self.cached = self._build_cache(cache, cache_budget_bytes)

    # ---- frames -----------------------------------------------------------------------------------
    @property
    def cache_place(self) -> str | None:
        """Where decoded frames are read from: "memory", "disk" (the memory-mapped frame cache) or None (decoded per sample)."""
        if not self.cached:
            return None
        return "disk" if any(isinstance(f, np.memmap) for f in self.frames.values()) else "memory"

    def frame_bytes(self) -> int:
        return sum(int(np.prod(self.reader.features[k]["shape"])) for k in self.camera_sources.values()) * self.reader.num_frames

    def _build_cache(self, mode: str, budget: int | None) -> bool:
        """Frames decoded once: in memory when they fit `budget` (or mode=memory), else (or mode=disk) memory-mapped
        from the dataset's on-disk frame cache; False: decoded per sample (mode=none, or no cache could be written)."""
        if not self.camera_keys or mode == "none":
            return False
        need = self.frame_bytes()
        budget = available_memory_bytes() // 2 if budget is None else budget
        if mode == "disk" or (mode == "auto" and need > budget):
            if mode == "auto":
                log.info("%s: decoded frames need %.2f GiB, over the memory budget of %.2f GiB: memory-mapping them from "
                         "the on-disk frame cache", self.reader.root, need / 2**30, budget / 2**30)
            frames = {key: frames_on_disk(self.reader, source) for key, source in self.camera_sources.items()}
            if any(f is None for f in frames.values()):
                return False
            self.frames = frames
            return True
        for key, source in self.camera_sources.items():
            self.frames[key] = np.ascontiguousarray(self.reader.camera_all(source).transpose(0, 3, 1, 2))
        return True

    def _camera_window(self, key: str, frames: np.ndarray) -> np.ndarray:
        """(n, H, W, 3) frames decoded from disk (the path when frames are not cached)."""
        key = self.camera_sources[key]
        if self.reader.features[key]["dtype"] == "image":
            return np.stack([self.reader.camera_frames(key, int(self.episode_of[f]))[f - self.ep_lo[f]] for f in frames])
        ep = self.reader.meta.episodes[int(self.episode_of[frames[0]])]
        path = layout.video_path(self.reader.root, key, self.reader.meta.video_ref(ep, key))
        start = float(ep[f"videos/{key}/from_timestamp"])
        times = start + (frames - int(ep["dataset_from_index"])) / self.reader.fps
        try:
            return decode_at(path, times)
        except av.error.FFmpegError as error:
            raise DatasetFormatError(self.reader.undecodable(path, int(ep["episode_index"]), error)) from None

    # ---- Dataset ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict[str, Any]:
        batch = self.__getitems__([i])
        return {k: (v[0] if isinstance(v, torch.Tensor | list) else v) for k, v in batch.items()}

    def __getitems__(self, positions: Sequence[int]) -> dict[str, Any]:
        """A whole batch at once, gathered with array indexing (the DataLoader calls this)."""
        return self.at_frames(self.indices[np.asarray(positions, dtype=np.int64)])

    def at_frames(self, t: np.ndarray) -> dict[str, Any]:
        """The windows around dataset frames `t` (global indices, any episode, drawn for training or not)."""
        t = np.asarray(t, dtype=np.int64)
        lo, hi = self.ep_lo[t][:, None], self.ep_hi[t][:, None]
        obs = t[:, None] + self.obs_offsets
        act = t[:, None] + self.action_offsets + self.action_lag[t][:, None]
        obs_pad, act_pad = (obs < lo) | (obs >= hi), (act < lo) | (act >= hi)
        obs, act = np.clip(obs, lo, hi - 1), np.clip(act, lo, hi - 1)
        batch: dict[str, Any] = {
            self.state_key: torch.from_numpy(self.state[obs]),
            self.action_key: torch.from_numpy(self.action[act]),
            "observation_is_pad": torch.from_numpy(obs_pad),
            "action_is_pad": torch.from_numpy(act_pad),
            "weight": torch.from_numpy(self.weights[t]),
            "index": torch.from_numpy(t),
            "episode_index": torch.from_numpy(self.episode_of[t]),
            "task_index": torch.from_numpy(self.task_index[t]),
            "instruction": torch.from_numpy(self.instruction[t]),
            "task": [self.reader.tasks[int(k)] for k in self.instruction[t]],
            # The episode's task, where `task` is the instruction in force (a motion, once labelled).
            "goal": [self.reader.tasks[int(k)] for k in self.task_index[t]],
        }
        for key, values in self.extras.items():
            batch[key] = torch.from_numpy(values[t])
        for key in self.camera_keys:
            if self.cached:
                images = self.frames[key][obs]  # cache is (N, 3, H, W): no transpose per batch
            else:
                images = np.stack([self._camera_window(key, row).transpose(0, 3, 1, 2) for row in obs])
            batch[key] = torch.from_numpy(np.ascontiguousarray(images))
        return batch

    def loader(self, batch_size: int, shuffle: bool = True, num_workers: int = 0, seed: int = 0,
               drop_last: bool = False, sampler=None) -> torch.utils.data.DataLoader:
        """A DataLoader that fetches whole batches through __getitems__."""
        return torch.utils.data.DataLoader(
            self, batch_size=batch_size, shuffle=shuffle if sampler is None else False, sampler=sampler,
            num_workers=num_workers, drop_last=drop_last, collate_fn=_already_collated,
            persistent_workers=num_workers > 0, generator=torch.Generator().manual_seed(seed),
        )

    # ---- normalisation ---------------------------------------------------------------------------------
    def stats(self) -> dict[str, dict[str, np.ndarray]]:
        """mean/std/min/max of state, action and cameras; from meta/stats.json when present."""
        out = {}
        for key, values in ((self.state_key, self.state), (self.action_key, self.action)):
            stored = self.reader.meta.stats.get(key)
            stats = stored if stored and all(s in stored for s in ("mean", "std", "min", "max")) else array_stats(values)
            out[key] = {s: np.asarray(stats[s], dtype=np.float32).reshape(-1) for s in ("mean", "std", "min", "max")}
        for key, source in self.camera_sources.items():
            stored = self.reader.meta.stats.get(source, {})
            out[key] = {s: np.asarray(stored.get(s, default), dtype=np.float32).reshape(3, 1, 1)
                        for s, default in (("mean", 0.5), ("std", 0.25), ("min", 0.0), ("max", 1.0))}
        return out
