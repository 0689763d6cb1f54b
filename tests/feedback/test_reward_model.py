"""The Bradley-Terry loss, a tiny ensemble learning a known reward, query selection, and stored answers."""

import numpy as np
import pytest
import torch

from policies.reward import RewardConfig, RewardModel
from robot_hf.feedback.reward.frames import FramePool
from robot_hf.feedback.reward.queries import QueryConfig, preference_probabilities, select_queries
from robot_hf.feedback.reward.training import (
    LabelledPairs,
    RewardTrainConfig,
    bradley_terry_loss,
    fit_reward,
    pair_accuracy,
)


def test_bradley_terry_loss_and_gradient_match_a_hand_computed_case():
    ra = torch.tensor([2.0, 0.5], requires_grad=True)
    rb = torch.tensor([1.0, 0.5], requires_grad=True)
    target = torch.tensor([1.0, 0.5])
    loss = bradley_terry_loss(ra, rb, target)
    p = 1 / (1 + np.exp(-1.0))  # P(a) for the first pair; the second is a tie at 1/2
    expected = (-np.log(p) + np.log(2)) / 2
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-6)
    loss.backward()
    # d/dRa of -t log s(d) - (1-t) log(1-s(d)) is (s(d) - t), averaged over the 2 pairs
    assert ra.grad.tolist() == pytest.approx([(p - 1) / 2, 0.0], abs=1e-6)
    assert rb.grad.tolist() == pytest.approx([-(p - 1) / 2, 0.0], abs=1e-6)
    weighted = bradley_terry_loss(ra.detach(), rb.detach(), target, torch.tensor([1.0, 0.0]))
    assert float(weighted) == pytest.approx(-np.log(p), rel=1e-6)


class _Reader:
    fps = 10


def synthetic_pool(episodes=12, length=30, size=16, seed=0) -> FramePool:
    """Frames whose true reward is where a square stands, left (0) to right (1): it moves right in some episodes and
    left in others."""
    rng = np.random.default_rng(seed)
    n = episodes * length
    pixels = torch.zeros((n, 3, size, size), dtype=torch.uint8)
    progress = np.zeros(n, dtype=np.float32)
    for e in range(episodes):
        direction = 1 if e % 2 == 0 else -1
        for t in range(length):
            value = float(np.clip(0.5 + direction * (t / length - 0.5) + rng.normal(0, 0.05), 0, 1))
            i = e * length + t
            progress[i] = value
            left = int(round(value * (size - 4)))
            pixels[i, :, 6:10, left:left + 4] = 255
    bounds = np.asarray([[e * length, (e + 1) * length] for e in range(episodes)])
    return FramePool(reader=_Reader(), cameras=["cam"], pixels=pixels, state=torch.zeros((n, 2)),
                     episode_of=np.repeat(np.arange(episodes), length), bounds=bounds, seeds=[e // 2 for e in range(episodes)],
                     success=np.asarray([e % 2 == 0 for e in range(episodes)]), progress=progress)


def oracle_pairs(pool, pairs, k):
    from robot_hf.feedback.reward.labeling import teacher_answers
    from sim.teachers import ScriptedTeacher, TeacherConfig

    return LabelledPairs.from_preferences(pool, teacher_answers(pool, ScriptedTeacher(TeacherConfig()), k)(pairs))


def tiny_model(pool, members=2):
    return RewardModel(RewardConfig(image_size=16, widths=[8, 16], hidden=32, members=members, features=pool.features(False)))


def test_a_tiny_ensemble_learns_a_known_reward_from_synthetic_pairs():
    torch.manual_seed(0)
    pool = synthetic_pool()
    query = QueryConfig(segment=8, same_reset=False)
    train = oracle_pairs(pool, select_queries(pool, query, 120, np.random.default_rng(0), episodes=np.arange(8)), 8)
    test = oracle_pairs(pool, select_queries(pool, query, 200, np.random.default_rng(1), episodes=np.arange(8, 12)), 8)
    model = tiny_model(pool)
    before = pair_accuracy(model, pool, test)
    result = fit_reward(model, pool, train, RewardTrainConfig(epochs=30, min_steps=100, shift=0, lr=1e-3, frame_stride=1))
    after = pair_accuracy(model, pool, test)
    assert after >= 0.9 and after > before + 0.2, (before, after)
    assert result["held_out_pairs"] > 0 and result["seconds"] > 0
    rewards = model.rewards(pool.pixels).mean(axis=0)
    assert np.corrcoef(rewards, pool.progress)[0, 1] > 0.8


def test_disagreement_queries_pick_the_pairs_the_members_disagree_on():
    torch.manual_seed(0)
    pool = synthetic_pool()
    model = tiny_model(pool, members=3)
    query = QueryConfig(segment=8, method="disagreement", candidates_per_query=10)
    chosen = select_queries(pool, query, 10, np.random.default_rng(5), model)
    # the same candidates, drawn by the same generator, scored by hand
    from robot_hf.feedback.reward.queries import candidate_pairs

    drawn = candidate_pairs(pool, query, 100, np.random.default_rng(5))
    unique = []
    for a, b in map(tuple, drawn):
        if (a, b) not in unique and (b, a) not in unique:
            unique.append((a, b))
    cands = np.asarray(unique)
    spread = preference_probabilities(model, pool, cands, 8).std(axis=0)
    assert {tuple(c) for c in chosen} == {tuple(c) for c in cands[np.argsort(-spread)[:10]]}
    assert spread[np.argsort(-spread)[:10]].min() >= np.median(spread)
    with pytest.raises(ValueError, match="needs a reward model"):
        select_queries(pool, query, 5, np.random.default_rng(0), None)


def test_same_reset_pairs_come_from_episodes_of_one_seed():
    pool = synthetic_pool()
    pairs = select_queries(pool, QueryConfig(segment=8), 50, np.random.default_rng(0))
    seeds = np.asarray(pool.seeds)
    assert all(seeds[pool.episode_of[a]] == seeds[pool.episode_of[b]] and pool.episode_of[a] != pool.episode_of[b]
               for a, b in pairs)


def test_a_reward_model_saves_and_loads_with_safetensors(tmp_path):
    pool = synthetic_pool(episodes=2)
    model = tiny_model(pool)
    out = model.save_pretrained(tmp_path / "r")
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    again = RewardModel.from_pretrained(out)
    assert np.allclose(again.rewards(pool.pixels), model.rewards(pool.pixels))
    with pytest.raises(FileNotFoundError, match="holds no reward model"):
        RewardModel.from_pretrained(tmp_path)


def test_entropy_queries_pick_the_pairs_closest_to_a_coin_flip():
    torch.manual_seed(0)
    pool = synthetic_pool()
    model = tiny_model(pool, members=3)
    query = QueryConfig(segment=8, method="entropy", candidates_per_query=10)
    chosen = select_queries(pool, query, 10, np.random.default_rng(5), model)
    everything = select_queries(pool, QueryConfig(segment=8, candidates_per_query=10), 100, np.random.default_rng(5))
    closeness = np.abs(preference_probabilities(model, pool, everything, 8).mean(axis=0) - 0.5)
    mine = np.abs(preference_probabilities(model, pool, chosen, 8).mean(axis=0) - 0.5)
    assert mine.max() <= np.sort(closeness)[9] + 1e-9
