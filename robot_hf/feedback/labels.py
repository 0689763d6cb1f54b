"""Per-frame labels of feedback data: demo, policy, pre-intervention, intervention (as Sirius names them)."""

from __future__ import annotations

import numpy as np

DEMO, POLICY, PRE_INTERVENTION, INTERVENTION = 0, 1, 2, 3
CLASS_NAMES = {DEMO: "demo", POLICY: "policy", PRE_INTERVENTION: "pre_intervention", INTERVENTION: "intervention"}


def onsets(intervention: np.ndarray, episode_of: np.ndarray) -> np.ndarray:
    """Indices of frames where a take-over starts (intervention turns on within an episode)."""
    intervention = np.asarray(intervention, dtype=bool)
    starts = np.zeros(len(intervention), dtype=bool)
    if len(intervention):
        starts[0] = intervention[0]
        new_episode = np.r_[True, episode_of[1:] != episode_of[:-1]]
        starts[1:] = intervention[1:] & (~intervention[:-1] | new_episode[1:])
        starts[0] = intervention[0]
    return np.nonzero(starts)[0]


def frame_classes(source: np.ndarray, intervention: np.ndarray, episode_of: np.ndarray, pre_window: int) -> np.ndarray:
    """A class per frame: human frames in episodes the policy never drove are demos."""
    source = np.asarray(source)
    intervention = np.asarray(intervention, dtype=bool)
    n = len(source)
    classes = np.full(n, DEMO, dtype=np.int64)
    is_policy = source == "policy"
    policy_episodes = np.unique(episode_of[is_policy])
    in_rollout = np.isin(episode_of, policy_episodes)
    classes[is_policy] = POLICY
    classes[intervention | (in_rollout & ~is_policy)] = INTERVENTION
    for start in onsets(intervention, episode_of):
        lo = start
        while lo > 0 and start - lo < pre_window and episode_of[lo - 1] == episode_of[start] and classes[lo - 1] == POLICY:
            lo -= 1
        classes[lo:start] = PRE_INTERVENTION
    return classes


def rlif_rewards(intervention: np.ndarray, episode_of: np.ndarray) -> np.ndarray:
    """RLIF: reward -1 at the onset of every intervention, 0 elsewhere."""
    rewards = np.zeros(len(intervention), dtype=np.float32)
    rewards[onsets(intervention, episode_of)] = -1.0
    return rewards


def counts(classes: np.ndarray) -> dict[str, int]:
    return {name: int(np.sum(classes == c)) for c, name in CLASS_NAMES.items()}


def class_weights(classes: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """The largest loss weight of each class present (frames the memory trimmed have weight 0)."""
    present = [(c, name) for c, name in CLASS_NAMES.items() if np.any(classes == c)]
    return {name: round(float(weights[classes == c].max()), 3) for c, name in present}


def frame_rounds(episode_rounds: list, episode_of: np.ndarray) -> np.ndarray:
    """The improvement round of every frame (0: demonstrations and sessions recorded outside `improve`)."""
    per_episode = np.array([int(r or 0) for r in episode_rounds], dtype=np.int64)
    return per_episode[episode_of] if len(per_episode) else np.zeros(len(episode_of), np.int64)


def describe_classes(frames: dict[str, int], weights: dict[str, float]) -> str:
    """What a learner trains on, for a person: `718 demo frames (loss weight 1), 162 intervention frames (...)`."""
    return ", ".join(f"{n} {name} frames (loss weight {weights.get(name, 1.0):g})" for name, n in frames.items())
