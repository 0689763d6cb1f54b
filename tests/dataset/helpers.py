"""Small datasets with recognisable content, for the dataset tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from robot_hf.dataset import DatasetWriter, build_features

H, W = 24, 32


def frame(ep: int, t: int, cameras=("front", "wrist"), **extra) -> dict:
    """Camera pixels encode (episode, frame) so any mix-up shows in the decoded values."""
    out = {
        f"observation.images.{c}": np.full((H, W, 3), (40 * ep + 7 * t + 90 * i) % 250, np.uint8)
        for i, c in enumerate(cameras)
    }
    out["observation.state"] = np.array([ep, t, ep * 100 + t], np.float32)
    out["action"] = np.array([t, -t], np.float32)
    out["task"] = "pick up the cube"
    out.update(extra)
    return out


def features(use_videos: bool = True, cameras=("front", "wrist")) -> dict:
    return build_features({c: (H, W) for c in cameras}, ["ep", "t", "code"], ["a", "b"], use_videos=use_videos)


def make_dataset(root: Path, lengths=(12, 15, 9), use_videos: bool = True, fps: int = 10, **writer_kwargs) -> Path:
    with DatasetWriter.create(root, fps, features(use_videos), robot_type="test", **writer_kwargs) as w:
        for ep, n in enumerate(lengths):
            for t in range(n):
                w.add_frame(frame(ep, t, **{"next.reward": float(t)}, source="policy" if t < n // 2 else "human",
                                  intervention=t >= n // 2))
            w.save_episode(success=True)
    return root
