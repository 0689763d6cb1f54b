"""`robot-hf record`."""

from __future__ import annotations

from omegaconf import DictConfig

from robot_hf.factory import dataset_root, make_robot, make_teleop, open_writer, session_seed
from robot_hf.session import StatusLine, TeleoperatorActor, run_session
from robot_hf.session.connection import connected


def main(cfg: DictConfig) -> int:
    if cfg.dataset.num_episodes <= 0:
        raise ValueError(f"dataset.num_episodes must be positive, got {cfg.dataset.num_episodes}")
    robot = make_robot(cfg)
    teleop = make_teleop(cfg, robot)
    status = StatusLine()
    with connected(robot, teleop) as release, open_writer(cfg, robot) as writer:
        viewer = None
        if cfg.record.display:
            from robot_hf.record.display import LiveView

            viewer = LiveView(robot)
        simulated = robot.name.startswith("sim_")
        max_steps = int(round(cfg.record.episode_time_s * robot.fps)) if cfg.record.episode_time_s else None
        try:
            result = run_session(
                robot, TeleoperatorActor(teleop), writer, cfg.dataset.num_episodes, person=teleop,
                max_steps=max_steps, reset_time_s=cfg.record.reset_time_s, realtime=not simulated or cfg.record.display,
                seed=session_seed(cfg, writer), listeners=[viewer] if viewer else [], status=status, on_abort=release,
            )
        finally:
            if viewer is not None:
                viewer.close()
        status.update(f"finishing {writer.pending} queued save(s) ...", force=True)
    status.done(
        f"recorded and committed {len(result.saved)} episodes ({result.successes} successful, {result.discarded} takes "
        f"re-recorded) into {dataset_root(cfg)}"
    )
    return 0
