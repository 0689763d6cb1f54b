"""PickPlace expert: grasp the named cube, carry it over the named bowl, lower it in and let go."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.arm import GRIPPER_CLOSED, GRIPPER_OPEN
from sim.experts.base import Expert, Phase

CARRY_Z = 0.075
RELEASE_Z = 0.04


class PickPlaceExpert(Expert):
    def reset_task(self) -> None:
        self.stage, self.yaw, self.count = "approach", None, 0

    def plan(self, info: dict[str, Any]) -> Phase:
        p = info["privileged"]
        cube, ee, bowl = np.asarray(p["cube_pos"]), np.asarray(p["ee_pos"]), np.asarray(p["bowl_pos"])
        phase = self.pick(cube, p["cube_yaw"], p, grasp_dz=0.002, then="carry", held=p["cube_held"])
        if phase is not None:
            return phase
        above = np.append(cube + [0, 0, 0.06], self.yaw)
        if self.stage in ("carry", "lower") and not p["cube_held"] and cube[2] < 0.03:  # dropped on the way: pick it up again
            self.stage = "approach"
            return Phase("approach", above, GRIPPER_OPEN)
        if self.stage == "carry":
            over = np.append(bowl[:2], CARRY_Z)
            lift_first = ee[2] < CARRY_Z - 0.02 and np.linalg.norm(ee[:2] - bowl[:2]) > 0.05
            goal = np.append(ee[:2], CARRY_Z) if lift_first else over
            # Aim the cube (not the gripper) over the bowl centre.
            if not lift_first:
                goal[:2] += ee[:2] - cube[:2]
            if np.linalg.norm(cube[:2] - bowl[:2]) < 0.01 and abs(ee[2] - CARRY_Z) < 0.015:
                self.stage = "lower"
            return Phase("carry", np.append(goal, self.yaw), GRIPPER_CLOSED)
        if self.stage == "lower":
            goal = np.append(bowl[:2] + (ee[:2] - cube[:2]), RELEASE_Z)
            if abs(ee[2] - RELEASE_Z) < 0.008:
                self.stage, self.count = "release", 0
            return Phase("lower", np.append(goal, self.yaw), GRIPPER_CLOSED)
        if self.stage == "release":
            self.count += 1
            if self.count >= max(3, round(0.4 * self.fps)):
                self.stage = "retreat"
            return Phase("release", np.append(ee, self.yaw), GRIPPER_OPEN, precise=True)
        return Phase("retreat", np.append(np.append(ee[:2], CARRY_Z + 0.02), self.yaw), GRIPPER_OPEN)
