"""Evaluation seeds the policy's own sampling: repeatable results, and the caller's RNG left alone."""

import numpy as np
import torch

from robot_hf.evaluation.rollout import evaluate
from sim.robot import make_env

TASK = {"name": "pusht", "object_state": True, "cameras": []}


class RandomPolicy:
    """Samples actions from torch's global RNG, as a diffusion policy samples its noise; keeps what it sent."""

    def __init__(self):
        space = make_env(TASK).action_space
        self.low, self.high = torch.as_tensor(space.low), torch.as_tensor(space.high)
        self.sent = []

    def reset(self):
        pass

    def select_action(self, obs):
        action = (self.low + (self.high - self.low) * torch.rand(len(obs["state"]), len(self.low))).numpy()
        self.sent.append(action)
        return action


def run(seed):
    policy = RandomPolicy()
    result = evaluate(policy, TASK, episodes=4, num_envs=2, seed=seed, max_steps=25)
    return np.stack(policy.sent), [e["max_reward"] for e in result.per_episode]


def test_same_policy_same_seeds_same_result_and_caller_rng_untouched():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    actions, rewards = run(seed=7)
    assert torch.equal(torch.get_rng_state(), before)  # a training run's stream goes on as if no evaluation ran
    again_actions, again_rewards = run(seed=7)
    np.testing.assert_array_equal(actions, again_actions)
    assert rewards == again_rewards
    other_actions, _ = run(seed=8)
    assert not np.allclose(actions, other_actions)


class HoldPolicy:
    """Sends the action space's midpoint every step."""

    def __init__(self, task):
        space = make_env(task).action_space
        self.action = (space.low + space.high) / 2

    def reset(self):
        pass

    def select_action(self, obs):
        return np.stack([self.action] * len(obs["state"]))


def test_max_progress_is_the_episode_maximum_of_the_task_progress():
    task = {"name": "lift", "object_state": True, "cameras": []}
    policy = HoldPolicy(task)
    result = evaluate(policy, task, episodes=2, num_envs=1, seed=3, max_steps=12)
    for episode in result.per_episode:
        env = make_env(task)
        _, info = env.reset(seed=episode["seed"])
        progress = []
        for _ in range(episode["length"]):
            _, _, _, _, info = env.step(policy.action)
            progress.append(info["progress"])
        assert 0 < episode["max_progress"] == max(progress) <= 1
    assert result.mean_max_progress == np.mean([e["max_progress"] for e in result.per_episode])
