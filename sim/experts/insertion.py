"""Insertion expert: grasp the peg high, lift it clear, align the peg (not the hand) over the hole,
match its yaw to the hole, then insert slowly, correcting the peg's measured offset on the way down."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.arm import GRIPPER_CLOSED, GRIPPER_OPEN
from sim.envs.insertion import PEG_HALF_LENGTH_M, peg_bottom, quarter_turn_error
from sim.experts.base import Expert, Phase

CLEAR_Z = 0.035  # peg bottom above the fixture top while moving
# A peg tipped this far (rad), lying on the table or swung sideways in the fingers, cannot be righted by this
# expert: it grasps and inserts a standing peg.
MAX_TILT = 0.6
# A standing peg is about to be knocked over when it starts to tip, or when the open fingers (pads 50 mm long)
# are beside it, not over it, at about its height.
TIPPING = 0.1
STRIKE_XY = (0.012, 0.045)
STRIKE_ABOVE_TOP = 0.02
# The last 64 mm down onto the peg at 8 mm a frame rather than 25: a person slows there, and a policy
# learning from the demos sees the hand reach the grasp height before the fingers close, not jump to it.
DESCEND_SPEED_M_S = 0.08
# Start down once the peg's bottom is roughly over the hole and keep centring on the way (a 35 mm descent at
# 4 mm a frame, halving the error each frame). The hole's 1 mm clearance admits about 0.09 rad of yaw when
# centred. A sub-millimetre gate at carry height made policies hover there: they came within 2-6 mm and
# 0.05-0.25 rad and never met it.
ALIGN_XY_M = 0.0025
ALIGN_YAW = 0.06


class InsertionExpert(Expert):
    def reset_task(self) -> None:
        self.stage, self.yaw, self.count = "approach", None, 0

    def recoverable(self, info: dict[str, Any]) -> bool:
        return float(info["privileged"]["peg_tilt"]) < MAX_TILT

    def imminent_failure(self, info: dict[str, Any]) -> bool:
        p = info["privileged"]
        if p["peg_held"]:
            return False
        peg, ee = np.asarray(p["peg_pos"]), np.asarray(p["ee_pos"])
        beside = STRIKE_XY[0] < np.linalg.norm(ee[:2] - peg[:2]) < STRIKE_XY[1]
        return float(p["peg_tilt"]) > TIPPING or (beside and ee[2] < peg[2] + PEG_HALF_LENGTH_M + STRIKE_ABOVE_TOP)

    def plan(self, info: dict[str, Any]) -> Phase:
        p = info["privileged"]
        peg, ee, hole = np.asarray(p["peg_pos"]), np.asarray(p["ee_pos"]), np.asarray(p["hole_pos"])
        # Grasp 14 mm below the top of the standing peg.
        phase = self.pick(peg, p["peg_yaw"], p, grasp_dz=PEG_HALF_LENGTH_M - 0.014, then="lift", held=p["peg_held"],
                          above_dz=PEG_HALF_LENGTH_M + 0.05, xy_tol=0.008, reach_tol=0.005,
                          descend_speed_m_s=DESCEND_SPEED_M_S)
        if phase is not None:
            return phase
        above = np.append(peg[:2], peg[2] + PEG_HALF_LENGTH_M + 0.05)
        if not p["peg_held"] and peg[2] < PEG_HALF_LENGTH_M + 0.01 and self.stage != "insert":
            self.stage = "approach"  # dropped: start over
            return Phase("approach", np.append(above, self.yaw), GRIPPER_OPEN)
        # The peg hangs in the fingers at an offset, maybe tilted: steer its bottom face by what is
        # measured, moving the commanded hand target by a fraction of the remaining error each step.
        bottom = peg_bottom(peg, np.asarray(p["peg_quat"]))
        err_xy = hole[:2] - bottom[:2]
        peg_to_hole = quarter_turn_error(p["hole_yaw"], p["peg_yaw"])
        carry_z = hole[2] + CLEAR_Z + (ee[2] - bottom[2])
        if self.stage == "lift":
            if ee[2] > carry_z - 0.01:
                self.stage = "align"
            return Phase("lift", np.append(np.append(ee[:2], carry_z), self.yaw), GRIPPER_CLOSED)
        if self.stage == "align":
            if np.linalg.norm(err_xy) > 0.02:  # far: travel at speed to above the hole
                goal = np.append(ee[:2] + err_xy, carry_z)
                return Phase("align", np.append(goal, self.yaw), GRIPPER_CLOSED)
            aligned = np.linalg.norm(err_xy) < ALIGN_XY_M and abs(peg_to_hole) < ALIGN_YAW
            self.count = self.count + 1 if aligned else 0
            if self.count >= 2:
                self.stage, self.count = "insert", 0
            gain = self.correction_gain(0.6)
            goal = np.append(self.target[:2] + gain * err_xy, carry_z)
            return Phase("align", np.append(goal, self.target[3] + gain * peg_to_hole), GRIPPER_CLOSED, precise=True)
        # insert: a few mm down per step while keeping the bottom centred
        depth = hole[2] - bottom[2]
        if np.linalg.norm(err_xy) > 0.003 and depth < 0.002:
            self.stage, self.count = "align", 0  # caught on the rim: back up and realign
        z_goal = self.target[2] - (0.004 if depth < 0.022 else 0.0)
        gain = self.correction_gain(0.5)
        goal = np.append(self.target[:2] + gain * err_xy, z_goal)
        return Phase("insert", np.append(goal, self.target[3] + gain * peg_to_hole), GRIPPER_CLOSED, precise=True)

