"""Lift: grasp a cube placed at random and raise it 10 cm, held in the fingers."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sim.envs.arm_env import ArmTaskEnv
from sim.envs.scene import held_by_fingers, quat_yaw, set_free_joint

LIFT_HEIGHT_M = 0.10


class LiftEnv(ArmTaskEnv):
    task_name: ClassVar[str] = "lift"
    scene_file: ClassVar[str] = "lift.xml"
    object_geoms: ClassVar[tuple[str, ...]] = ("cube",)
    object_bodies: ClassVar[tuple[str, ...]] = ("cube",)
    task_vars_size: ClassVar[int] = 1

    def _setup_scene(self, rng: np.random.Generator) -> None:
        radius, angle = rng.uniform(0.13, 0.23), rng.uniform(-0.6, 0.6)
        half = float(self.model.geom_size[self.model.geom("cube").id, 2])
        self._rest_z = half
        set_free_joint(self.model, self.data, "cube", [radius * np.cos(angle), radius * np.sin(angle), half + 0.001],
                       rng.uniform(-np.pi / 4, np.pi / 4))

    def _cube(self) -> tuple[np.ndarray, np.ndarray]:
        b = self.model.body("cube").id
        return self.data.xpos[b].copy(), self.data.xquat[b].copy()

    def _evaluate(self) -> tuple[bool, float]:
        pos, _ = self._cube()
        lifted = pos[2] - self._rest_z
        held = held_by_fingers(self.model, self.data, self.model.geom("cube").id)
        success = lifted >= LIFT_HEIGHT_M and held
        # Progress: reach (distance), then grasp, then height.
        ee, _ = self.arm.ee_pose(self.data)
        reach = 1.0 - min(1.0, float(np.linalg.norm(ee - pos)) / 0.2)
        progress = 0.3 * reach + 0.2 * held + 0.5 * (held * np.clip(lifted / LIFT_HEIGHT_M, 0.0, 1.0))
        return bool(success), float(progress)

    def instruction(self) -> str:
        return "lift the red cube"

    object_state_names: ClassVar[tuple[str, ...]] = ("cube.x", "cube.y", "cube.z", "cube.cos4yaw", "cube.sin4yaw")

    def _object_state(self) -> np.ndarray:
        pos, quat = self._cube()
        yaw = quat_yaw(quat)  # a cube looks the same every quarter turn
        return np.array([*pos, np.cos(4 * yaw), np.sin(4 * yaw)])

    def _task_vars(self) -> np.ndarray:
        return np.array([self._rest_z])

    def _set_task_vars(self, values: np.ndarray) -> None:
        self._rest_z = float(values[0])

    def _privileged_task(self) -> dict[str, Any]:
        pos, quat = self._cube()
        half = float(self.model.geom_size[self.model.geom("cube").id, 0])
        held = held_by_fingers(self.model, self.data, self.model.geom("cube").id)
        return {"cube_pos": pos, "cube_quat": quat, "cube_yaw": quat_yaw(quat), "cube_half_size": half,
                "rest_z": self._rest_z, "cube_held": held}
