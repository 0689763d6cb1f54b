"""An episode's end-effector path (x, y, z, yaw, gripper) from its recorded state, for the motion labeller.

Joint-space arms go through forward kinematics of their sim twin (the SO-101's MJCF, which the simulated tasks use
too); a Cartesian state (PushT's x, y) is read directly, through a map from axes to state names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from robot_hf.config.compose import ConfigError
from robot_hf.language.motions import AXES

SO101_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
# Cartesian state names the labeller recognises by itself (PushT, end-effector arms).
CARTESIAN = {"x": ("x", "x.pos", "ee.x"), "y": ("y", "y.pos", "ee.y"), "z": ("z", "z.pos", "ee.z"),
             "yaw": ("yaw", "yaw.pos", "ee.yaw"), "gripper": ("gripper", "gripper.pos")}


class EndEffectorError(ConfigError):
    """motions.end_effector cannot read this dataset's state (bad input: exit 2)."""


def _position_index(names: Sequence[str], joint: str) -> int | None:
    for candidate in (f"{joint}.pos", joint):
        if candidate in names:
            return list(names).index(candidate)
    return None


def _so101(names: Sequence[str]) -> list[int] | None:
    idx = [_position_index(names, j) for j in (*SO101_JOINTS, "gripper")]
    return None if any(i is None for i in idx[:5]) else idx


def resolve_source(spec: Any, names: Sequence[str]) -> tuple[str, Any]:
    """('so101', joint indices) or ('map', {axis: (index, sign)}), or an error naming motions.end_effector and the fix."""
    names = list(names or [])
    if spec in ("auto", "so101"):
        joints = _so101(names)
        if joints is not None:
            return "so101", joints
        if spec == "so101":
            raise EndEffectorError(f"motions.end_effector=so101, but the state names {names} do not hold the SO-101's joints "
                                   f"{list(SO101_JOINTS)}: map the axes to state names instead, e.g. "
                                   "'motions.end_effector={x: x.pos, y: y.pos}'")
        found = {axis: next((names.index(n) for n in options if n in names), None) for axis, options in CARTESIAN.items()}
        found = {a: (i, 1) for a, i in found.items() if i is not None}
        if not any(a in found for a in ("x", "y", "z")):
            raise EndEffectorError(f"motions.end_effector=auto found neither the SO-101's joints nor Cartesian positions in "
                                   f"the state names {names}: name them, e.g. 'motions.end_effector={{x: <state name>, "
                                   f"y: <state name>}}' ('-' before a name flips the axis); arms other than the SO-101 "
                                   "have no sim twin for forward kinematics yet")
        return "map", found
    if isinstance(spec, Mapping):
        mapping = {}
        for axis, name in spec.items():
            if axis not in AXES:
                raise EndEffectorError(f"motions.end_effector.{axis}: not an axis; axes are {list(AXES)}")
            sign, name = (-1, str(name)[1:]) if str(name).startswith("-") else (1, str(name))
            if name not in names:
                raise EndEffectorError(f"motions.end_effector.{axis}={name}: the state has no {name!r}; its names are {names}")
            mapping[axis] = (names.index(name), sign)
        return "map", mapping
    raise EndEffectorError(f"motions.end_effector={spec!r}: use auto, so101, or a map from axes to state names")


def end_effector_path(state: np.ndarray, names: Sequence[str], spec: Any = "auto") -> np.ndarray:
    """(N, 5) x, y, z, yaw, gripper along recorded states (NaN for an axis the state does not give)."""
    state = np.asarray(state, dtype=np.float64)
    kind, how = resolve_source(spec, names)
    out = np.full((len(state), len(AXES)), np.nan)
    if kind == "so101":
        from sim.arm import end_effector_poses

        pos, yaw = end_effector_poses(state[:, how[:5]])
        out[:, :3], out[:, 3] = pos, yaw
        if how[5] is not None:
            out[:, 4] = state[:, how[5]]
    else:
        for axis, (index, sign) in how.items():
            out[:, AXES.index(axis)] = sign * state[:, index]
    return out
