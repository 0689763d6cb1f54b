"""What every robot-hf MuJoCo task shares: config, cameras, randomisation, step loop, saved states."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from sim.config import TaskConfig
from sim.envs.scene import Cameras, Randomizer, load_model, physics_state, set_physics_state

TEXT_SPACE = spaces.Text(max_length=200, charset="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.'!?-")


class MujocoTaskEnv(gym.Env):
    """A task: observations are {"images": {camera: HxWx3 uint8}, "state": float32[D], "task": str}.

    `info` carries "success", "progress" and the "privileged" state scripted agents use (never the
    policy). `get_state()`/`reset(options={"state": s})` save and restore everything needed to
    continue an episode exactly. Subclasses provide the robot (reset, action, state) and the task.
    """

    metadata: ClassVar[dict] = {"render_modes": ["rgb_array"], "render_fps": 10}
    task_name: ClassVar[str] = ""
    scene_file: ClassVar[str] = ""
    cameras_available: ClassVar[tuple[str, ...]] = ()
    default_cameras: ClassVar[tuple[str, ...]] = ()
    default_episode_time_s: ClassVar[float] = 10.0
    object_geoms: ClassVar[tuple[str, ...]] = ()
    object_bodies: ClassVar[tuple[str, ...]] = ()
    task_vars_size: ClassVar[int] = 0
    controller_vars_size: ClassVar[int] = 0
    settle_s: ClassVar[float] = 0.3
    action_spaces: ClassVar[tuple[str, ...]] = ("joint", "ee_delta")

    def __init__(self, config: Any = None, render_mode: str | None = "rgb_array", **overrides):
        self.config = TaskConfig.from_any(config, **overrides).named(
            self.task_name, type(self).__name__, self.default_cameras, self.default_episode_time_s)
        self.config.check(list(self.cameras_available), self.action_spaces)
        self.render_mode = render_mode
        self.model = load_model(self.scene_file)
        self.data = mujoco.MjData(self.model)
        self.n_substeps = max(1, round(1.0 / (self.config.fps * self.model.opt.timestep)))
        self.metadata = {**self.metadata, "render_fps": self.config.fps}
        self.cameras = Cameras(self.model, self.config.cameras, self.config.image_height, self.config.image_width)
        self.randomizer = Randomizer(self.model, self.config.randomization, list(self.object_geoms),
                                     list(self.object_bodies), list(self.cameras_available))
        self._steps = 0
        self._last_images: dict[str, np.ndarray] = {}

    object_state_names: ClassVar[tuple[str, ...]] = ()

    def _set_spaces(self, robot_state_names: list[str], action_space: spaces.Box, action_names: list[str]) -> None:
        self.state_names = list(robot_state_names) + (list(self.object_state_names) if self.config.object_state else [])
        self.environment_state_names = list(self.object_state_names) if self.config.environment_state else []
        h, w = self.config.image_height, self.config.image_width
        self.observation_space = spaces.Dict({
            "images": spaces.Dict({c: spaces.Box(0, 255, (h, w, 3), np.uint8) for c in self.config.cameras}),
            "state": spaces.Box(-np.inf, np.inf, (len(self.state_names),), np.float32),
            "task": TEXT_SPACE,
            **({"environment_state": spaces.Box(-np.inf, np.inf, (len(self.environment_state_names),), np.float32)}
               if self.environment_state_names else {}),
        })
        self.action_space, self.action_names = action_space, list(action_names)

    # ---- robot and task hooks -------------------------------------------------------------------------
    def _reset_robot(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _after_settle(self) -> None:
        """Called once objects have settled (e.g. to read back where the controller starts)."""

    def _apply_action(self, action: np.ndarray) -> np.ndarray:
        """Command the robot; returns the action really sent (after clipping)."""
        raise NotImplementedError

    def _robot_state(self) -> np.ndarray:
        raise NotImplementedError

    def _object_state(self) -> np.ndarray:
        """Poses of the task's objects, for `task.object_state` (see object_state_names)."""
        raise NotImplementedError

    def _setup_scene(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _evaluate(self) -> tuple[bool, float]:
        """(success, progress in [0, 1])."""
        raise NotImplementedError

    def instruction(self) -> str:
        raise NotImplementedError

    def _reward(self, success: bool, progress: float) -> float:
        return float(success)

    def _privileged(self) -> dict[str, Any]:
        return {}

    def _task_vars(self) -> np.ndarray:
        return np.zeros(0)

    def _set_task_vars(self, values: np.ndarray) -> None:
        pass

    def _controller_vars(self) -> np.ndarray:
        return np.zeros(0)

    def _set_controller_vars(self, values: np.ndarray) -> None:
        pass

    # ---- gymnasium API --------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and options.get("state") is not None:
            self.set_state(np.asarray(options["state"]))
        else:
            mujoco.mj_resetData(self.model, self.data)
            self.randomizer.apply(self.np_random)
            self._reset_robot(self.np_random)
            self._setup_scene(self.np_random)
            mujoco.mj_forward(self.model, self.data)
            for _ in range(round(self.settle_s / self.model.opt.timestep)):
                mujoco.mj_step(self.model, self.data)
            self._after_settle()
            self._steps = 0
        return self._observation(), self._info(*self._evaluate())

    def step(self, action):
        action = np.asarray(action, dtype=np.float32).reshape(-1)
        if action.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape} ({self.action_names}), got {action.shape}")
        sent = self._apply_action(np.clip(action, self.action_space.low, self.action_space.high))
        for _ in range(self.n_substeps):
            mujoco.mj_step(self.model, self.data)
        self._steps += 1
        success, progress = self._evaluate()
        terminated = bool(success and self.config.terminate_on_success)
        truncated = self._steps >= self.config.max_steps
        info = self._info(success, progress)
        info["action_sent"] = sent.astype(np.float32)
        return self._observation(), self._reward(success, progress), terminated, truncated, info

    def _observation(self) -> dict[str, Any]:
        self._last_images = self.cameras.render(self.data)
        state = self._robot_state()
        if self.config.object_state:
            state = np.concatenate([state, self._object_state()])
        observation = {"images": self._last_images, "state": state.astype(np.float32), "task": self.instruction()}
        if self.environment_state_names:
            observation["environment_state"] = self._object_state().astype(np.float32)
        return observation

    def _info(self, success: bool, progress: float) -> dict[str, Any]:
        return {"success": bool(success), "is_success": bool(success), "progress": float(progress),
                "privileged": self._privileged()}

    def render(self) -> np.ndarray:
        if not self._last_images:
            self._last_images = self.cameras.render(self.data)
        if not self._last_images:  # state-only config: the first available camera, for videos
            return next(iter(self.render_video().values()))
        return np.concatenate([self._last_images[c] for c in self.config.cameras], axis=1)

    def render_video(self, height: int = 256) -> dict[str, np.ndarray]:
        """The task's cameras (the first available one for a state-only task) at `height` px, for videos people
        watch: rendered apart from the policy's (often 64 px) inputs."""
        names = list(self.config.cameras) or [self.cameras_available[0]]
        width = round(height * self.config.image_width / self.config.image_height) if self.config.cameras else height
        video = getattr(self, "_video_cameras", None)
        if video is None or (video.height, video.width) != (height, width):
            if video is not None:
                video.close()
            self._video_cameras = video = Cameras(self.model, names, height, width)
        return video.render(self.data)

    def close(self) -> None:
        self.cameras.close()
        if getattr(self, "_video_cameras", None) is not None:
            self._video_cameras.close()

    # ---- saved states ---------------------------------------------------------------------------------
    def _state_sizes(self) -> list[int]:
        n_phys = mujoco.mj_stateSize(self.model, mujoco.mjtState.mjSTATE_INTEGRATION)
        return [1, n_phys, self.task_vars_size, self.randomizer.size(), self.controller_vars_size]

    def get_state(self) -> np.ndarray:
        """Everything needed to continue this episode exactly: physics, task, randomised model, controller."""
        return np.concatenate([
            [float(self._steps)],
            physics_state(self.model, self.data),
            self._task_vars(),
            self.randomizer.params(),
            self._controller_vars(),
        ])

    def set_state(self, state: np.ndarray) -> None:
        sizes = self._state_sizes()
        if len(state) != sum(sizes):
            raise ValueError(f"state has {len(state)} values; a {self.task_name} state has {sum(sizes)}")
        steps, phys, task, params, ctrl = np.split(np.asarray(state, dtype=np.float64), np.cumsum(sizes)[:-1])
        self._steps = int(steps[0])
        self.randomizer.set_params(params)
        self._set_task_vars(task)
        set_physics_state(self.model, self.data, phys)
        self._set_controller_vars(ctrl)
