"""Build robots, teleoperators and datasets from composed configs: the one place that knows them all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from robot_hf.config.compose import ConfigError
from robot_hf.dataset import DatasetWriter, VideoSettings, robot_features
from robot_hf.dataset.features import DEFAULT_FEATURES, FEEDBACK_FEATURES


def task_config(cfg: DictConfig, fps: int | None = None) -> dict[str, Any]:
    task = OmegaConf.to_container(cfg.task, resolve=True)
    if fps:
        task["fps"] = int(fps)
    return task


def default_task(cfg: DictConfig, recorded: dict[str, Any] | None, source: str) -> None:
    """With no task=... on the command line, the sim task `source` (a checkpoint, a dataset) was made in, as it was
    made (object state, cameras, image size, action space)."""
    if cfg.get("task") is not None or cfg.robot.type != "sim":
        return
    if recorded is None:
        raise ValueError(f"{source} does not record the sim task it was made in: name one with "
                         "task=<lift|pusht|pick_place|insertion>")
    cfg.task = recorded


def make_robot(cfg: DictConfig):
    """The robot a command config names: the task's simulation, or a real arm."""
    kind = cfg.robot.type
    fps = cfg.dataset.fps if "dataset" in cfg else None
    if kind == "sim":
        from sim.robot import SimRobot

        return SimRobot(task_config(cfg, fps))
    from robot_hf.hardware_factory import make_real_robot

    return make_real_robot(cfg)


def make_teleop(cfg: DictConfig, robot):
    kind = cfg.teleop.type
    if kind == "scripted":
        from sim.robot import SimRobot
        from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator

        if not isinstance(robot, SimRobot):
            raise ValueError("teleop=scripted drives simulated robots only; pick a device teleop (keyboard, gamepad, "
                             "spacemouse, so101_leader, koch_leader) for a real arm")
        return SimulatedTeleoperator(robot, ScriptedTeleopConfig(**OmegaConf.to_container(cfg.teleop, resolve=True)))
    from robot_hf.hardware_factory import make_device_teleop

    return make_device_teleop(cfg, robot)


def dataset_root(cfg: DictConfig) -> Path:
    return Path(cfg.dataset.root) if cfg.dataset.root else Path(cfg.run.dir) / "dataset"


def open_writer(cfg: DictConfig, robot) -> DatasetWriter:
    """A writer for the robot's features: a new dataset, or (dataset.resume=true) an existing one."""
    root = dataset_root(cfg)
    video = VideoSettings(**OmegaConf.to_container(cfg.dataset.video, resolve=True))
    if cfg.dataset.resume and root.exists():
        writer = DatasetWriter.open(root, video=None)
        expected = robot_features(robot, cfg.dataset.use_videos)
        mismatch = [k for k, ft in expected.items()
                    if k not in writer.meta.features or list(writer.meta.features[k]["shape"]) != ft["shape"]]
        # and a column the robot would leave empty (the objects' poses, recorded with task.environment_state=true)
        mismatch += [k for k in writer.meta.features if k not in expected and k not in DEFAULT_FEATURES and k not in FEEDBACK_FEATURES]
        if mismatch or writer.fps != robot.fps:
            writer.close()
            raise ConfigError(f"dataset.resume: {root} was recorded with other features or fps "
                              f"(differs in {mismatch or 'fps'}: dataset {writer.fps} fps, robot {robot.fps} fps)")
        return writer
    features = robot_features(robot, cfg.dataset.use_videos)
    info = {
        "robot": robot.name,
        "action_low": [float(x) for x in getattr(robot, "action_low", [])],
        "action_high": [float(x) for x in getattr(robot, "action_high", [])],
    }
    if cfg.robot.type == "sim":  # the task a sim recording came from: training's default task (a real arm has none)
        info["task_config"] = OmegaConf.to_container(cfg.task, resolve=True)
    return DatasetWriter.create(root, robot.fps, features, robot_type=robot.name, video=video, robot_hf_info=info)


def session_seed(cfg: DictConfig, writer: DatasetWriter) -> int:
    """record.seed, or where the dataset's seed sequence left off (0 for a new dataset)."""
    if cfg.record.seed is not None:
        return int(cfg.record.seed)
    seeds = [int(ep["seed"]) for ep in writer.meta.episodes if ep.get("seed") is not None]
    return max(seeds) + 1 if seeds else 0
