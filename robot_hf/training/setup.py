"""From configs and a dataset to a policy and its training windows, checking both sides first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from policies import config_class, policy_class
from policies.base import TARGET_PREFIX, Policy
from policies.config import PolicyConfig
from robot_hf.config.compose import ConfigError, config_errors
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.features import numeric_keys
from robot_hf.dataset.windows import WindowDataset

CAMERA_PREFIX = "observation.images."


def policy_config_from(cfg_policy: DictConfig | dict[str, Any]) -> PolicyConfig:
    data = OmegaConf.to_container(cfg_policy, resolve=True) if isinstance(cfg_policy, DictConfig) else dict(cfg_policy)
    with config_errors():
        return config_class(data["name"]).from_dict(data)


def camera_name(key: str) -> str:
    """The policy's name for a dataset camera: `observation.images.front` -> front, LeRobot's `observation.image` -> image."""
    return key[len(CAMERA_PREFIX):] if key.startswith(CAMERA_PREFIX) else key.rsplit(".", 1)[-1]


def dataset_cameras(reader: DatasetReader, camera_keys: Mapping[str, str] | None = None) -> dict[str, str]:
    """The policy's camera names -> the dataset's feature keys: every camera LeRobot writes, renamed by `dataset.camera_keys`."""
    cameras = {camera_name(k): k for k in reader.camera_keys}
    if camera_keys is not None and not isinstance(camera_keys, Mapping):
        raise ConfigError(f"dataset.camera_keys={camera_keys!r} must map the policy's camera names to dataset keys, "
                          "e.g. 'dataset.camera_keys={front: observation.image}'")
    for name, key in (camera_keys or {}).items():
        if key not in reader.camera_keys:
            raise ConfigError(f"dataset.camera_keys.{name}={key}: dataset {reader.root} has no camera {key!r}; "
                              f"its cameras are {reader.camera_keys}")
        cameras = {n: k for n, k in cameras.items() if k != key}
        cameras[name] = key
    return cameras


def dataset_features(reader: DatasetReader, cameras: Sequence[str] | None,
                     camera_keys: Mapping[str, str] | None = None, targets: Sequence[str] = ()) -> dict[str, Any]:
    """The policy's input/output features from the dataset; a camera or auxiliary target the config asks for must exist."""
    by_name = dataset_cameras(reader, camera_keys)
    chosen = list(by_name) if cameras is None else list(cameras)
    missing = [c for c in chosen if c not in by_name]
    if missing:
        raise ConfigError(f"policy.cameras asks for {missing}, but dataset {reader.root} has cameras {sorted(by_name)} "
                          f"(keys {reader.camera_keys}); set policy.cameras to a subset of those, or name a dataset key for "
                          f"each with dataset.camera_keys (e.g. 'dataset.camera_keys={{{missing[0]}: {reader.camera_keys[0] if reader.camera_keys else 'observation.images.front'}}}')")
    for key in ("observation.state", "action"):
        if key not in reader.features:
            raise ConfigError(f"dataset.root: dataset {reader.root} has no {key!r} feature (its features: "
                              f"{sorted(reader.features)}); robot-hf trains on observation.state and action, as LeRobot's "
                              "policies do: point dataset.root at a dataset that records both")
    numeric = numeric_keys(reader.features)
    for key in targets:
        if key not in numeric:
            raise ConfigError(f"policy.auxiliary_targets: dataset {reader.root} has no numeric feature {key!r} (it has "
                              f"{sorted(numeric)}); record the scene's state with task.environment_state=true, or drop the target")
    state = reader.features["observation.state"]
    action = reader.features["action"]
    return {
        "auxiliary_targets": {k: int(np.prod(reader.features[k]["shape"])) for k in targets},
        "cameras": {c: [3, *reader.features[by_name[c]]["shape"][:2]] for c in chosen},
        "camera_keys": {c: by_name[c] for c in chosen},
        "state_dim": int(state["shape"][0]),
        "action_dim": int(action["shape"][0]),
        "state_names": state.get("names"),
        "action_names": action.get("names"),
        "fps": reader.fps,
    }


def fit_crop(config: PolicyConfig) -> str | None:
    """A crop larger than the images (the default 84 px on 64 px cameras) shrinks to diffusion_policy's ratio (84 of
    96) of them; returns the line that says so."""
    crop = config.vision.crop
    sizes = [shape[1:] for shape in config.features["cameras"].values()]
    if not crop or not sizes or all(crop[0] <= h and crop[1] <= w for h, w in sizes):
        return None
    h, w = min(s[0] for s in sizes), min(s[1] for s in sizes)
    config.vision.crop = [max(1, round(h * 84 / 96)), max(1, round(w * 84 / 96))]
    return (f"policy.vision.crop {list(crop)} is larger than the {h}x{w} camera images: cropping {config.vision.crop} "
            "instead (set policy.vision.crop to choose)")


