"""`robot-hf record`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.factory import dataset_root, make_robot, make_teleop, open_writer
from robot_hf.session import StatusLine, TeleoperatorActor, run_session


def main(cfg: DictConfig) -> int:
    if cfg.dataset.num_episodes <= 0:
        raise ValueError(f"dataset.num_episodes must be positive, got {cfg.dataset.num_episodes}")
    robot = make_robot(cfg)
    teleop = make_teleop(cfg, robot)
    status = StatusLine()
    robot.connect()
    teleop.connect()
    viewer = None
    try:
        writer = open_writer(cfg, robot)
        if cfg.record.display:
            from robot_hf.record.display import LiveView

            viewer = LiveView(robot)
        simulated = robot.name.startswith("sim_")
        max_steps = int(round(cfg.record.episode_time_s * robot.fps)) if cfg.record.episode_time_s else None
        with writer:
            result = run_session(
                robot, TeleoperatorActor(teleop), writer, cfg.dataset.num_episodes, person=teleop,
                max_steps=max_steps, reset_time_s=cfg.record.reset_time_s, realtime=not simulated or cfg.record.display,
                seed=cfg.record.seed, listeners=[viewer] if viewer else [], status=status,
            )
            status.update(f"finishing {writer.pending} queued save(s) ...", force=True)
    finally:
        if viewer is not None:
            viewer.close()
        teleop.disconnect()
        robot.disconnect()
    status.done(
        f"recorded {len(result.saved)} episodes ({result.successes} successful, {result.discarded} takes re-recorded) "
        f"into {dataset_root(cfg)}"
    )
    return 0
