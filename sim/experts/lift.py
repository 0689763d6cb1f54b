"""Lift expert: above the cube, down, close, raise 12 cm while drawing in to where the arm can lift."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.arm import GRIPPER_CLOSED, GRIPPER_OPEN
from sim.experts.base import Expert, Phase

# Where lifting 10+ cm with the tool vertical stays inside the wrist's range.
LIFT_RADIUS_M = 0.17


class LiftExpert(Expert):
    def reset_task(self) -> None:
        self.stage, self.yaw = "approach", None

    def plan(self, info: dict[str, Any]) -> Phase:
        p = info["privileged"]
        cube = np.asarray(p["cube_pos"])
        phase = self.pick(cube, p["cube_yaw"], p, grasp_dz=0.003, then="lift", held=p["cube_held"])
        if phase is not None:
            return phase
        if not p["cube_held"] and cube[2] < p["rest_z"] + 0.02:  # slipped out: grasp again
            self.stage = "approach"
            return Phase("approach", np.append(cube + [0, 0, 0.06], self.yaw), GRIPPER_OPEN)
        direction = cube[:2] / max(np.linalg.norm(cube[:2]), 1e-6)
        top = np.append(np.append(direction * LIFT_RADIUS_M, p["rest_z"] + 0.125), self.yaw)
        return Phase("lift", top, GRIPPER_CLOSED)
