"""`robot-hf rollout`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.cli.run_eval import load_checkpoint
from robot_hf.factory import dataset_root, make_robot, make_teleop, open_writer
from robot_hf.record.loop import StatusLine
from robot_hf.rollout.session import run_rollouts


def make_intervener(cfg: DictConfig, robot):
    """The person who may take over: the simulated intervener for teleop=scripted in sim, else a device."""
    if cfg.teleop.type == "scripted":
        from sim.intervener import SimulatedIntervener
        from sim.robot import SimRobot

        if not isinstance(robot, SimRobot):
            raise ValueError("teleop=scripted (the simulated intervener) watches simulated robots only")
        return SimulatedIntervener(robot, cfg.feedback.intervener, seed=cfg.teleop.seed)
    return make_teleop(cfg, robot)


def main(cfg: DictConfig) -> int:
    import torch

    device = cfg.run.device if cfg.run.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    policy = load_checkpoint(cfg.policy.path, device)
    robot = make_robot(cfg)
    if cfg.robot.type == "sim":
        from robot_hf.training.setup import check_task

        check_task(policy.config.features, cfg.task, f"checkpoint {cfg.policy.path}")
    teleop = make_intervener(cfg, robot) if cfg.feedback.type != "none" else _NoPerson()
    robot.connect()
    teleop.connect()
    try:
        with open_writer(cfg, robot) as writer:
            stats = run_rollouts(robot, policy, teleop, writer, cfg.dataset.num_episodes, seed=cfg.record.seed,
                                 realtime=cfg.robot.type != "sim", takeover_on_motion=cfg.feedback.takeover_on_motion,
                                 status=StatusLine())
    finally:
        teleop.disconnect()
        robot.disconnect()
    print(f"{stats.episodes} rollouts: {stats.successes} successful, {stats.takeovers} take-overs, "
          f"{stats.human_frames} of {stats.frames} frames by the person; dataset {dataset_root(cfg)}")
    return 0


class _NoPerson:
    """feedback=none: nobody takes over."""

    def connect(self) -> None: ...
    def disconnect(self) -> None: ...
    def get_action(self, observation): return None
    def get_events(self) -> dict: return {}
