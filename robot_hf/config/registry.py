"""Register every schema in hydra's ConfigStore, once per process."""

from __future__ import annotations

from functools import cache


@cache
def register_schemas() -> None:
    from hydra.core.config_store import ConfigStore

    from robot_hf.config import schema

    cs = ConfigStore.instance()
    for name, node in {
        "record_schema": schema.RecordCommand,
        "train_schema": schema.TrainCommand,
        "eval_schema": schema.EvalCommand,
        "rollout_schema": schema.RolloutCommand,
        "replay_schema": schema.ReplayCommand,
        "improve_schema": schema.ImproveCommand,
        "quickstart_schema": schema.QuickstartCommand,
        "dataset_schema": schema.DatasetCommand,
        "calibrate_schema": schema.HardwareCommand,
        "setup_motors_schema": schema.HardwareCommand,
        "find_devices_schema": schema.FindDevicesCommand,
        "reward_schema": schema.RewardCommand,
    }.items():
        cs.store(name=name, node=node)
    for group, node in group_schemas().items():
        cs.store(group="schema", name=group, node=node)


def group_schemas() -> dict[str, type]:
    """Schemas of group options, referenced from YAML as `- /schema/<name>@_here_`."""
    from hardware.config import ArmConfig, DeviceTeleopConfig
    from policies.act.config import ACTConfig
    from policies.diffusion.config import DiffusionConfig
    from policies.hierarchical.config import HierarchicalConfig
    from policies.mlp.config import MLPConfig
    from policies.reward.config import RewardConfig
    from robot_hf.config.schema import SimRobotConfig
    from robot_hf.feedback.config import FeedbackConfig
    from robot_hf.feedback.reward.queries import QueryConfig
    from robot_hf.feedback.reward.training import RewardTrainConfig
    from robot_hf.language.motions import MotionsConfig
    from robot_hf.training.config import TrainConfig
    from robot_hf.training.objectives.config import ObjectiveConfig
    from sim.config import TaskConfig
    from sim.teachers import TeacherConfig
    from sim.teleop import ScriptedTeleopConfig

    return {
        "task": TaskConfig,
        "train": TrainConfig,
        "policy_diffusion": DiffusionConfig,
        "policy_act": ACTConfig,
        "policy_mlp": MLPConfig,
        "policy_hierarchical": HierarchicalConfig,
        "robot_sim": SimRobotConfig,
        "teleop_scripted": ScriptedTeleopConfig,
        "robot_arm": ArmConfig,
        "teleop_device": DeviceTeleopConfig,
        "feedback": FeedbackConfig,
        "motions": MotionsConfig,
        "teacher": TeacherConfig,
        "reward_model": RewardConfig,
        "reward_query": QueryConfig,
        "reward_train": RewardTrainConfig,
        "objective": ObjectiveConfig,
    }
