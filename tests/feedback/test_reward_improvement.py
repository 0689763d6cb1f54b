"""`improve feedback=preferences`: one tiny round per method (RAFT, DPO, CPL) from a weak state-only policy, with a
scripted teacher labelling clips of the front camera and a reward learned from the answers."""

import json

import numpy as np
import pytest

from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader
from robot_hf.feedback.reward.raft import episode_scores, raft_weights, top_episodes

TASK = ["task=lift", "task.object_state=true", "task.cameras=[front]", "task.image_height=32", "task.image_width=32"]
TINY_REWARD = ["reward.image_size=16", "reward.widths=[8]", "reward.hidden=16", "reward.members=2",
               "reward_train.min_steps=5", "reward_train.epochs=1", "query.segment=6"]


@pytest.fixture(scope="module")
def weak_policy(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefimprove")
    demos, base = root / "demos", root / "base"
    assert main(["record", *TASK, "dataset.num_episodes=3", f"dataset.root={demos}"]) == 0
    assert main(["train", *TASK, "policy=mlp", "policy.cameras=[]", f"dataset.root={demos}", "train=tiny",
                 "train.steps=30", "train.save_every=30", f"run.dir={base}"]) == 0
    return demos, base / "checkpoints" / "step_0000030"


@pytest.mark.parametrize("method", ["raft", "dpo", "cpl", "best_of_n"])
def test_one_tiny_round_per_method(weak_policy, tmp_path, method):
    demos, checkpoint = weak_policy
    run = tmp_path / method
    assert main(["improve", *TASK, "feedback=preferences", f"feedback.method={method}", "feedback.labels_per_round=8",
                 *TINY_REWARD, f"policy.path={checkpoint}", f"dataset.root={demos}", "rounds=1", "episodes_per_round=2",
                 "eval_episodes=2", "finetune_steps=6", "train.batch_size=8", "eval.videos=0", "eval.max_steps=30",
                 "objective.pairs_per_step=2", "objective.frames_per_segment=2", "baseline=false", f"run.dir={run}"]) == 0
    result = json.loads((run / "improve.json").read_text())
    round_1 = result["rounds"][1]
    assert round_1["labels"] == 8 and round_1["labeling_seconds"] == pytest.approx(8 * (6 / 10 + 2.0))
    assert round_1["person_seconds"] >= round_1["labeling_seconds"] and round_1["learned_score"] is not None
    data = DatasetReader(run / "data" / "preferences")
    answers = [p for p in data.preferences if p.annotator == "teacher:oracle"]
    assert len(answers) == 8 and (run / "rewards" / "round_1" / "model.safetensors").exists()
    assert ("pairs" in round_1["classes"]) == (method in ("dpo", "cpl"))
    if method == "best_of_n":  # no fine-tuning: the same checkpoint, run as the best of 8 chunks by the value head
        assert round_1["checkpoint"] == result["rounds"][0]["checkpoint"] and round_1["rerank"]["n"] == 8
        assert (run / "rewards" / "round_1" / "value" / "model.safetensors").exists()
    else:  # a quiet fine-tune still logs: DPO and CPL their preference metrics beside the loss
        assert round_1["checkpoint"] != result["rounds"][0]["checkpoint"]
        columns = (run / "rounds" / "preferences_1" / "train_log.csv").read_text().splitlines()[0].split(",")
        assert ("preferred" in columns) == (method in ("dpo", "cpl"))
    report = (run / "report.md").read_text()
    assert "learned reward of its rollouts" in report and "true success" in report


def test_a_dpo_round_in_sim_adds_pairs_of_the_policys_own_continuations(weak_policy, tmp_path):
    demos, _ = weak_policy
    base, run = tmp_path / "diffusion", tmp_path / "branches"  # a sampling policy: its continuations differ
    assert main(["train", *TASK, "policy=diffusion_unet", "policy.cameras=[]", "policy.down_dims=[16,32]",
                 f"dataset.root={demos}", "train=tiny", "train.steps=4", "train.save_every=4", f"run.dir={base}"]) == 0
    checkpoint = base / "checkpoints" / "step_0000004"
    assert main(["improve", *TASK, "feedback=preferences", "feedback.method=dpo", "feedback.labels_per_round=4",
                 "feedback.branches.states=3", "feedback.branches.k=2", "feedback.branches.steps=4", *TINY_REWARD,
                 f"policy.path={checkpoint}", f"dataset.root={demos}", "rounds=2", "episodes_per_round=2", "eval_episodes=2",
                 "finetune_steps=4", "train.batch_size=8", "eval.videos=0", "eval.max_steps=30", "objective.pairs_per_step=2",
                 "objective.frames_per_segment=1", "baseline=false", f"run.dir={run}"]) == 0
    _, round_1, round_2 = json.loads((run / "improve.json").read_text())["rounds"]
    data = DatasetReader(run / "data" / "preferences")
    branches = [ep for ep in data.meta.episodes if ep.get("branch_of") is not None]
    assert len(branches) == 12 and all(ep["replay_error"] == 0.0 for ep in branches)
    # Each round branches from its own two rollouts (episodes 0-2 are the demos, 5-10 round 1's branches).
    assert {ep["branch_of"] for ep in branches if ep["round"] == 1} <= {3, 4}
    assert {ep["branch_of"] for ep in branches if ep["round"] == 2} <= {11, 12}
    # The teacher is never asked about a branch (its frames repeat its rollout's up to the branch point).
    asked = [p for p in data.preferences if not p.annotator.startswith("branch")]
    assert len(asked) == 8 and not any(data.meta.episodes[e].get("branch_of") is not None
                                       for p in asked for e in (p.a_episode_index, p.b_episode_index))
    pairs = [p for p in data.preferences if p.annotator == "branch:round_1"]
    assert round_1["classes"]["branch pairs"] == len(pairs) == 3  # one a branch point: its two continuations differ
    assert all(data.meta.episodes[p.a_episode_index].get("branch_of") is not None for p in pairs)
    # Round 2 trains on every decided pair so far, round 1's branch pairs included, and says so.
    assert round_2["classes"]["pairs"] == sum(p.choice in ("a", "b") for p in data.preferences)
    columns = (run / "rounds" / "preferences_1" / "train_log.csv").read_text().splitlines()[0].split(",")
    assert "preferred" in columns


def test_raft_keeps_the_best_scored_rollouts_and_the_demos():
    bounds = np.array([[0, 4], [4, 8], [8, 12], [12, 16]])
    rewards = np.concatenate([np.zeros(4), np.full(4, 0.9), np.full(4, 0.1), np.r_[0, 0, 0.8, 0.8]])
    scores = episode_scores(rewards, bounds, tail=2)
    assert scores.tolist() == pytest.approx([0.0, 0.9, 0.1, 0.8])
    rollouts = np.array([1, 2, 3])
    assert top_episodes(scores, rollouts, 0.34).tolist() == [1]
    assert top_episodes(scores, rollouts, 0.67).tolist() == [1, 3]
    episode_of = np.repeat(np.arange(4), 4)
    weights = raft_weights(episode_of, episode_of == 0, np.array([1, 3]))
    assert weights.tolist() == [1] * 4 + [1] * 4 + [0] * 4 + [1] * 4
    with pytest.raises(ValueError, match="top_fraction"):
        top_episodes(scores, rollouts, 0.0)


def test_reward_hacking_is_flagged_when_the_learned_reward_rises_as_success_falls():
    from robot_hf.feedback.improve import RoundResult
    from robot_hf.feedback.report import reward_hacking

    def row(r, score, previous, success):
        return RoundResult(r, 0.0, (0.0, 1.0), 0, 0, rollout_success=success, learned_score=score, learned_score_previous=previous)

    honest = [row(0, None, None, None), row(1, 0.1, None, 0.3), row(2, 0.3, 0.1, 0.5)]
    hacked = [row(0, None, None, None), row(1, 0.1, None, 0.5), row(2, 0.4, 0.1, 0.2), row(3, 0.2, 0.4, 0.1)]
    assert reward_hacking(honest) == [] and reward_hacking(hacked) == [2]


def test_improve_uses_the_methods_objective_preset_under_the_users_keys():
    from robot_hf.config.compose import compose

    cfg = compose("improve", ["feedback=preferences", "feedback.method=dpo", "objective.beta=50"]).objective
    assert cfg.name == "dpo" and cfg.lr_scale == 0.1 and cfg.beta == 50 and cfg.dpo_loss == "ipo"
    assert compose("improve", ["feedback=preferences", "feedback.method=cpl"]).objective.lr_scale == 1.0
    sigmoid = compose("improve", ["feedback=preferences", "feedback.method=dpo", "objective.dpo_loss=sigmoid"])
    assert sigmoid.objective.dpo_loss == "sigmoid"
    # A key set to the value a bc objective would have is still the user's (the preset's 0.1 does not win).
    assert compose("improve", ["feedback.method=dpo", "objective.lr_scale=1.0", "feedback=preferences"]).objective.lr_scale == 1.0
    assert compose("improve", ["feedback=preferences"]).objective.name == "bc"  # raft: weighted behaviour cloning
    assert compose("improve", ["feedback=preferences", "feedback.method=dpo", "objective=dpo"]).objective.lr_scale == 0.1
