"""Insertion: put a 20 mm square peg into a hole with 1 mm clearance per side, at least 20 mm deep."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sim.envs.arm_env import ArmTaskEnv
from sim.envs.scene import held_by_fingers, quat_yaw, set_free_joint, tilt_of

HOLE_DEPTH_M = 0.03
INSERTED_DEPTH_M = 0.02
PEG_HALF_LENGTH_M = 0.03


class InsertionEnv(ArmTaskEnv):
    default_episode_time_s: ClassVar[float] = 20.0
    task_name: ClassVar[str] = "insertion"
    scene_file: ClassVar[str] = "insertion.xml"
    object_geoms: ClassVar[tuple[str, ...]] = ("peg",)
    object_bodies: ClassVar[tuple[str, ...]] = ("peg",)
    task_vars_size: ClassVar[int] = 3  # fixture x, y, yaw

    def __init__(self, config: Any = None, render_mode: str | None = "rgb_array", **overrides):
        super().__init__(config, render_mode, **overrides)
        self._fixture = np.array([0.2, 0.08, 0.0])

    def _place_fixture(self) -> None:
        b = self.model.body("fixture").id
        x, y, yaw = self._fixture
        self.model.body_pos[b] = [x, y, 0.0]
        self.model.body_quat[b] = [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]

    def _setup_scene(self, rng: np.random.Generator) -> None:
        side = rng.choice([-1.0, 1.0])
        r_f, a_f = rng.uniform(0.15, 0.22), side * rng.uniform(0.25, 0.6)
        r_p, a_p = rng.uniform(0.14, 0.22), -side * rng.uniform(0.15, 0.55)
        self._fixture = np.array([r_f * np.cos(a_f), r_f * np.sin(a_f), rng.uniform(-np.pi / 4, np.pi / 4)])
        self._place_fixture()
        set_free_joint(self.model, self.data, "peg", [r_p * np.cos(a_p), r_p * np.sin(a_p), PEG_HALF_LENGTH_M + 0.0005],
                       rng.uniform(-np.pi / 4, np.pi / 4))

    def instruction(self) -> str:
        return "insert the peg into the hole"

    # Absolute poses, then, as robosuite's peg-in-hole observations do, the relative geometry the task turns on:
    # where the peg is from the hand (grasp) and where the hole is from the peg's bottom face (a peg hanging
    # tilted in the fingers puts its bottom millimetres away from its centre), with yaw errors wrapped to the
    # square's quarter turn. A policy would otherwise have to learn forward kinematics and that geometry to
    # about a millimetre from a handful of demos.
    object_state_names: ClassVar[tuple[str, ...]] = (
        "peg.x", "peg.y", "peg.z", "peg.cos4yaw", "peg.sin4yaw", "peg.tilt",
        "hole.x", "hole.y", "hole.cos4yaw", "hole.sin4yaw",
        "hand_to_peg.x", "hand_to_peg.y", "hand_to_peg.z", "hand_to_peg.yaw",
        "peg_bottom_to_hole.x", "peg_bottom_to_hole.y", "peg_bottom_to_hole.z", "peg_to_hole.yaw")

    def _object_state(self) -> np.ndarray:
        pos, quat = self._peg()
        peg_yaw, hole_yaw = quat_yaw(quat), float(self._fixture[2])
        hole = self.hole_pos()
        hand, hand_yaw = self.arm.ee_pose(self.data)
        to_hole = hole - peg_bottom(pos, quat)
        return np.array([*pos, np.cos(4 * peg_yaw), np.sin(4 * peg_yaw), tilt_of(quat),
                         hole[0], hole[1], np.cos(4 * hole_yaw), np.sin(4 * hole_yaw),
                         *(pos - hand), quarter_turn_error(peg_yaw, hand_yaw),
                         *to_hole, quarter_turn_error(hole_yaw, peg_yaw)])

    def _peg(self) -> tuple[np.ndarray, np.ndarray]:
        b = self.model.body("peg").id
        return self.data.xpos[b].copy(), self.data.xquat[b].copy()

    def hole_pos(self) -> np.ndarray:
        return self.data.site_xpos[self.model.site("hole").id].copy()

    def _evaluate(self) -> tuple[bool, float]:
        pos, quat = self._peg()
        hole = self.hole_pos()
        bottom = pos[2] - PEG_HALF_LENGTH_M * np.cos(tilt_of(quat))
        depth = hole[2] - bottom
        centred = np.linalg.norm(pos[:2] - hole[:2]) < 0.004
        success = bool(centred and depth >= INSERTED_DEPTH_M and tilt_of(quat) < 0.15)
        ee, _ = self.arm.ee_pose(self.data)
        reach = 1.0 - min(1.0, float(np.linalg.norm(ee - pos)) / 0.2)
        align = 1.0 - min(1.0, float(np.linalg.norm(pos[:2] - hole[:2])) / 0.2)
        held = held_by_fingers(self.model, self.data, self.model.geom("peg").id)
        progress = 1.0 if success else 0.2 * reach + 0.2 * held + 0.4 * align * held + 0.2 * centred * np.clip(depth / INSERTED_DEPTH_M, 0, 1)
        return success, float(progress)

    def _task_vars(self) -> np.ndarray:
        return self._fixture.copy()

    def _set_task_vars(self, values: np.ndarray) -> None:
        self._fixture = np.asarray(values, float).copy()
        self._place_fixture()

    def _privileged_task(self) -> dict[str, Any]:
        pos, quat = self._peg()
        return {
            "peg_pos": pos, "peg_quat": quat, "peg_yaw": quat_yaw(quat), "peg_tilt": tilt_of(quat),
            "peg_held": held_by_fingers(self.model, self.data, self.model.geom("peg").id),
            "hole_pos": self.hole_pos(), "hole_yaw": float(self._fixture[2]),
        }


def peg_bottom(center: np.ndarray, quat: np.ndarray) -> np.ndarray:
    """Centre of the peg's bottom face, from its centre and orientation (w, x, y, z)."""
    w, x, y, z = quat
    axis = np.array([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)])
    return center - PEG_HALF_LENGTH_M * axis


def quarter_turn_error(goal_yaw: float, yaw: float) -> float:
    """The yaw turn (rad, within +-pi/4) that brings `yaw` onto `goal_yaw` up to a quarter turn: a square's symmetry."""
    return float((goal_yaw - yaw + np.pi / 4) % (np.pi / 2) - np.pi / 4)
