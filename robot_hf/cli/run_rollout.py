"""`robot-hf rollout`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.cli.run_eval import load_checkpoint
from robot_hf.factory import dataset_root, make_robot, make_teleop, open_writer, session_seed
from robot_hf.session import PolicyActor, StatusLine, TakeoverActor, TakeoverPreferences, run_session
from robot_hf.session.connection import connected


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
    from robot_hf.training.setup import check_robot, check_task

    if cfg.robot.type == "sim":
        check_task(policy.config.features, cfg.task, f"checkpoint {cfg.policy.path}")
    check_robot(policy.config.features, robot, f"checkpoint {cfg.policy.path}")
    taking_over = cfg.feedback.type != "none"
    person = make_intervener(cfg, robot) if taking_over else None
    if taking_over:
        actor = TakeoverActor(policy, person, cfg.feedback.takeover_on_motion)
        listeners = [TakeoverPreferences(annotator=f"intervention:{type(person).__name__}")]
    else:
        actor, listeners = PolicyActor(policy), []
    max_steps = int(round(cfg.record.episode_time_s * robot.fps)) if cfg.record.episode_time_s else None
    with connected(robot, person) as release, open_writer(cfg, robot) as writer:
        result = run_session(robot, actor, writer, cfg.dataset.num_episodes, person=person, listeners=listeners,
                             seed=session_seed(cfg, writer), max_steps=max_steps, realtime=cfg.robot.type != "sim",
                             status=StatusLine(), label="rollout", on_abort=release)
    print(f"{len(result.saved)} rollouts: {result.successes} successful, {result.takeovers} take-overs, "
          f"{result.human_frames} of {result.frames} frames by the person; dataset {dataset_root(cfg)}")
    return 0
