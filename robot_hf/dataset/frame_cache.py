"""Decoded camera frames on disk: a uint8 (N, 3, H, W) file per camera, memory-mapped, for datasets whose frames do
not fit in memory. Decoded once, in the dataset's `.cache/frames/` folder, and rebuilt when the dataset changes: the
cache is keyed by a fingerprint of the dataset's metadata and the camera's files (paths, sizes, modification times),
so an episode added, deleted or re-encoded never serves stale frames.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from robot_hf.dataset import layout
from robot_hf.dataset.reader import DatasetReader

log = logging.getLogger(__name__)
CACHE_DIR = ".cache/frames"


def fingerprint(reader: DatasetReader, key: str) -> str:
    """What the camera's decoded frames depend on: the metadata and the files its frames are stored in."""
    root = reader.root
    stored = root / "videos" / key if reader.features[key]["dtype"] == "video" else root / "data"
    files = sorted(p for folder in (root / "meta", stored) if folder.exists() for p in folder.rglob("*") if p.is_file())
    digest = hashlib.sha256(f"{key} {reader.features[key]['shape']} {reader.num_frames}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(root)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def frames_on_disk(reader: DatasetReader, key: str) -> np.ndarray | None:
    """The camera's frames, (N, 3, H, W) uint8, memory-mapped from the cache (built first when missing or stale);
    None when the dataset's folder cannot hold a cache (read-only), with a line saying so."""
    h, w, c = reader.features[key]["shape"]
    shape = (reader.num_frames, c, h, w)
    folder = reader.root / CACHE_DIR
    name = key.replace("/", "_")
    data, meta = folder / f"{name}.u8", folder / f"{name}.json"
    expected = fingerprint(reader, key)
    if not _valid(data, meta, expected, shape):
        try:
            _build(reader, key, folder, data, meta, expected, shape)
        except OSError as error:
            log.warning("%s: cannot write the frame cache in %s (%s): decoding video per sample", reader.root, folder, error)
            return None
    return np.memmap(data, dtype=np.uint8, mode="r", shape=shape)


def _valid(data: Path, meta: Path, expected: str, shape: tuple[int, ...]) -> bool:
    try:
        written = json.loads(meta.read_text())
    except (OSError, ValueError):
        return False
    return (written.get("fingerprint") == expected and tuple(written.get("shape", ())) == shape
            and data.exists() and data.stat().st_size == int(np.prod(shape)))


def _build(reader: DatasetReader, key: str, folder: Path, data: Path, meta: Path, expected: str, shape: tuple[int, ...]) -> None:
    """Decode episode by episode into a new file (memory stays one episode), then swap it in: a build cut off leaves
    the old cache's fingerprint unmatched, never a half-written file that passes."""
    folder.mkdir(parents=True, exist_ok=True)
    meta.unlink(missing_ok=True)  # the fingerprint goes first and comes back last
    log.info("%s: decoding %s into the frame cache %s (%.2f GiB)", reader.root, key, data, np.prod(shape) / 2**30)
    tmp = data.with_suffix(f".tmp{os.getpid()}")
    try:
        out = np.memmap(tmp, dtype=np.uint8, mode="w+", shape=shape)
        for ep in reader.meta.episodes:
            lo = int(ep["dataset_from_index"])
            frames = reader.camera_frames(key, int(ep["episode_index"]))
            out[lo: lo + len(frames)] = frames.transpose(0, 3, 1, 2)
        out.flush()
        del out
        os.replace(tmp, data)
    finally:
        tmp.unlink(missing_ok=True)
    meta.write_text(json.dumps({"fingerprint": expected, "shape": list(shape), "camera": key,
                                "codebase_version": layout.CODEBASE_VERSION}))
