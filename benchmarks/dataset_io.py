"""Dataset I/O: recording latency and save overhead at 30 fps, and training windows per second.

    python benchmarks/dataset_io.py            # 4 paced episodes, 20-episode training set
    python benchmarks/dataset_io.py --quick    # a smoke run

Recording: 2 cameras 96x96 + 14-d state at 30 fps, 300-frame episodes, paced in real time so the
background encoder runs while the next episode is recorded. The baseline in the same run is a
synchronous save (the loop waits for encoding, as LeRobot's record loop does by default).
Training: windows with n_obs_steps=2, horizon=16 and both cameras, from the on-disk dataset,
through a DataLoader; cold (cache built from video) and warm, against per-sample video decoding. The last row reads
the on-disk frame cache with the OS page cache emptied first (root on Linux): its first pass reads every frame from the
disk, as training on a dataset larger than memory does.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import robot_hf.dataset.writer as writer_module
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.dataset.windows import WindowDataset

FPS, STEPS, SIZE, STATE = 30, 300, 96, 14


def scene(rng: np.random.Generator, t: int, cam: int) -> np.ndarray:
    """A moving gradient with noise: content a codec has to work for, like a rendered scene."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    base = (np.sin((x + 2 * t + 30 * cam) / 9.0) + np.cos((y - t) / 7.0)) * 60 + 128
    img = np.stack([base, base * 0.8 + 20, 255 - base], axis=-1) + rng.normal(0, 6, (SIZE, SIZE, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_frames(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    frames = []
    for t in range(n):
        frames.append({
            "observation.images.front": scene(rng, t, 0),
            "observation.images.wrist": scene(rng, t, 1),
            "observation.state": rng.normal(size=STATE).astype(np.float32),
            "action": rng.normal(size=7).astype(np.float32),
            "task": "lift the cube",
        })
    return frames


def features() -> dict:
    return build_features({"front": (SIZE, SIZE), "wrist": (SIZE, SIZE)}, [f"q{i}" for i in range(STATE)], [f"a{i}" for i in range(7)])


def record(root: Path, episodes: int, frames: list[dict], synchronous: bool, paced: bool = True) -> dict:
    commit_s: list[float] = []
    real_commit = writer_module.commit_episode

    def timed_commit(*args, **kwargs):
        t0 = time.perf_counter()
        real_commit(*args, **kwargs)
        commit_s.append(time.perf_counter() - t0)

    writer_module.commit_episode = timed_commit
    add_ms, save_s = [], []
    try:
        w = DatasetWriter.create(root, FPS, features())
        for _ in range(episodes):
            start = time.perf_counter()
            for t, frame in enumerate(frames):
                t0 = time.perf_counter()
                w.add_frame(frame)
                add_ms.append((time.perf_counter() - t0) * 1e3)
                if paced:
                    wait = start + (t + 1) / FPS - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
            t0 = time.perf_counter()
            w.save_episode()
            if synchronous:
                w.wait()
            save_s.append(time.perf_counter() - t0)
        w.close()
    finally:
        writer_module.commit_episode = real_commit
    duration = len(frames) / FPS
    return {
        "add_p50_ms": float(np.percentile(add_ms, 50)),
        "add_p99_ms": float(np.percentile(add_ms, 99)),
        "save_fraction": float(np.mean(save_s)) / duration,
        "commit_fraction": float(np.mean(commit_s)) / duration,
    }


def drop_page_cache() -> bool:
    """Empty the OS page cache (Linux, root), so the next reads come from the disk itself; False where not allowed."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
        return True
    except OSError:
        return False


def windows_per_second(root: Path, cache: str, samples: int, workers: int, cold_disk: bool = False) -> tuple[float, float] | None:
    """(first pass, second pass) windows/s. cold_disk: the disk cache is built first and the page cache emptied, so the
    first pass reads the frames from the disk as a dataset larger than memory would (None where that is not allowed)."""
    reader = DatasetReader(root)
    if cold_disk:
        WindowDataset(reader, n_obs_steps=2, horizon=16, cache="disk")
        if not drop_page_cache():
            return None
    t0 = time.perf_counter()
    ds = WindowDataset(reader, n_obs_steps=2, horizon=16, cache=cache)
    loader = ds.loader(batch_size=64, shuffle=True, num_workers=workers)

    def run() -> int:
        seen = 0
        while seen < samples:
            for batch in loader:
                seen += len(batch["action"])
                if seen >= samples:
                    break
        return seen

    cold_n = run()
    cold = cold_n / (time.perf_counter() - t0)
    t1 = time.perf_counter()
    warm = run() / (time.perf_counter() - t1)
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=4, help="paced recording episodes per mode")
    parser.add_argument("--train-episodes", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.episodes, args.train_episodes = 2, 4
    console = Console()
    frames = make_frames(STEPS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rec = Table(title=f"recording: 2 cams {SIZE}x{SIZE} + {STATE}-d state at {FPS} fps, {STEPS}-frame episodes")
        for col in ("save mode", "add_frame p50 ms", "add_frame p99 ms", "loop blocked by save (frac. of episode)", "encode+commit (frac. of episode)"):
            rec.add_column(col)
        results = {}
        for mode, sync in (("synchronous (baseline)", True), ("robot-hf background", False)):
            console.print(f"recording {args.episodes} paced episodes, {mode} ...")
            r = record(tmp / f"rec_{sync}", args.episodes, frames, synchronous=sync)
            results[mode] = r
            rec.add_row(mode, f"{r['add_p50_ms']:.3f}", f"{r['add_p99_ms']:.3f}", f"{r['save_fraction']:.4f}", f"{r['commit_fraction']:.3f}")
        base, ours = results["synchronous (baseline)"], results["robot-hf background"]
        rec.add_row("ratio background / sync", f"{ours['add_p50_ms'] / base['add_p50_ms']:.2f}",
                    f"{ours['add_p99_ms'] / base['add_p99_ms']:.2f}", f"{ours['save_fraction'] / base['save_fraction']:.4f}", "")
        console.print(rec)
        console.print(f"goal: loop blocked by save <= 0.1 of the episode -> {'met' if ours['save_fraction'] <= 0.1 else 'NOT met'}")

        console.print(f"writing a {args.train_episodes}-episode training set ...")
        train_root = tmp / "train"
        train_frames = make_frames(STEPS, seed=1)
        record(train_root, args.train_episodes, train_frames, synchronous=False, paced=False)
        n = args.train_episodes * STEPS
        win = Table(title=f"training windows/s: n_obs 2, horizon 16, 2 cameras, {n} frames, batch 64")
        for col in ("frames from", "workers", "cold windows/s", "warm windows/s", "warm ratio vs per-sample decode"):
            win.add_column(col)
        samples = min(4 * n, 20_000)
        rows = {}
        for cache, label, cold_disk in (("none", "video, decoded per sample (baseline)", False),
                                        ("memory", "uint8 cache in memory", False),
                                        ("disk", "uint8 cache on disk, memory-mapped", False),
                                        ("disk", "uint8 cache on disk, page cache emptied first (cold)", True)):
            for workers in (0, 2):
                measured = windows_per_second(train_root, cache, samples if cache != "none" else min(samples, 2000), workers,
                                              cold_disk)
                if measured is None:
                    console.print(f"{label}: skipped (emptying the page cache needs root on Linux)")
                    continue
                cold, warm = measured
                rows.setdefault((cache, workers), warm)
                base_warm = rows.get(("none", workers), warm)
                win.add_row(label, str(workers), f"{cold:,.0f}", f"{warm:,.0f}", f"{warm / base_warm:.1f}x")
        console.print(win)


if __name__ == "__main__":
    main()
