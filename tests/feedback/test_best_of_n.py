"""Best-of-N at run time: N sampled chunks scored by a value head fitted on the learned reward's reward-to-go."""

import numpy as np
import pytest
import torch
from torch import nn

from policies import config_class, policy_class
from policies.rerank import best_of_n, repeat_batch
from policies.reward.value import ValueConfig
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.feedback.reward.value import action_chunks, fit_value, reward_to_go


class FirstActionValue(nn.Module):
    """Scores a chunk by its first action's first coordinate."""

    def forward(self, state, chunk):
        return chunk[:, 0, 0]


def tiny_diffusion():
    config = config_class("diffusion")(down_dims=[16, 32], horizon=4, n_action_steps=2, n_obs_steps=1, num_train_timesteps=20,
                                       num_inference_steps=5, step_embed_dim=16)
    config.cameras = []
    config.features = {"cameras": [], "state_dim": 3, "action_dim": 2}
    torch.manual_seed(0)
    return policy_class("diffusion")(config).eval()


def test_best_of_n_returns_the_best_scored_chunk_under_a_fixed_seed():
    policy = tiny_diffusion()
    batch = {"observation.state": torch.randn(3, 1, 3), "task": ["a", "b", "c"]}
    torch.manual_seed(7)
    candidates = policy.predict_chunk(repeat_batch(batch, 8)).view(3, 8, 2, 2)
    torch.manual_seed(7)
    best = best_of_n(policy, batch, FirstActionValue(), 8)
    expected = candidates[torch.arange(3), candidates[:, :, 0, 0].argmax(1)]
    assert torch.equal(best, expected)
    assert (best[:, 0, 0] >= candidates[:, :, 0, 0].median(1).values).all()
    # Acting: the queue runs the chosen chunk; rerank(n=1) turns it off again.
    policy.rerank(FirstActionValue(), 8).reset()
    torch.manual_seed(7)
    first = policy.select_action({"state": batch["observation.state"][:, 0].numpy(), "images": {}, "task": "a"})
    assert np.allclose(first, expected[:, 0].numpy())
    assert policy.rerank(FirstActionValue(), 1)._reranker is None


def test_reward_to_go_and_chunks_stay_inside_episodes():
    bounds = np.array([[0, 3], [3, 5]])
    rtg = reward_to_go(np.array([1.0, 2.0, 3.0, 10.0, 20.0]), bounds, gamma=0.5)
    assert rtg.tolist() == pytest.approx([2 + 0.5 * 3, 3, 0, 20, 0])
    chunks = action_chunks(np.arange(5, dtype=np.float32)[:, None], bounds, 3)
    assert chunks[:, :, 0].tolist() == [[0, 1, 2], [1, 2, 2], [2, 2, 2], [3, 4, 4], [4, 4, 4]]


def test_the_value_head_learns_which_chunk_leads_to_reward(tmp_path):
    """A reward for pushing up: the value of a chunk that pushes up beats one that pushes down, from the same state."""
    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    with DatasetWriter.create(root, 10, build_features({}, ["x"], ["push"])) as writer:
        for _ in range(30):
            x = 0.0
            for _ in range(20):
                push = float(rng.uniform(-1, 1))
                writer.add_frame({"observation.state": np.array([x], np.float32), "action": np.array([push], np.float32),
                                  "task": "push up", "source": "policy"})
                x += 0.1 * push
            writer.save_episode()
    reader = DatasetReader(root)
    reward = np.asarray(reader.column("action"), dtype=np.float64).reshape(-1)
    value, result = fit_value(reader, reward, steps=4, config=ValueConfig(gamma=0.5), train_steps=1500)
    assert result["held_out_r2"] > 0.5, result
    assert result["frames"] == 30 * 20
    assert fit_value(reader, reward, steps=4, train_steps=5, episodes=range(10))[1]["frames"] == 10 * 20
    s = torch.zeros(2, 1)
    up, down = torch.ones(1, 4, 1), -torch.ones(1, 4, 1)
    scores = value(s, torch.cat([up, down]))
    assert scores[0] > scores[1]
