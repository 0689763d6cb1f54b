"""MuJoCo tasks for robot-hf: a sim twin of the SO-101 and a planar Push-T, registered with gymnasium.

    import gymnasium as gym, sim
    env = gym.make("robot_hf/Lift-v0", cameras=["front", "wrist"], fps=10)
"""

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
