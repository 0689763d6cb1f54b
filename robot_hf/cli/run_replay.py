"""`robot-hf replay`: send a recorded episode's actions to a robot, at the dataset's rate."""

from __future__ import annotations

import time

import numpy as np
from omegaconf import DictConfig

from robot_hf.dataset import DatasetReader
from robot_hf.factory import make_robot


def main(cfg: DictConfig) -> int:
    if not cfg.dataset.root:
        raise ValueError("replay needs dataset.root=<dataset> and episode=<index>")
    reader = DatasetReader(cfg.dataset.root)
    if not 0 <= cfg.episode < reader.num_episodes:
        raise ValueError(f"episode={cfg.episode} does not exist; {cfg.dataset.root} holds episodes 0..{reader.num_episodes - 1}")
    episode = reader.episode(cfg.episode)
    actions = episode["action"]
    robot = make_robot(cfg)
    if list(robot.action_names) != list(reader.features["action"]["names"] or robot.action_names):
        raise ValueError(f"the dataset's actions {reader.features['action']['names']} are not robot {robot.name}'s {robot.action_names}")
    robot.connect()
    try:
        simulated = hasattr(robot, "reset")
        if simulated:
            state = episode["meta"].get("initial_state")
            if cfg.from_state and state is not None:
                robot.reset(state=np.asarray(state))
            else:
                robot.reset(seed=episode["meta"].get("seed"))
        elif hasattr(robot, "move_to"):
            robot.move_to(actions[0], duration_s=2.0)  # approach the first pose slowly
        period = 1.0 / reader.fps
        for action in actions:
            t0 = time.perf_counter()
            robot.get_observation()
            robot.send_action(action)
            if not simulated:
                time.sleep(max(0.0, period - (time.perf_counter() - t0)))
        outcome = ""
        if simulated:
            outcome = f"; task success: {robot.success} (recorded: {bool(episode['meta'].get('success'))})"
        print(f"replayed episode {cfg.episode}: {len(actions)} actions at {reader.fps} fps on {robot.name}{outcome}")
    finally:
        robot.disconnect()
    return 0
