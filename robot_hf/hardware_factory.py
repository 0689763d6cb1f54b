"""Real arms and input devices from configs (the hardware half of robot_hf.factory)."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from hardware.config import ArmConfig, CameraConfig, DeviceTeleopConfig

DELTA_DEVICES = ("keyboard", "gamepad", "spacemouse")
LEADERS = ("so101_leader", "koch_leader")


def arm_config(node) -> ArmConfig:
    data = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
    cameras = {name: CameraConfig(**cam) for name, cam in (data.pop("cameras", None) or {}).items()}
    return ArmConfig(cameras=cameras, **data)


def make_real_robot(cfg: DictConfig):
    from hardware.arms.arm import Arm

    if cfg.robot.type not in ("so101", "koch"):
        raise ValueError(f"robot.type must be sim, so101 or koch, got {cfg.robot.type!r}")
    return Arm(arm_config(cfg.robot))


def make_device_teleop(cfg: DictConfig, robot):
    """A device teleoperator; delta devices driving a joint-space robot go through IK on the sim twin."""
    data = OmegaConf.to_container(cfg.teleop, resolve=True)
    config = DeviceTeleopConfig(**data)
    kind = config.type
    if kind == "keyboard":
        from hardware.teleop.keyboard import KeyboardTeleop

        teleop = KeyboardTeleop(config)
    elif kind == "gamepad":
        from hardware.teleop.gamepad import GamepadTeleop

        teleop = GamepadTeleop(config)
    elif kind == "spacemouse":
        from hardware.teleop.spacemouse import SpaceMouseTeleop

        teleop = SpaceMouseTeleop(config)
    elif kind in LEADERS:
        from hardware.teleop.keyboard import KeyboardTeleop
        from hardware.teleop.leader import LeaderArmTeleop

        if list(getattr(robot, "action_names", [])) != ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]:
            raise ValueError(f"teleop={kind} drives joint targets; robot {robot.name} takes {robot.action_names} "
                             "(use task.action_space=joint for a sim arm)")
        return LeaderArmTeleop(config, keyboard=KeyboardTeleop())
    else:
        raise ValueError(f"teleop.type must be one of scripted, {', '.join(DELTA_DEVICES + LEADERS)}; got {kind!r}")
    if list(getattr(robot, "action_names", []))[:4] == ["dx", "dy", "dz", "dyaw"]:
        return teleop  # the sim in end-effector mode takes the deltas as they are
    if "gripper" not in getattr(robot, "action_names", []) or len(robot.action_names) != 6:
        raise ValueError(f"teleop={kind} steers an arm's gripper; robot {robot.name} takes {robot.action_names}")
    from robot_hf.record.ee_adapter import EndEffectorAdapter

    return EndEffectorAdapter(teleop)
