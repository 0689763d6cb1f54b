"""MuJoCo tasks for robot-hf: a sim twin of the SO-101 and a planar Push-T, registered with gymnasium.

    import gymnasium as gym, sim
    env = gym.make("robot_hf/Lift-v0", cameras=["front", "wrist"], fps=10)
"""

import ctypes.util
import os
import sys


def _pick_renderer() -> str:
    """On a Linux machine with no display, GLFW (MuJoCo's default) cannot open a window: use EGL, else OSMesa, set
    before mujoco is first imported. Returns the line the first render prints (sim/envs/scene.py), or ''."""
    if os.environ.get("MUJOCO_GL") or not sys.platform.startswith("linux") or os.environ.get("DISPLAY") \
            or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    for backend, library in (("egl", "EGL"), ("osmesa", "OSMesa")):
        if ctypes.util.find_library(library):
            os.environ["MUJOCO_GL"] = backend
            os.environ.setdefault("PYOPENGL_PLATFORM", backend)
            return f"no display: MuJoCo renders with MUJOCO_GL={backend} (set MUJOCO_GL to choose)"
    return ("no display and neither EGL nor OSMesa found: MuJoCo cannot render cameras here (install libegl1, or "
            "libosmesa6 and set MUJOCO_GL=osmesa)")


RENDERER_NOTE = _pick_renderer()

from gymnasium.envs.registration import register, registry

TASKS = {
    "pusht": ("robot_hf/PushT-v0", "sim.envs.pusht:PushTEnv"),
    "lift": ("robot_hf/Lift-v0", "sim.envs.lift:LiftEnv"),
    "pick_place": ("robot_hf/PickPlace-v0", "sim.envs.pick_place:PickPlaceEnv"),
    "insertion": ("robot_hf/Insertion-v0", "sim.envs.insertion:InsertionEnv"),
}

# The scripted expert of each task, as "module:Class".
EXPERTS = {
    "pusht": "sim.experts.pusht:PushTExpert",
    "lift": "sim.experts.lift:LiftExpert",
    "pick_place": "sim.experts.pick_place:PickPlaceExpert",
    "insertion": "sim.experts.insertion:InsertionExpert",
}

for _id, _entry in TASKS.values():
    if _id not in registry:
        # Episode limits come from the task config (episode_time_s x fps), so no TimeLimit wrapper.
        register(id=_id, entry_point=_entry, disable_env_checker=True)
