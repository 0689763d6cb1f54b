"""What the expert would do from the scene now: its end-effector path over the next few control periods, driven on
a twin of the scene (the same saved state, no cameras), so the scene itself is never disturbed.

A simulated person who names the motion a robot should make (the corrector) names it from this path with the same
rule the labeller applies to a recorded one, so the expert's own demonstrations would draw no corrections.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.arm import DLSIK


def pose(info: dict[str, Any]) -> np.ndarray:
    """x, y, z, yaw of the end effector and the gripper's jaw: what a motion label reads."""
    p = info["privileged"]
    return np.array([*p["ee_pos"], p["ee_yaw"], p["joints"][-1]], dtype=np.float64)


class Lookahead:
    def __init__(self, robot):
        from sim.robot import make_env

        self.robot = robot
        self.twin = make_env(robot.env.config, cameras=[])
        self.twin.reset(seed=0)
        self.ik = DLSIK(self.twin.model) if self.twin.config.action_space == "joint" else None

    def path(self, expert, steps: int) -> np.ndarray:
        """(k + 1, 5) poses from now, k <= steps (fewer when the twin's episode ends), with `expert` (watching the
        scene, its plan current) driving the twin."""
        self.twin.set_state(self.robot.env.get_state())
        driver = expert.imagine(self.twin, self.ik)
        info = self.robot.info
        poses = [pose(info)]
        for _ in range(steps):
            _, _, terminated, _, info = self.twin.step(driver.act({}, info))
            poses.append(pose(info))
            if terminated:
                break
        return np.stack(poses)
