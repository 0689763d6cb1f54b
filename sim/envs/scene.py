"""Loading scenes, rendering cameras, domain randomisation and full-state save/restore."""

from __future__ import annotations

import atexit
import contextlib
import sys
import weakref
from pathlib import Path

import mujoco
import numpy as np

from sim.config import RandomizationConfig

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def load_model(scene_file: str) -> mujoco.MjModel:
    path = ASSETS / scene_file
    if not path.exists():
        raise FileNotFoundError(f"scene {scene_file!r} not found in {ASSETS}")
    return mujoco.MjModel.from_xml_path(str(path))


_OPEN_CAMERAS: weakref.WeakSet = weakref.WeakSet()
_EXIT_HOOK = []


def _close_renderers() -> None:
    # GL contexts left to the garbage collector at interpreter exit raise EGL errors; close them
    # first. Registered after MuJoCo's own EGL exit handler, so it runs before it.
    for cameras in list(_OPEN_CAMERAS):
        cameras.close()


def _say_renderer_once() -> None:
    import sim

    if sim.RENDERER_NOTE:
        print(sim.RENDERER_NOTE, file=sys.stderr)
        sim.RENDERER_NOTE = ""


class Cameras:
    """Offscreen renders of named cameras at one resolution (EGL on headless machines)."""

    def __init__(self, model: mujoco.MjModel, names: list[str], height: int, width: int):
        self.model, self.names, self.height, self.width = model, list(names), height, width
        self._renderer: mujoco.Renderer | None = None
        _OPEN_CAMERAS.add(self)

    def render(self, data: mujoco.MjData) -> dict[str, np.ndarray]:
        if not self.names:
            return {}
        if self._renderer is None:
            _say_renderer_once()
            self._renderer = mujoco.Renderer(self.model, self.height, self.width)
            if not _EXIT_HOOK:
                atexit.register(_close_renderers)
                _EXIT_HOOK.append(True)
        images = {}
        for name in self.names:
            self._renderer.update_scene(data, camera=name)
            images[name] = self._renderer.render().copy()
        return images

    def close(self) -> None:
        if self._renderer is not None:
            with contextlib.suppress(Exception):  # the GL display may already be gone at exit
                self._renderer.close()
            self._renderer = None


