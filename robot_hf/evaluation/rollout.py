"""Run a policy for N seeded episodes in vectorised sim envs; success with a 95% CI, and videos."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from robot_hf.dataset.video import VideoSettings, encode_frames
from robot_hf.evaluation.vector import make_vector_env


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a success rate: honest at 0%, 100% and small n."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class EvalResult:
    episodes: int
    success_rate: float
    ci95: tuple[float, float]
    # None where nobody measures them: a person marking outcomes on a real arm gives no reward and no progress.
    mean_max_reward: float | None
    # The task's shaped progress in [0, 1] (reach, grasp, align ...): where failing policies get to.
    mean_max_progress: float | None
    mean_length: float
    mean_length_success: float | None  # None when no episode succeeded
    seconds: float
    per_episode: list[dict[str, Any]] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    # Who judged success: the task's own check in sim, the person on a real arm.
    judged_by: str = "the task's success check"

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("per_episode")
        return out

    def line(self) -> str:
        lo, hi = self.ci95
        measured = "".join(f", {name} {value:{fmt}}" for name, value, fmt in (
            ("mean max reward", self.mean_max_reward, ".3f"), ("mean max progress", self.mean_max_progress, ".2f"))
            if value is not None)
        return (f"success {100 * self.success_rate:.1f}% (95% CI {100 * lo:.1f}-{100 * hi:.1f}) over {self.episodes} episodes "
                f"judged by {self.judged_by}{measured}, mean length {self.mean_length:.1f} steps")


def video_frame(images: dict[str, np.ndarray], step: int, instruction: str, control: str = "policy") -> np.ndarray:
    """The cameras side by side, each captioned with its name, the step, who is in control and the instruction."""
    from robot_hf.record.display import draw_caption

    return np.concatenate([draw_caption(image, f"{name} | step {step}, {control} in control | {instruction}")
                           for name, image in images.items()], axis=1)


def _run_wave(policy, envs, seeds: list[int], n: int, limit: int, record: list[bool], video_height: int = 256):
    """Step every env of one wave until the first n are done; per env: success, max reward, max progress, length, frames."""
    num_envs = len(seeds)
    obs, _ = envs.reset(seed=seeds)
    policy.reset()
    done = np.zeros(num_envs, dtype=bool)
    success = np.zeros(num_envs, dtype=bool)
    max_reward = np.full(num_envs, -np.inf)
    max_progress = np.zeros(num_envs)
    length = np.zeros(num_envs, dtype=int)
    frames: list[list[np.ndarray]] = [[] for _ in range(num_envs)]
    for step in range(limit):
        if any(record[i] and not done[i] for i in range(num_envs)):
            rendered = envs.call("render_video", video_height)
            for i in range(num_envs):
                if record[i] and not done[i]:
                    frames[i].append(video_frame(rendered[i], step, str(obs["task"][i])))
        obs, reward, terminated, truncated, info = envs.step(policy.select_action(obs))
        live = ~done
        max_reward[live] = np.maximum(max_reward[live], reward[live])
        max_progress[live] = np.maximum(max_progress[live], np.asarray(info["progress"], dtype=float)[live])
        success[live] |= np.asarray(info["success"], dtype=bool)[live]
        length[live] = step + 1
        done |= terminated | truncated
        if done[:n].all():
            break
    return success, max_reward, max_progress, length, frames


def evaluate(
    policy,
    task: dict[str, Any],
    episodes: int,
    num_envs: int = 1,
    seed: int = 100_000,
    max_steps: int | None = None,
    video_dir: str | Path | None = None,
    videos: int = 4,
    on_episode: Callable[[int, dict[str, Any]], None] | None = None,
    video_height: int = 256,
) -> EvalResult:
    """Episode i starts from reset(seed=seed + i); all envs of a wave step together.

    The policy's own sampling (diffusion noise) is seeded per wave too, inside a forked RNG so the caller's
    stream (a training run) is untouched: the same checkpoint evaluated twice gives the same result, and
    two checkpoints are compared on common random numbers. Bit-for-bit only at the same thread count and weight layout:
    torch's kernels sum in another order on more threads or in channels-last, and in a closed loop that can flip an
    episode or two (a Lift checkpoint: 80% of 50 seeds channels-last on one thread as the training loop evaluates it,
    76% on two threads or in the default layout; benchmarks/results/diffusion_budget.txt).
    """
    num_envs = max(1, min(num_envs, episodes))
    reads = getattr(policy, "cameras", None)
    if reads is not None and (video_dir is None or videos <= 0) and (not reads or task.get("cameras") is not None):
        # No video wanted: cameras the policy does not read are not rendered (rendering is most of a sim step).
        task = {**task, "cameras": [c for c in task.get("cameras") or [] if c in reads]}
    envs = make_vector_env(task, num_envs)
    fps = int(task.get("fps", 10))
    results: list[dict[str, Any]] = []
    saved_videos: list[str] = []
    t0 = time.perf_counter()
    was_training = getattr(policy, "training", False)
    if hasattr(policy, "eval"):
        policy.eval()
    cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        try:
            for start in range(0, episodes, num_envs):
                n = min(num_envs, episodes - start)
                seeds = [seed + start + i for i in range(num_envs)]
                record = [start + i < videos and video_dir is not None for i in range(num_envs)]
                torch.manual_seed(seed + start)
                success, max_reward, max_progress, length, frames = _run_wave(policy, envs, seeds, n, max_steps or 10_000, record,
                                                                        video_height)
                for i in range(n):
                    episode = {"seed": seeds[i], "success": bool(success[i]), "max_reward": float(max_reward[i]),
                               "max_progress": float(max_progress[i]), "length": int(length[i])}
                    results.append(episode)
                    if record[i] and frames[i]:
                        path = Path(video_dir) / f"episode_{start + i:03d}_{'success' if success[i] else 'failure'}.mp4"
                        encode_frames(np.stack(frames[i]), path, fps, VideoSettings())
                        saved_videos.append(str(path))
                    if on_episode is not None:
                        on_episode(start + i, episode)
        finally:
            envs.close()
            if was_training and hasattr(policy, "train"):
                policy.train()
    ok = sum(r["success"] for r in results)
    lengths_ok = [r["length"] for r in results if r["success"]]
    return EvalResult(
        episodes=len(results),
        success_rate=ok / max(1, len(results)),
        ci95=wilson_interval(ok, len(results)),
        mean_max_reward=float(np.mean([r["max_reward"] for r in results])),
        mean_max_progress=float(np.mean([r["max_progress"] for r in results])),
        mean_length=float(np.mean([r["length"] for r in results])),
        mean_length_success=float(np.mean(lengths_ok)) if lengths_ok else None,
        seconds=time.perf_counter() - t0,
        per_episode=results,
        videos=saved_videos,
    )
