"""The whole feedback loop on an emulated SO-101 (real bus bytes), driven through the CLI with a scripted person."""

import json

from robot_hf.dataset import DatasetReader
from tests.benchmark_scripts import load


def test_demos_rollouts_feedback_training_and_marked_evaluation_on_an_emulated_arm(tmp_path):
    rows = load("arm_session").run_session(tmp_path, episodes=2, train_steps=10, episode_time_s=1.0)
    assert [r["validate"] for r in rows if r["dataset"] != "-"] == ["valid"] * 5
    demos, rollouts = DatasetReader(tmp_path / "demos"), DatasetReader(tmp_path / "rollouts")
    assert demos.num_episodes == rollouts.num_episodes == 2
    assert "task_config" not in demos.meta.robot_hf  # a real arm's recording names no sim task
    assert rollouts.column("intervention").any() and (rollouts.column("source") == "policy").any()
    assert all(ep["takeover_frames"] for ep in rollouts.meta.episodes)  # moving the leader took over
    learned = json.loads((tmp_path / "hg" / "feedback.json").read_text())
    assert learned["frames"]["demo"] == demos.num_frames and learned["class_weights"]["intervention"] == 1.0
    evaluation = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert evaluation["episodes"] == 2 and evaluation["judged_by"] == "the person"
    marked = DatasetReader(tmp_path / "eval" / "episodes").meta.episodes
    assert [e["success"] for e in evaluation["per_episode"]] == [bool(e["success"]) for e in marked]
    assert evaluation["success_rate"] == sum(e["success"] for e in marked) / 2 and all(e["length"] <= 30 for e in marked)
    improved = json.loads((tmp_path / "improve" / "improve.json").read_text())
    assert [r["round"] for r in improved["rounds"]] == [0, 1] and improved["rounds"][1]["takeovers"] >= 1
    assert improved["baseline"] == []
