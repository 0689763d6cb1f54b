"""Fitting the value head best-of-N scores chunks with: the learned reward's discounted reward-to-go after each frame
of recorded episodes, regressed on (state, the action chunk taken there)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from policies.reward import RewardModel
from policies.reward.value import ChunkValue, ValueConfig
from robot_hf.dataset import DatasetReader

VALUE_DIR = "value"


def reward_to_go(rewards: np.ndarray, bounds: np.ndarray, gamma: float) -> np.ndarray:
    """(N,) sum over k >= 1 of gamma^(k-1) r[t+k] within each episode (0 at its last frame)."""
    out = np.zeros(len(rewards), dtype=np.float64)
    for lo, hi in bounds:
        total = 0.0
        for t in range(hi - 1, lo - 1, -1):
            out[t] = total
            total = rewards[t] + gamma * total
    return out.astype(np.float32)


def action_chunks(actions: np.ndarray, bounds: np.ndarray, steps: int) -> np.ndarray:
    """(N, steps, A): the actions from each frame on, the episode's last one repeated past its end."""
    index = np.arange(len(actions))[:, None] + np.arange(steps)[None, :]
    ends = np.repeat(bounds[:, 1], bounds[:, 1] - bounds[:, 0]) - 1
    return actions[np.minimum(index, ends[:, None])]


def fit_value(reader: DatasetReader, frame_rewards: np.ndarray, steps: int, config: ValueConfig | None = None,
              train_steps: int = 3000, batch: int = 256, lr: float = 1e-3, seed: int = 0,
              episodes: Sequence[int] | None = None) -> tuple[ChunkValue, dict]:
    """A value head on the frames of `episodes` (all when None)."""
    state = np.asarray(reader.column("observation.state"), dtype=np.float32).reshape(reader.num_frames, -1)
    actions = np.asarray(reader.column("action"), dtype=np.float32).reshape(reader.num_frames, -1)
    bounds = np.asarray(reader.episode_bounds)
    base = config or ValueConfig()
    config = ValueConfig(state_dim=state.shape[1], action_dim=actions.shape[1], steps=steps, hidden=list(base.hidden),
                         gamma=base.gamma, state_mean=state.mean(0).tolist(), state_std=np.maximum(state.std(0), 1e-3).tolist(),
                         action_mean=actions.mean(0).tolist(), action_std=np.maximum(actions.std(0), 1e-3).tolist())
    targets = reward_to_go(np.asarray(frame_rewards, dtype=np.float64), bounds, config.gamma)
    scale = float(max(np.abs(targets).max(), 1e-6))
    chunks = torch.as_tensor(action_chunks(actions, bounds, steps))
    states, y = torch.from_numpy(state.copy()), torch.as_tensor(targets / scale)
    torch.manual_seed(seed)
    model = ChunkValue(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    used = np.ones(len(y), dtype=bool) if episodes is None else np.isin(
        np.repeat(np.arange(len(bounds)), bounds[:, 1] - bounds[:, 0]), np.asarray(episodes, dtype=int))
    held = rng.random(len(y)) < 0.1
    train_idx, val_idx = np.flatnonzero(~held & used), np.flatnonzero(held & used)
    t0 = time.perf_counter()
    for _ in range(train_steps):
        i = torch.as_tensor(rng.choice(train_idx, size=min(batch, len(train_idx))))
        loss = torch.nn.functional.mse_loss(model(states[i], chunks[i]), y[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        v = torch.as_tensor(val_idx)
        pred = model(states[v], chunks[v]).numpy() if len(v) else np.zeros(0)
    variance = float(np.var(y.numpy()[val_idx])) if len(v) else 0.0
    r2 = 1 - float(np.mean((pred - y.numpy()[val_idx]) ** 2)) / variance if variance > 0 else float("nan")
    # Stored unscaled: the head predicts the reward-to-go itself.
    with torch.no_grad():
        last = model.net[-1]
        last.weight.mul_(scale)
        last.bias.mul_(scale)
    return model, {"frames": int(used.sum()), "held_out_r2": r2, "seconds": time.perf_counter() - t0, "steps": train_steps}


def frame_rewards(model: RewardModel, reader: DatasetReader) -> np.ndarray:
    """(N,) the reward ensemble's mean reward of every frame of the dataset."""
    from robot_hf.feedback.reward.frames import FramePool

    pool = FramePool.load(reader, model.config.image_size, model.config.cameras)
    return model.rewards(pool.pixels, pool.state if model.state_dim else None).mean(axis=0)


def load_value(reward_dir: str | Path) -> ChunkValue:
    path = Path(reward_dir) / VALUE_DIR
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"policy.rerank.reward={reward_dir} has no value head ({VALUE_DIR}/ is missing): fit one with "
                                f"`robot-hf reward value reward.path={reward_dir} dataset.root=<recorded episodes>`")
    return ChunkValue.from_pretrained(path)
