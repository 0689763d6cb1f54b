"""`robot-hf reward label|train|eval` on a small sim recording, end to end, and answers stored in the dataset."""

import json

import pytest

from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader, DatasetWriter, Preference
from robot_hf.dataset.validate import validate

TINY = ["reward.image_size=32", "reward.widths=[8,16]", "reward.hidden=32", "reward.members=2", "query.segment=8",
        "train.epochs=2", "train.min_steps=5"]


@pytest.fixture(scope="module")
def lift_images(tmp_path_factory):
    root = tmp_path_factory.mktemp("reward") / "demos"
    assert main(["record", "task=lift", "task.image_height=48", "task.image_width=48", "dataset.num_episodes=4",
                 f"dataset.root={root}", "teleop.miss_prob=0.5"]) == 0
    return root


def test_label_train_eval_with_a_scripted_teacher(lift_images, tmp_path, capsys):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(lift_images, root)
    assert main(["reward", "label", f"dataset.root={root}", "teacher=mistaken", "labels=24", "batch=12",
                 "query.method=disagreement", f"run.dir={tmp_path / 'label'}", *TINY]) == 0
    out = capsys.readouterr().out
    assert "12 labels: held-out pair accuracy" in out and "24 labels" in out
    prefs = DatasetReader(root).preferences
    assert len(prefs) == 24 and {p.annotator for p in prefs} == {"teacher:mistaken"}
    assert all(p.a_to_frame - p.a_from_frame == 8 for p in prefs) and validate(root) == []

    # a rerun resumes: the 24 answers count, and only the missing ones are asked
    assert main(["reward", "label", f"dataset.root={root}", "teacher=mistaken", "labels=30", "batch=12",
                 f"run.dir={tmp_path / 'label2'}", *TINY]) == 0
    again = DatasetReader(root).preferences
    assert len(again) == 30
    assert len({(p.a_episode_index, p.a_from_frame, p.b_episode_index, p.b_from_frame) for p in again}) == 30

    assert main(["reward", "train", f"dataset.root={root}", f"run.dir={tmp_path / 'train'}", *TINY]) == 0
    model = tmp_path / "train" / "reward_model"
    assert (model / "model.safetensors").exists() and json.loads((model / "training.json").read_text())["pairs"] == 30

    assert main(["reward", "eval", f"dataset.root={root}", f"reward.path={model}", f"run.dir={tmp_path / 'eval'}",
                 "query.segment=8", "plot_episodes=2"]) == 0
    out = capsys.readouterr().out
    for line in ("held-out pair accuracy", "rank corr. with true progress (frames)", "return vs episode length",
                 "disagreement far / near labels"):
        assert line in out
    metrics = json.loads((tmp_path / "eval" / "reward_eval.json").read_text())
    assert -1 <= metrics["spearman_frames"] <= 1 and metrics["episodes"] == 4
    assert (tmp_path / "eval" / "reward_vs_progress.png").stat().st_size > 5000


def test_reward_commands_refuse_bad_input_with_one_line(lift_images, tmp_path, capsys):
    assert main(["reward", "train", f"dataset.root={lift_images}", f"run.dir={tmp_path / 'x'}"]) == 1
    assert "holds no preferences yet" in capsys.readouterr().err
    assert main(["reward", "eval", f"dataset.root={lift_images}"]) == 1
    assert "reward.path is not set" in capsys.readouterr().err
    assert main(["reward", "label", f"dataset.root={lift_images}", "query.method=best"]) == 1
    assert "query.method='best' is not one of" in capsys.readouterr().err
    assert main(["reward", "label", f"dataset.root={lift_images}", "teacher=nobody"]) == 2
    assert not (tmp_path / "x").exists() and DatasetReader(lift_images).preferences == []


def test_the_oracle_refuses_a_dataset_that_replays_differently(lift_images, tmp_path):
    import shutil

    import pyarrow.parquet as pq

    root = tmp_path / "edited"
    shutil.copytree(lift_images, root)
    data = next((root / "data").rglob("*.parquet"))
    table = pq.read_table(data)
    actions = table.column("action").to_pylist()
    actions[5] = [a + 0.3 for a in actions[5]]
    pq.write_table(table.set_column(table.column_names.index("action"), "action", [actions]), data)
    from robot_hf.feedback.reward.progress import true_progress

    with pytest.raises(ValueError, match="departs from the recording"):
        true_progress(DatasetReader(root))


def test_an_answer_is_stored_read_back_and_undone_through_meta_preferences(lift_images, tmp_path):
    import shutil

    root = tmp_path / "d"
    shutil.copytree(lift_images, root)
    first = Preference(0, 0, 8, 1, 2, 10, "a", annotator="person")
    second = Preference(1, 0, 8, 2, 0, 8, "equal", annotator="person")
    with DatasetWriter.open(root) as writer:
        writer.add_preferences([first])
        writer.add_preferences([second])
        writer.wait()
        assert [p.choice for p in DatasetReader(root).preferences] == ["a", "equal"]
        assert not writer.remove_last_feedback([first])  # not the newest: kept
        assert writer.remove_last_feedback([second])
    stored = DatasetReader(root).preferences
    assert len(stored) == 1 and stored[0].a_to_frame == 8 and stored[0].annotator == "person"
    assert validate(root) == []


def test_best_of_n_through_the_cli(lift_images, tmp_path, capsys):
    """reward label -> reward value -> eval with policy.rerank: the value head is saved beside the reward, and a reward
    without one is refused with the command that makes it."""
    import shutil

    root = tmp_path / "data"
    shutil.copytree(lift_images, root)
    assert main(["reward", "label", f"dataset.root={root}", "labels=12", "batch=12", f"run.dir={tmp_path / 'label'}", *TINY]) == 0
    reward = tmp_path / "label" / "reward_model"
    policy = tmp_path / "policy"
    assert main(["train", "task=lift", "task.image_height=48", "task.image_width=48", "policy=diffusion_unet",
                 "policy.cameras=[]", "policy.down_dims=[16,32]", "policy.n_action_steps=4", f"dataset.root={root}",
                 "train=tiny", "train.steps=4", "train.save_every=4", f"run.dir={policy}"]) == 0
    checkpoint = policy / "checkpoints" / "step_0000004"
    evaluate = ["eval", "task=lift", "task.image_height=48", "task.image_width=48", f"policy.path={checkpoint}",
                "policy.rerank.n=4", "eval.episodes=1", "eval.max_steps=8", "eval.videos=0"]
    assert main([*evaluate, f"policy.rerank.reward={reward}", f"run.dir={tmp_path / 'e0'}"]) == 1
    assert "robot-hf reward value" in capsys.readouterr().err
    assert main(["reward", "value", f"dataset.root={root}", f"reward.path={reward}", "value_steps=4"]) == 0
    assert "held-out R^2" in capsys.readouterr().out and (reward / "value" / "model.safetensors").exists()
    assert main([*evaluate, f"policy.rerank.reward={reward}", f"run.dir={tmp_path / 'e1'}"]) == 0
    assert main([*evaluate, f"run.dir={tmp_path / 'e2'}"]) == 1
    assert "needs policy.rerank.reward" in capsys.readouterr().err
