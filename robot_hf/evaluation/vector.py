"""Vectorised task environments (gymnasium), in worker processes when there is more than one."""

from __future__ import annotations

from functools import partial
from typing import Any

import gymnasium as gym


def _make(task: dict[str, Any]) -> gym.Env:
    from sim.robot import make_env

    return make_env(task)


def make_vector_env(task: dict[str, Any], num_envs: int) -> gym.vector.VectorEnv:
    """`num_envs` copies of a task, no autoreset: callers reset finished envs with their own seeds (reset_mask)."""
    fns = [partial(_make, dict(task)) for _ in range(num_envs)]
    if num_envs == 1:
        return gym.vector.SyncVectorEnv(fns, autoreset_mode=gym.vector.AutoresetMode.DISABLED)
    # forkserver: each worker starts clean, so no GL context is inherited across a fork.
    # shared_memory off: the instruction (a Text space) does not fit gymnasium's shared buffers.
    return gym.vector.AsyncVectorEnv(fns, shared_memory=False, context="forkserver",
                                     autoreset_mode=gym.vector.AutoresetMode.DISABLED)
