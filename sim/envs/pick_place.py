"""PickPlace: cubes and two bowls; success only for the named cube, released inside the named bowl."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sim.envs import instructions
from sim.envs.arm_env import ArmTaskEnv
from sim.envs.scene import held_by_fingers, quat_yaw, set_free_joint

CUBES = ("red", "green", "yellow")
BOWLS = ("blue", "white")
BOWL_INNER_HALF_M = 0.035
BOWL_WALL_TOP_M = 0.024


class PickPlaceEnv(ArmTaskEnv):
    default_episode_time_s: ClassVar[float] = 20.0
    task_name: ClassVar[str] = "pick_place"
    scene_file: ClassVar[str] = "pick_place.xml"
    object_geoms: ClassVar[tuple[str, ...]] = tuple(f"cube_{c}" for c in CUBES)
    object_bodies: ClassVar[tuple[str, ...]] = tuple(f"cube_{c}" for c in CUBES)
    # target cube, target bowl, number of cubes, phrasing, bowl positions (2 x 2)
    task_vars_size: ClassVar[int] = 8

    def __init__(self, config: Any = None, render_mode: str | None = "rgb_array", **overrides):
        super().__init__(config, render_mode, **overrides)
        if self.config.num_objects not in (2, 3):
            raise ValueError(f"task.num_objects must be 2 or 3 for pick_place, got {self.config.num_objects}")
        instructions.templates(self.config.instructions)
        self._target_cube, self._zone, self._phrase = 0, 0, 0
        self._bowl_xy = np.zeros((2, 2))

    def _place_bowls(self) -> None:
        for i, bowl in enumerate(BOWLS):
            self.model.body_pos[self.model.body(f"bowl_{bowl}").id] = [*self._bowl_xy[i], 0.0]

    def _setup_scene(self, rng: np.random.Generator) -> None:
        n = self.config.num_objects
        spots = _separated_points(rng, 2 + n, [(0.09, 0.05), (0.09, 0.05)] + [(0.04, 0.0)] * n)
        self._bowl_xy = spots[:2]
        self._place_bowls()
        for i, color in enumerate(CUBES):
            # Cubes not in play wait on the shelf under the table, out of sight of the cameras.
            pos = [*spots[2 + i], 0.0145] if i < n else [0.2, -0.2 + 0.1 * i, -0.11 + 0.0145]
            set_free_joint(self.model, self.data, f"cube_{color}", pos, rng.uniform(-np.pi / 4, np.pi / 4))
        self._target_cube = int(rng.integers(n))
        self._zone = int(rng.integers(2))
        self._phrase, _ = instructions.draw(rng, self.config.instructions, CUBES[self._target_cube], BOWLS[self._zone])

    def instruction(self) -> str:
        return instructions.templates(self.config.instructions)[self._phrase].format(
            obj=CUBES[self._target_cube], zone=BOWLS[self._zone])

    object_state_names: ClassVar[tuple[str, ...]] = ("cube.x", "cube.y", "cube.z", "cube.cos4yaw", "cube.sin4yaw",
                                                       "bowl.x", "bowl.y")

    def _object_state(self) -> np.ndarray:
        """The named cube and bowl: the instruction resolved, for low-dimensional experiments."""
        pos, quat = self._cube(self._target_cube)
        yaw = quat_yaw(quat)
        return np.array([*pos, np.cos(4 * yaw), np.sin(4 * yaw), *self._bowl_xy[self._zone]])

    def _cube(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        b = self.model.body(f"cube_{CUBES[i]}").id
        return self.data.xpos[b].copy(), self.data.xquat[b].copy()

    def in_bowl(self, cube: int, bowl: int) -> bool:
        """The cube rests inside the bowl's walls, released by the gripper."""
        pos, _ = self._cube(cube)
        dx, dy = np.abs(pos[:2] - self._bowl_xy[bowl])
        inside = dx <= BOWL_INNER_HALF_M and dy <= BOWL_INNER_HALF_M and pos[2] < BOWL_WALL_TOP_M
        return bool(inside and not held_by_fingers(self.model, self.data, self.model.geom(f"cube_{CUBES[cube]}").id))

    def _evaluate(self) -> tuple[bool, float]:
        success = self.in_bowl(self._target_cube, self._zone)
        pos, _ = self._cube(self._target_cube)
        ee, _ = self.arm.ee_pose(self.data)
        reach = 1.0 - min(1.0, float(np.linalg.norm(ee - pos)) / 0.2)
        carry = 1.0 - min(1.0, float(np.linalg.norm(pos[:2] - self._bowl_xy[self._zone])) / 0.25)
        held = held_by_fingers(self.model, self.data, self.model.geom(f"cube_{CUBES[self._target_cube]}").id)
        progress = 1.0 if success else 0.3 * reach + 0.2 * held + 0.4 * carry * held
        return success, float(progress)

    def _task_vars(self) -> np.ndarray:
        return np.array([self._target_cube, self._zone, self.config.num_objects, self._phrase, *self._bowl_xy.ravel()], float)

    def _set_task_vars(self, values: np.ndarray) -> None:
        self._target_cube, self._zone, _, self._phrase = (int(v) for v in values[:4])
        self._bowl_xy = values[4:8].reshape(2, 2).copy()
        self._place_bowls()

    def _privileged_task(self) -> dict[str, Any]:
        pos, quat = self._cube(self._target_cube)
        held = held_by_fingers(self.model, self.data, self.model.geom(f"cube_{CUBES[self._target_cube]}").id)
        return {
            "target_cube": CUBES[self._target_cube], "target_bowl": BOWLS[self._zone],
            "cube_pos": pos, "cube_quat": quat, "cube_yaw": quat_yaw(quat), "cube_held": held,
            "bowl_pos": np.append(self._bowl_xy[self._zone], 0.0),
            "cubes": {c: self._cube(i)[0] for i, c in enumerate(CUBES[: self.config.num_objects])},
        }


def _separated_points(rng: np.random.Generator, n: int, radii: list[tuple[float, float]]) -> np.ndarray:
    """n points in the reachable part of the table, each kept radii[i][0] apart from the others.

    radii[i][1] is extra clearance from the workspace edge (a bowl must fit whole).
    """
    for _ in range(1000):
        pts = []
        for i in range(n):
            for _ in range(200):
                r, a = rng.uniform(0.13 + radii[i][1] / 2, 0.26 - radii[i][1] / 2), rng.uniform(-0.85, 0.85)
                p = np.array([r * np.cos(a), r * np.sin(a)])
                if all(np.linalg.norm(p - q) >= (radii[i][0] + radii[j][0]) / 2 + 0.02 for j, q in enumerate(pts)):
                    pts.append(p)
                    break
        if len(pts) == n:
            return np.array(pts)
    raise RuntimeError("could not lay out the PickPlace scene; the workspace is too small for the objects")
