"""A simulated task as a Robot: the same connect / get_observation / send_action loop as a real arm."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

import sim
from sim.config import TaskConfig


def make_env(config: Any = None, **overrides) -> gym.Env:
    """The gymnasium env of a task config (a TaskConfig, dict or hydra node)."""
    cfg = TaskConfig.from_any(config, **overrides)
    if cfg.name not in sim.TASKS:
        raise ValueError(f"unknown task {cfg.name!r}; available: {sorted(sim.TASKS)}")
    env_id = sim.TASKS[cfg.name][0]
    return gym.make(env_id, config=cfg).unwrapped


class SimRobot:
    """Steps a MuJoCo task one control period per `send_action`."""

    def __init__(self, config: Any = None, **overrides):
        self.env = make_env(config, **overrides)
        cfg = self.env.config
        self.name = f"sim_{cfg.name}"
        self.fps = cfg.fps
        self.action_names = list(self.env.action_names)
        self.state_names = list(self.env.state_names)
        self.environment_state_names = list(self.env.environment_state_names)
        self.camera_shapes = {c: (cfg.image_height, cfg.image_width) for c in cfg.cameras}
        self.action_low, self.action_high = self.env.action_space.low, self.env.action_space.high
        self.max_steps = cfg.max_steps
        self._obs: dict[str, Any] | None = None
        self.info: dict[str, Any] = {}
        self.terminated = self.truncated = False
        self.seed: int | None = None
        self.initial_state: np.ndarray | None = None
        self.reward = 0.0
        # Each action name's own reading in the state ("gripper" -> "gripper.pos"): what holding still means.
        self._held = [self.state_names.index(f"{n}.pos") if f"{n}.pos" in self.state_names else None for n in self.action_names]
        self._joints = [i for i, n in enumerate(self.state_names) if n.endswith(".pos") and "." not in n[:-4]]

    def connect(self) -> None:
        """Nothing to open in simulation; `reset` starts an episode."""

    def reset(self, seed: int | None = None, state: np.ndarray | None = None) -> dict[str, Any]:
        self.seed = seed
        options = {"state": state} if state is not None else None
        self._obs, self.info = self.env.reset(seed=seed, options=options)
        self.initial_state = self.env.get_state()
        self.terminated = self.truncated = False
        self.reward = 0.0
        return self._obs

    def get_observation(self) -> dict[str, Any]:
        if self._obs is None:
            return self.reset()
        return self._obs

    def hold_action(self, observation: dict[str, Any]) -> np.ndarray:
        """Joint targets at the joints' positions; end-effector deltas of zero with the gripper where it is."""
        state = np.asarray(observation["state"], dtype=np.float32)
        return np.array([state[i] if i is not None else 0.0 for i in self._held], dtype=np.float32)

    def joint_positions(self, observation: dict[str, Any]) -> np.ndarray:
        return np.asarray(observation["state"], dtype=np.float32)[self._joints]

    def send_action(self, action: np.ndarray) -> np.ndarray:
        self._obs, self.reward, self.terminated, self.truncated, self.info = self.env.step(action)
        return self.info["action_sent"]

    @property
    def success(self) -> bool:
        return bool(self.info.get("success", False))

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated

    def disconnect(self) -> None:
        self.env.close()
