"""On-policy pairs in sim: continuations of a policy from a rollout's restored state, ranked by a reward."""

import numpy as np
import pytest
import torch

from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.feedback.config import BranchConfig
from robot_hf.feedback.reward.branches import branch_episodes, branch_pairs, record_branches
from robot_hf.session import PolicyActor, run_session
from robot_hf.session.actors import HUMAN, POLICY, Decision
from sim.robot import SimRobot

TASK = {"name": "lift", "object_state": True, "cameras": []}


class NoisyHold:
    """A stochastic policy: hold the arm where it is, plus torch noise (what makes continuations differ)."""

    def __init__(self, robot):
        self.robot = robot

    def reset(self):
        pass

    def select_action(self, observation):
        return self.robot.hold_action(observation) + 0.05 * torch.randn(len(self.robot.action_names)).numpy()


@pytest.fixture()
def rollouts(tmp_path):
    robot = SimRobot(TASK)
    root = tmp_path / "data"
    writer = DatasetWriter.create(root, robot.fps, build_features(robot.camera_shapes, robot.state_names, robot.action_names),
                                  robot_type=robot.name)
    policy = NoisyHold(robot)
    with writer:
        run_session(robot, PolicyActor(policy), writer, 2, seed=7, max_steps=12, episode_meta={"round": 1})
    yield robot, policy, root
    robot.disconnect()


def test_branches_leave_from_the_rollouts_own_state_and_differ_after_it(rollouts):
    robot, policy, root = rollouts
    saved = record_branches(robot, policy, root, [0, 1], BranchConfig(states=2, k=3), steps=4, seed=0,
                            episode_meta={"round": 1})
    reader = DatasetReader(root)
    assert saved == 6 and branch_episodes(reader).tolist() == [False, False] + [True] * 6
    state, action = np.asarray(reader.column("observation.state")), np.asarray(reader.column("action"))
    bounds = np.asarray(reader.episode_bounds)
    for group in ([2, 3, 4], [5, 6, 7]):
        metas = [reader.meta.episodes[e] for e in group]
        t, source = metas[0]["branch_frame"], metas[0]["branch_of"]
        assert {m["branch_frame"] for m in metas} == {t} and {m["branch_of"] for m in metas} == {source}
        assert all(m["replay_error"] == 0.0 and m["round"] == 1 for m in metas)
        lo = bounds[source, 0]
        for e in group:  # the replayed prefix and the branch point are the rollout's own frames
            f = bounds[e, 0]
            np.testing.assert_array_equal(state[f:f + t + 1], state[lo:lo + t + 1])
            np.testing.assert_array_equal(action[f:f + t], action[lo:lo + t])
            assert bounds[e, 1] - f <= t + 4 + 1
        taken = {tuple(action[bounds[e, 0] + t].round(6)) for e in group}  # each continuation samples its own actions
        assert len(taken) == 3


def test_the_best_continuation_is_preferred_to_the_worst_and_close_ones_make_no_pair(rollouts):
    robot, policy, root = rollouts
    record_branches(robot, policy, root, [0], BranchConfig(states=1, k=3), steps=4, seed=1, episode_meta={"round": 1})
    reader = DatasetReader(root)
    bounds = np.asarray(reader.episode_bounds)
    t = reader.meta.episodes[2]["branch_frame"]
    rewards = np.zeros(reader.num_frames)
    rewards[bounds[2, 0] + t + 1:bounds[2, 1]] = 0.5  # after the branch point: branch 3 best, branch 2 worst
    rewards[bounds[3, 0] + t + 1:bounds[3, 1]] = 0.9
    rewards[bounds[4, 0] + t + 1:bounds[4, 1]] = 0.6
    rewards[bounds[2, 0]:bounds[2, 0] + t + 1] = 5.0  # what came before the branch point does not count
    (pair,) = branch_pairs(reader, rewards, min_gap=0.0, round_index=1)
    assert (pair.a_episode_index, pair.b_episode_index, pair.choice) == (3, 2, "a")
    assert (pair.a_from_frame, pair.a_to_frame, pair.b_from_frame) == (t, t + 1, t) and pair.annotator.startswith("branch")
    assert branch_pairs(reader, rewards, min_gap=0.5, round_index=1) == []
    assert branch_pairs(reader, rewards, min_gap=0.0, round_index=2) == []


def test_a_branch_whose_replay_missed_the_recorded_state_makes_no_pair(rollouts, monkeypatch):
    robot, policy, root = rollouts
    from robot_hf.feedback.reward import branches

    class Drifted(DatasetReader):  # as if the sim had not reproduced the rollout (another version of the scene)
        def column(self, key):
            value = super().column(key)
            return np.asarray(value) + 1.0 if key == "observation.state" else value

    monkeypatch.setattr(branches, "DatasetReader", Drifted)
    record_branches(robot, policy, root, [0], BranchConfig(states=2, k=2), steps=3, seed=2, episode_meta={"round": 1})
    monkeypatch.undo()
    reader = DatasetReader(root)
    assert all(ep["replay_error"] == pytest.approx(1.0) for ep in reader.meta.episodes[2:])
    assert branch_pairs(reader, np.random.default_rng(0).random(reader.num_frames), 0.0) == []


class TakesOverAt:
    """The policy drives, except frames `human` (a person's take-over, holding the arm still)."""

    def __init__(self, policy, robot, human: range):
        self.policy, self.robot, self.human, self.frame = policy, robot, human, 0

    def start_episode(self, robot, observation):
        self.frame = 0

    def act(self, observation):
        if self.frame in self.human:
            return Decision(self.robot.hold_action(observation), HUMAN, intervention=True)
        return Decision(self.policy.select_action(observation), POLICY)

    def after_step(self, events, frame, observation):
        self.frame += 1

    def status(self):
        return ""

    def episode_info(self):
        return {}


def test_branches_before_takeovers_leave_only_from_the_frames_before_a_person_took_over(rollouts):
    robot, policy, root = rollouts  # episodes 0 and 1: the policy alone
    with DatasetWriter.open(root) as writer:
        run_session(robot, TakesOverAt(policy, robot, range(7, 10)), writer, 1, seed=8, max_steps=12, episode_meta={"round": 1})
    reader = DatasetReader(root)
    assert np.asarray(reader.column("source"))[np.asarray(reader.episode_bounds)[2, 0] + 7] == HUMAN
    record_branches(robot, policy, root, [0, 1, 2], BranchConfig(states=5, k=2), steps=2, seed=3,
                    episode_meta={"round": 1}, before_takeover=3)
    branches = DatasetReader(root).meta.episodes[3:]
    assert len(branches) == 10 and {b["branch_of"] for b in branches} == {2}
    assert {b["branch_frame"] for b in branches} <= {4, 5, 6}
    # Without take-overs to branch before, none are recorded (not a fall back to anywhere).
    assert record_branches(robot, policy, root, [0, 1], BranchConfig(states=2, k=2), steps=2, seed=4, before_takeover=3) == 0