def check_task(features: dict[str, Any], task: dict[str, Any] | DictConfig, what: str) -> None:
    """Fail before training or evaluation when the policy's features cannot drive the task's env."""
    from sim.robot import make_env

    task = OmegaConf.to_container(task, resolve=True) if isinstance(task, DictConfig) else dict(task)
    env = make_env(task)
    try:
        env_action = int(env.action_space.shape[0])
        env_state = int(env.observation_space["state"].shape[0])
        env_cams = {c: [3, env.config.image_height, env.config.image_width] for c in env.config.cameras}
    finally:
        env.close()
    problems = []
    if features["action_dim"] != env_action:
        problems.append(f"action size {features['action_dim']} vs task {task['name']}'s {env_action} ({list(env.action_names)})")
    if features["state_dim"] != env_state:
        problems.append(f"state size {features['state_dim']} vs task's {env_state}")
    for cam, shape in features["cameras"].items():
        if cam not in env_cams:
            problems.append(f"camera {cam!r} vs task cameras {sorted(env_cams)}")
        elif list(shape) != env_cams[cam]:
            problems.append(f"camera {cam!r} shape {shape} vs task's {env_cams[cam]} (set task.image_height/width)")
    if problems:
        raise ConfigError(f"{what} does not match task {task['name']!r}: " + "; ".join(problems))


def check_robot(features: dict[str, Any], robot, what: str) -> None:
    """Fail before anything moves when the policy's features cannot drive this robot (a real arm and its cameras)."""
    problems = []
    if features["action_dim"] != len(robot.action_names):
        problems.append(f"action size {features['action_dim']} vs the robot's {len(robot.action_names)} ({list(robot.action_names)})")
    if features["state_dim"] != len(robot.state_names):
        problems.append(f"state size {features['state_dim']} vs the robot's {len(robot.state_names)}")
    for cam, shape in features["cameras"].items():
        if cam not in robot.camera_shapes:
            problems.append(f"camera {cam!r} vs the robot's cameras {sorted(robot.camera_shapes)} (add it under robot.cameras)")
        elif list(shape[1:]) != list(robot.camera_shapes[cam]):
            problems.append(f"camera {cam!r} shape {list(shape[1:])} vs the robot's {list(robot.camera_shapes[cam])} "
                            f"(set robot.cameras.{cam}.resize)")
    if problems:
        raise ConfigError(f"{what} does not match robot {robot.name!r}: " + "; ".join(problems))


def build_windows(reader: DatasetReader, config: PolicyConfig, episodes: Sequence[int] | None = None,
                  weights: np.ndarray | None = None, cache: str = "auto", action_lag: np.ndarray | None = None) -> WindowDataset:
    keys = config.features.get("camera_keys") or {c: CAMERA_PREFIX + c for c in config.features["cameras"]}
    extras = auxiliary_targets(reader, config)
    if getattr(config, "motions", None):  # a policy that learns language motions trains on their labels
        from robot_hf.language.targets import motion_targets

        extras.update(motion_targets(reader, config.motions))
    return WindowDataset(
        reader, n_obs_steps=config.n_obs_steps, horizon=config.horizon, action_start=config.action_start,
        camera_keys={CAMERA_PREFIX + c: keys[c] for c in config.features["cameras"]}, episodes=episodes, weights=weights,
        cache=cache, extras=extras, action_lag=action_lag,
    )


def auxiliary_targets(reader: DatasetReader, config: PolicyConfig) -> dict[str, np.ndarray]:
    """policy.auxiliary_targets as per-frame training arrays, each standardised over the dataset; none when the
    dataset lacks one (a checkpoint fine-tuned on data recorded without them trains without that term)."""
    if not config.auxiliary_targets or not all(k in reader.features for k in config.auxiliary_targets):
        return {}
    out = {}
    for key in config.auxiliary_targets:
        values = np.asarray(reader.column(key), dtype=np.float32).reshape(reader.num_frames, -1)
        out[TARGET_PREFIX + key] = (values - values.mean(0)) / np.maximum(values.std(0), 1e-6)
    return out


def build_policy(config: PolicyConfig, windows: WindowDataset) -> Policy:
    return policy_class(config.name)(config, stats=windows.stats())
