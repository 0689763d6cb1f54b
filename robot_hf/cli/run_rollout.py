"""`robot-hf rollout`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.cli.run_eval import acting_settings, load_checkpoint, with_rerank
from robot_hf.factory import dataset_root, default_task, make_robot, open_writer, session_seed
from robot_hf.feedback.kinds import feedback_kind
from robot_hf.session import StatusLine, run_session
from robot_hf.session.connection import connected


def main(cfg: DictConfig) -> int:
    import torch

    device = cfg.run.device if cfg.run.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    policy = with_rerank(load_checkpoint(cfg.policy.path, device, acting_settings(cfg.policy)), cfg.policy.get("rerank"))
    default_task(cfg, policy.config.features.get("task"), f"checkpoint {cfg.policy.path}")
    robot = make_robot(cfg)
    from robot_hf.training.setup import check_robot, check_task

    if cfg.robot.type == "sim":
        check_task(policy.config.features, cfg.task, f"checkpoint {cfg.policy.path}")
    check_robot(policy.config.features, robot, f"checkpoint {cfg.policy.path}")
    kind = feedback_kind(cfg)
    person = kind.person(cfg, robot, policy, seed=cfg.teleop.get("seed", 0))
    actor, listeners = kind.actor(cfg, policy, person, robot), kind.listeners(cfg, person)
    max_steps = int(round(cfg.record.episode_time_s * robot.fps)) if cfg.record.episode_time_s else None
    viewer = None
    if cfg.record.display:  # the scene, with the actor's status (the motion in force, the last correction) over it
        from robot_hf.record.display import LiveView

        viewer = LiveView(robot, caption=getattr(actor, "status", None))
        listeners = [*listeners, viewer]
    with connected(robot, person) as release, open_writer(cfg, robot) as writer:
        try:
            result = run_session(robot, actor, writer, cfg.dataset.num_episodes, person=person, listeners=listeners,
                                 seed=session_seed(cfg, writer), max_steps=max_steps,
                                 realtime=cfg.robot.type != "sim" or cfg.record.display, status=StatusLine(),
                                 label="rollout", on_abort=release)
        finally:
            if viewer is not None:
                viewer.close()
    corrections = sum(ep.get("corrections", 0) for ep in result.episodes)
    print(f"{len(result.saved)} rollouts: {result.successes} successful, {result.takeovers} take-overs, {corrections} corrections, "
          f"{result.human_frames} of {result.frames} frames by the person; dataset {dataset_root(cfg)}")
    return 0
