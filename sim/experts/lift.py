"""Lift expert: above the cube, down, close, raise 12 cm while drawing in to where the arm can lift."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.arm import GRIPPER_CLOSED, GRIPPER_OPEN
from sim.experts.base import Expert, Phase, grasp_yaw

# Where lifting 10+ cm with the tool vertical stays inside the wrist's range.
LIFT_RADIUS_M = 0.17


class LiftExpert(Expert):
    def reset_task(self) -> None:
        self.stage = "approach"
        self.closed_steps = 0
        self.yaw = None

    def plan(self, info: dict[str, Any]) -> Phase:
        p = info["privileged"]
        cube, ee = np.asarray(p["cube_pos"]), np.asarray(p["ee_pos"])
        if self.yaw is None or self.stage == "approach":
            self.yaw = grasp_yaw(p["cube_yaw"], p["ee_yaw"])
        above = np.append(cube + [0, 0, 0.06], self.yaw)
        grasp = np.append(cube + [0, 0, 0.003], self.yaw)
        held = bool(p["cube_held"])
        if self.stage == "approach":
            if np.linalg.norm(ee[:2] - cube[:2]) < 0.01 and abs(ee[2] - above[2]) < 0.015:
                self.stage = "descend"
            return Phase("approach", above, GRIPPER_OPEN)
        if self.stage == "descend":
            if np.linalg.norm(ee - grasp[:3]) < 0.006:
                self.stage = "close"
            if np.linalg.norm(ee[:2] - cube[:2]) > 0.03:  # the cube moved away: start over
                self.stage = "approach"
            return Phase("descend", grasp, GRIPPER_OPEN)
        if self.stage == "close":
            self.closed_steps += 1
            if self.closed_steps >= max(3, round(0.5 * self.fps)):
                self.stage, self.closed_steps = "lift", 0
            return Phase("close", grasp, GRIPPER_CLOSED, precise=True)
        # lift
        if not held and cube[2] < p["rest_z"] + 0.02 and self.steps > 0:
            self.stage = "approach"
            return Phase("approach", above, GRIPPER_OPEN)
        direction = cube[:2] / max(np.linalg.norm(cube[:2]), 1e-6)
        top = np.append(np.append(direction * LIFT_RADIUS_M, p["rest_z"] + 0.125), self.yaw)
        return Phase("lift", top, GRIPPER_CLOSED)
