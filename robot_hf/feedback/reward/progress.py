"""The task's true dense progress at every frame of a sim-recorded dataset, by replaying its episodes.

A sim recording keeps each episode's initial state and the actions really sent, so replaying them in the
task's simulation (without cameras: physics only) reproduces every frame; the sim's progress (reach,
grasp, lift ... in [0, 1]) is what scripted teachers judge by and what a learned reward is checked against.
The replay is checked against the recorded state, so a dataset edited or recorded elsewhere is refused
rather than silently mislabelled.
"""

from __future__ import annotations

import numpy as np

from robot_hf.dataset import DatasetReader

# Largest difference between a replayed and a recorded state reading that still counts as the same frame.
REPLAY_TOLERANCE = 1e-3


def true_progress(reader: DatasetReader) -> np.ndarray:
    """(N,) progress in [0, 1] of the scene each frame shows (before its action), in global frame order."""
    from sim.robot import make_env

    task = reader.meta.robot_hf.get("task_config")
    if not task:
        raise ValueError(f"{reader.root} was not recorded in robot-hf's simulation, so its true progress is unknown: "
                         "scripted teachers and progress metrics need a sim recording (a person labels real-arm data "
                         "with `robot-hf label`)")
    env = make_env({**task, "cameras": []})
    states, actions = reader.column("observation.state"), reader.column("action")
    progress = np.zeros(reader.num_frames, dtype=np.float32)
    try:
        for e, (lo, hi) in enumerate(reader.episode_bounds):
            meta = reader.meta.episodes[e]
            if meta.get("initial_state") is not None:
                obs, info = env.reset(options={"state": np.asarray(meta["initial_state"], dtype=np.float64)})
            elif meta.get("seed") is not None:
                obs, info = env.reset(seed=int(meta["seed"]))
            else:
                raise ValueError(f"{reader.root}: episode {e} keeps neither its initial state nor its seed; it cannot be replayed")
            for t in range(lo, hi):
                drift = float(np.max(np.abs(obs["state"] - states[t]))) if states.shape[1] else 0.0
                if drift > REPLAY_TOLERANCE:
                    raise ValueError(f"{reader.root}: replaying episode {e} departs from the recording at frame {t - lo} "
                                     f"(state differs by {drift:.3g}); its true progress cannot be recovered")
                progress[t] = info["progress"]
                if t + 1 < hi:
                    obs, _, _, _, info = env.step(actions[t])
    finally:
        env.close()
    return progress