class Randomizer:
    """Per-episode domain randomisation of model parameters, always from the nominal values."""

    def __init__(self, model: mujoco.MjModel, config: RandomizationConfig, object_geoms: list[str], object_bodies: list[str],
                 cameras: list[str]):
        self.model, self.config = model, config
        self.geoms = np.array([model.geom(n).id for n in object_geoms], dtype=int)
        self.bodies = np.array([model.body(n).id for n in object_bodies], dtype=int)
        self.cameras = np.array([model.camera(n).id for n in cameras if n != "wrist"], dtype=int)
        self.nominal = {
            "geom_rgba": model.geom_rgba.copy(),
            "geom_size": model.geom_size.copy(),
            "geom_friction": model.geom_friction.copy(),
            "body_mass": model.body_mass.copy(),
            "body_inertia": model.body_inertia.copy(),
            "cam_pos": model.cam_pos.copy(),
            "cam_quat": model.cam_quat.copy(),
            "light_pos": model.light_pos.copy(),
            "light_diffuse": model.light_diffuse.copy(),
        }

    def apply(self, rng: np.random.Generator) -> None:
        m, c = self.model, self.config
        for field, value in self.nominal.items():
            getattr(m, field)[:] = value
        g = self.geoms
        if c.object_colors and len(g):
            m.geom_rgba[g, :3] = np.clip(m.geom_rgba[g, :3] + rng.uniform(-c.color_jitter, c.color_jitter, (len(g), 3)), 0, 1)
        if c.object_sizes and len(g):
            m.geom_size[g] *= rng.uniform(1 - c.size_scale, 1 + c.size_scale, (len(g), 1))
        if c.friction and len(g):
            m.geom_friction[g, 0] *= rng.uniform(1 - c.friction_scale, 1 + c.friction_scale, len(g))
        if c.mass and len(self.bodies):
            scale = rng.uniform(1 - c.mass_scale, 1 + c.mass_scale, len(self.bodies))
            m.body_mass[self.bodies] *= scale
            m.body_inertia[self.bodies] *= scale[:, None]
        if c.lighting:
            m.light_pos += rng.uniform(-0.15, 0.15, m.light_pos.shape)
            m.light_diffuse *= rng.uniform(0.6, 1.3, (m.nlight, 1))
        if c.camera_jitter and len(self.cameras):
            cams = self.cameras
            m.cam_pos[cams] += rng.uniform(-c.camera_pos_m, c.camera_pos_m, (len(cams), 3))
            for cam in cams:
                axis = rng.normal(size=3)
                axis /= np.linalg.norm(axis)
                dq = np.zeros(4)
                mujoco.mju_axisAngle2Quat(dq, axis, rng.uniform(-c.camera_rot_rad, c.camera_rot_rad))
                q = np.zeros(4)
                mujoco.mju_mulQuat(q, dq, m.cam_quat[cam])
                m.cam_quat[cam] = q

    def params(self) -> np.ndarray:
        """The randomised parameters as one vector (part of a saved state)."""
        return np.concatenate([getattr(self.model, f).ravel() for f in self.nominal])

    def set_params(self, vector: np.ndarray) -> None:
        offset = 0
        for field in self.nominal:
            target = getattr(self.model, field)
            n = target.size
            target[:] = vector[offset: offset + n].reshape(target.shape)
            offset += n

    def size(self) -> int:
        return sum(v.size for v in self.nominal.values())


def physics_state(model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    state = np.empty(mujoco.mj_stateSize(model, spec))
    mujoco.mj_getState(model, data, state, spec)
    return state


def set_physics_state(model: mujoco.MjModel, data: mujoco.MjData, state: np.ndarray) -> None:
    mujoco.mj_setState(model, data, np.asarray(state, dtype=np.float64), mujoco.mjtState.mjSTATE_INTEGRATION)
    mujoco.mj_forward(model, data)


def free_joint_pose(model: mujoco.MjModel, data: mujoco.MjData, body: str) -> tuple[np.ndarray, np.ndarray]:
    b = model.body(body).id
    return data.xpos[b].copy(), data.xquat[b].copy()


def set_free_joint(model: mujoco.MjModel, data: mujoco.MjData, joint: str, pos, yaw: float = 0.0) -> None:
    adr = model.joint(joint).qposadr[0]
    data.qpos[adr: adr + 3] = pos
    data.qpos[adr + 3: adr + 7] = [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]
    dof = model.joint(joint).dofadr[0]
    data.qvel[dof: dof + 6] = 0


def quat_yaw(quat: np.ndarray) -> float:
    w, x, y, z = quat
    return float(np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))


def tilt_of(quat: np.ndarray) -> float:
    """Angle (rad) between a body's z axis and the vertical."""
    mat = np.zeros(9)
    mujoco.mju_quat2Mat(mat, quat)
    return float(np.arccos(np.clip(mat[8], -1.0, 1.0)))


def touching(model: mujoco.MjModel, data: mujoco.MjData, geom_a: int, geom_b: int) -> bool:
    for i in range(data.ncon):
        c = data.contact[i]
        if (c.geom1 == geom_a and c.geom2 == geom_b) or (c.geom1 == geom_b and c.geom2 == geom_a):
            return True
    return False


def held_by_fingers(model: mujoco.MjModel, data: mujoco.MjData, geom: int) -> bool:
    """Both finger pads touch the geom: a grasp, not a nudge or a toss."""
    left, right = model.geom("finger_left_pad").id, model.geom("finger_right_pad").id
    return touching(model, data, geom, left) and touching(model, data, geom, right)
