"""On-policy preference pairs in simulation (D3PO's): at states the policy's rollouts visited, the policy samples k
continuations from the same state, the learned reward ranks them, and the best over the worst is a pair.

A state is restored by resetting the scene with the rollout's seed and replaying its recorded actions (the sim is
deterministic; the replay is checked against the recorded state). Each continuation runs through the one episode
loop and is saved as a branch episode (meta `branch_of`, `branch_frame`: the rollout and the frame it leaves at),
so the pair's segments are ordinary dataset segments: the branch point's frame, whose training window holds the
observation there and the actions the policy took from it. Pairs are stored with annotator "branch" (in `improve`,
"branch:round_<r>"), the `branch` source of objective.sources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from robot_hf.dataset import DatasetReader, DatasetWriter, Preference
from robot_hf.feedback.config import BranchConfig
from robot_hf.interfaces import Observation, Robot
from robot_hf.session import PolicyActor, run_session
from robot_hf.session.actors import HUMAN, POLICY, Decision

ANNOTATOR = "branch"
# How far the replayed state may drift from the recorded one before the branch point counts as not restored.
REPLAY_TOLERANCE = 1e-4


class BranchActor:
    """Replays `prefix` (the rollout's recorded actions up to the branch point), then lets the policy drive with its
    own sampling noise from `seed`. The policy starts afresh at the branch point: a policy that reads several
    observation frames sees the first one repeated there, as at an episode's start."""

    def __init__(self, policy, prefix: np.ndarray, expected_state: np.ndarray, seed: int):
        self.policy, self.prefix, self.expected, self.seed = PolicyActor(policy), prefix, expected_state, seed
        self.step, self.replay_error = 0, 0.0

    def start_episode(self, robot: Robot, observation: Observation) -> None:
        self.robot, self.step, self.replay_error = robot, 0, 0.0

    def act(self, observation: Observation) -> Decision:
        if self.step < len(self.prefix):
            decision = Decision(self.prefix[self.step], POLICY)
        else:
            if self.step == len(self.prefix):
                state = np.asarray(observation["state"], dtype=np.float64)
                self.replay_error = float(np.max(np.abs(state - self.expected))) if len(state) else 0.0
                torch.manual_seed(self.seed)
                self.policy.start_episode(self.robot, observation)
            decision = self.policy.act(observation)
        self.step += 1
        return decision

    def after_step(self, events: dict[str, Any], frame: int, observation: Observation) -> None:
        pass

    def status(self) -> str:
        return "replaying" if self.step < len(self.prefix) else "branch"

    def episode_info(self) -> dict[str, Any]:
        return {"branch_frame": len(self.prefix), "replay_error": self.replay_error}


def branch_episodes(reader: DatasetReader) -> np.ndarray:
    """(E,) whether each episode is a branch (not a rollout of its own)."""
    return np.array([ep.get("branch_of") is not None for ep in reader.meta.episodes], dtype=bool)


def record_branches(robot: Robot, policy, root: Path, rollouts: Sequence[int], config: BranchConfig, steps: int, seed: int,
                    episode_meta: dict[str, Any] | None = None, status=None, before_takeover: int = 0) -> int:
    """Record `config.k` continuations of `policy` from each of `config.states` states drawn from the recorded
    `rollouts` (episode indices of the dataset at `root`), each `steps` steps long (fewer where the task ends); with
    `before_takeover` > 0 only from the frames just before a person took over (rollouts with take-overs; `improve`'s
    preference rounds have none). Returns how many branch episodes were saved."""
    reader = DatasetReader(root)
    bounds = np.asarray(reader.episode_bounds)
    meta = reader.meta.episodes
    usable = [int(e) for e in rollouts if meta[e].get("seed") is not None and bounds[e, 1] - bounds[e, 0] > 1]
    if not usable or config.states <= 0:
        return 0
    actions = np.asarray(reader.column("action"), dtype=np.float32)
    states = np.asarray(reader.column("observation.state"), dtype=np.float64)
    points = branch_points(reader, usable, before_takeover)
    if not points:
        return 0
    episodes = list(points)
    rng = np.random.default_rng(seed)
    saved = 0
    with DatasetWriter.open(root) as writer:
        for i in range(config.states):
            episode = episodes[int(rng.integers(len(episodes)))]  # an episode, then one of its frames
            frames = points[episode]
            t = frames[int(rng.integers(len(frames)))]
            lo = bounds[episode, 0]
            for j in range(config.k):
                actor = BranchActor(policy, actions[lo:lo + t], states[lo + t], seed=seed * 100_003 + i * config.k + j)
                run_session(robot, actor, writer, 1, seed=int(meta[episode]["seed"]), max_steps=t + steps + 1,
                            episode_meta={**(episode_meta or {}), "branch_of": episode}, status=status, label="branch")
                saved += 1
    return saved


def branch_points(reader: DatasetReader, episodes: Sequence[int], before_takeover: int = 0) -> dict[int, list[int]]:
    """Per episode, the frames a branch may leave from: any frame but the last, or with `before_takeover` > 0 only the
    frames up to that many before each take-over (a policy frame followed by a person's), where the policy was going
    wrong; episodes without such frames are left out."""
    bounds = np.asarray(reader.episode_bounds)
    human = np.asarray(reader.column("source")) == HUMAN if before_takeover > 0 else None
    points = {}
    for e in episodes:
        lo, hi = (int(b) for b in bounds[e])
        if human is None:
            frames = list(range(hi - lo - 1))
        else:
            starts = [t for t in range(1, hi - lo) if human[lo + t] and not human[lo + t - 1]]
            frames = sorted({f for t in starts for f in range(max(0, t - before_takeover), t)})
        if frames:
            points[int(e)] = frames
    return points


def branch_groups(reader: DatasetReader, round_index: int | None = None) -> dict[tuple[int, int, int], list[int]]:
    """(rollout, branch frame, round) -> the branch episodes that left that state (of round `round_index`; all when
    None), each replayed to the recorded state and run on for at least a step past it; points with one such branch are
    left out."""
    bounds = np.asarray(reader.episode_bounds)
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for index, ep in enumerate(reader.meta.episodes):
        if ep.get("branch_of") is None or float(ep.get("replay_error") or 0.0) > REPLAY_TOLERANCE:
            continue
        if round_index is not None and int(ep.get("round") or 0) != round_index:
            continue
        t = int(ep["branch_frame"])
        if bounds[index, 1] - bounds[index, 0] > t + 1:
            groups[(int(ep["branch_of"]), t, int(ep.get("round") or 0))].append(index)
    return {key: members for key, members in sorted(groups.items()) if len(members) >= 2}


def branch_pairs(reader: DatasetReader, rewards: np.ndarray, min_gap: float, round_index: int | None = None,
                 annotator: str = ANNOTATOR) -> list[Preference]:
    """For every branch point (of round `round_index`'s branches; all when None): the continuation with the highest
    mean learned reward (`rewards`, per frame of the dataset) after the branch point over the one with the lowest, when
    they differ by more than `min_gap`. Branches whose replay missed the recorded state, or that ended at the branch
    point, take no part."""
    bounds = np.asarray(reader.episode_bounds)
    prefs = []
    for (_, t, _), members in branch_groups(reader, round_index).items():
        scores = np.array([rewards[bounds[m, 0] + t + 1:bounds[m, 1]].mean() for m in members])
        best, worst = int(np.argmax(scores)), int(np.argmin(scores))
        if scores[best] - scores[worst] <= min_gap:
            continue
        prefs.append(Preference(a_episode_index=members[best], a_from_frame=t, a_to_frame=t + 1,
                                b_episode_index=members[worst], b_from_frame=t, b_to_frame=t + 1, choice="a",
                                annotator=annotator))
    return prefs
