"""Task configuration: what configs/task/*.yaml hold, checked before a scene is built."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from omegaconf import MISSING


@dataclass
class RandomizationConfig:
    """Domain randomisation switches, each with its magnitude."""

    object_colors: bool = False
    color_jitter: float = 0.15  # added to each RGB channel, uniform +-
    object_sizes: bool = False
    size_scale: float = 0.15  # object half-sizes scaled by U(1 - s, 1 + s)
    lighting: bool = False
    camera_jitter: bool = False
    camera_pos_m: float = 0.015
    camera_rot_rad: float = 0.04
    friction: bool = False
    friction_scale: float = 0.3
    mass: bool = False
    mass_scale: float = 0.3


@dataclass
class TaskConfig:
    name: str = MISSING
    env_id: str = MISSING
    fps: int = 10
    # None: the task's own limit (Lift 10 s, PickPlace and Insertion 20 s, Push-T 30 s).
    episode_time_s: float | None = None
    # None: the task's own cameras (front + wrist for the arm tasks, top for Push-T); [] for state only.
    cameras: list[str] | None = None
    image_height: int = 96
    image_width: int = 96
    # "joint": absolute joint targets + gripper (what the real arm takes);
    # "ee_delta": end-effector (dx, dy, dz, dyaw) through IK + absolute gripper.
    action_space: str = "joint"
    terminate_on_success: bool = True
    # Append the objects' poses to the state (low-dimensional observations, as robomimic's low_dim),
    # with the relative vectors a task turns on where it declares them (Insertion):
    # fast to learn from, for experiments where images are too slow on the machine at hand.
    object_state: bool = False
    # Record the same poses apart from the state, as LeRobot's `observation.environment_state`: a policy never sees
    # them, but can learn to predict them from its cameras while training (policy.auxiliary_targets).
    environment_state: bool = False
    # ee_delta: the largest step per control tick.
    ee_max_step_m: float = 0.03
    ee_max_step_yaw: float = 0.3
    # ee_delta: end-effector positions are clipped to [x_min, x_max, y_min, y_max, z_min, z_max] (m).
    workspace: list[float] = field(default_factory=lambda: [0.08, 0.32, -0.2, 0.2, 0.0, 0.3])
    randomization: RandomizationConfig = field(default_factory=RandomizationConfig)
    # PickPlace: objects on the table (2 or 3), and which phrasings of the instruction to draw from:
    # "train", "heldout" (phrasings never seen in training), or "all".
    num_objects: int = 3
    instructions: str = "train"
    # The sim's scripted people (demonstrators, intervener, corrector, and the path a corrector pictures) home in on a
    # goal: within this distance (m) of it their hand slows to `people_homing_speed_m_s` (times the person's speed
    # scale), as a hand does near a part, so demos hold small moves a correction can ask for. 0: full speed up to it.
    people_slow_near_m: float = 0.0
    people_homing_speed_m_s: float = 0.012

    @classmethod
    def from_any(cls, config: Any = None, **overrides) -> TaskConfig:
        """A TaskConfig from a TaskConfig, a dict or DictConfig (hydra), plus keyword overrides."""
        if config is None:
            data: dict[str, Any] = {}
        elif isinstance(config, TaskConfig):
            data = asdict(config)
        else:
            try:
                from omegaconf import OmegaConf

                data = OmegaConf.to_container(config, resolve=True) if not isinstance(config, dict) else dict(config)
            except ValueError:
                data = dict(config)
        data.update(overrides)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown task config key(s) {unknown}; valid keys: {sorted(known)}")
        rand = data.pop("randomization", None) or {}
        rand_known = {f.name for f in fields(RandomizationConfig)}
        if not isinstance(rand, RandomizationConfig):
            bad = sorted(set(rand) - rand_known)
            if bad:
                raise ValueError(f"unknown randomization key(s) {bad}; valid keys: {sorted(rand_known)}")
            rand = RandomizationConfig(**rand)
        return cls(randomization=rand, **data)

    def check(self, available_cameras: list[str], action_spaces: tuple[str, ...] = ("joint", "ee_delta")) -> None:
        """Fail with a message naming the field and the fix."""
        if not isinstance(self.fps, int) or self.fps <= 0:
            raise ValueError(f"task.fps must be a positive integer (10-30 suits these tasks), got {self.fps!r}")
        if self.episode_time_s <= 0:
            raise ValueError(f"task.episode_time_s must be positive, got {self.episode_time_s}")
        unknown = [c for c in self.cameras if c not in available_cameras]
        if unknown:
            raise ValueError(f"task.cameras: unknown camera(s) {unknown} for task {self.name!r}; available: {available_cameras}")
        if len(set(self.cameras)) != len(self.cameras):
            raise ValueError(f"task.cameras lists a camera twice: {self.cameras}")
        if self.image_height < 8 or self.image_width < 8:
            raise ValueError(f"task.image_height/image_width must be >= 8, got {self.image_height}x{self.image_width}")
        if self.action_space not in action_spaces:
            raise ValueError(f"task.action_space must be one of {list(action_spaces)}, got {self.action_space!r}")
        if len(self.workspace) != 6 or any(lo >= hi for lo, hi in zip(self.workspace[::2], self.workspace[1::2], strict=True)):
            raise ValueError(f"task.workspace must be [x_min, x_max, y_min, y_max, z_min, z_max] with min < max, got {self.workspace}")

    def named(self, task_name: str, class_name: str, default_cameras: tuple[str, ...] = (),
              default_episode_time_s: float = 10.0) -> TaskConfig:
        """Fill in name, env id, cameras and time limit when the config came without them (gym.make)."""
        if self.episode_time_s is None:
            self.episode_time_s = default_episode_time_s
        if self.cameras is None:
            self.cameras = list(default_cameras)
        if self.name in (MISSING, None):
            self.name = task_name
        if self.env_id in (MISSING, None):
            self.env_id = f"robot_hf/{class_name.removesuffix('Env')}-v0"
        return self

    @property
    def max_steps(self) -> int:
        return max(1, round(self.episode_time_s * self.fps))
