"""Training on any LeRobot v3 dataset: LeRobot's camera keys, no sim task needed, feedback learners, several roots."""

import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest

from robot_hf.cli.main import main
from robot_hf.cli.run_eval import load_checkpoint
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.migrate import REPLACED

TINY_ACT = ["policy=act", "train=tiny", "train.steps=10", "train.save_every=5", "policy.d_model=32", "policy.n_heads=2",
            "policy.dim_feedforward=64", "policy.n_encoder_layers=1", "policy.n_decoder_layers=1", "policy.n_vae_encoder_layers=1", "policy.vision.widths=[8,16]",
            "policy.vision.crop=null", "policy.horizon=8", "policy.n_action_steps=4"]


def last_checkpoint(run):
    return json.loads((run / "summary.json").read_text())["last_checkpoint"]


def test_train_on_the_lerobot_fixture_without_a_task(lerobot_pusht, tmp_path, capsys):
    """`observation.image` (LeRobot's PushT key), AV1 video, no task named and none recorded: training holds out an
    episode, keeps the best checkpoint by its loss, and the policy runs on a robot whose camera has another name."""
    run = tmp_path / "run"
    assert main(["train", *TINY_ACT, f"dataset.root={lerobot_pusht}", f"run.dir={run}",
                 "dataset.camera_keys={top: observation.image}"]) == 0
    out = capsys.readouterr().out
    assert "rollout evaluation is skipped" in out and "held-out episode(s) [2]" in out
    summary = json.loads((run / "summary.json").read_text())
    assert [e["split"] for e in summary["evals"]] == ["validation", "validation"]
    policy = load_checkpoint(run / "checkpoints" / "best")
    assert policy.config.features["cameras"] == {"top": [3, 96, 96]}
    action = policy.select_action({"images": {"top": np.zeros((96, 96, 3), np.uint8)}, "state": np.zeros(2, np.float32),
                                   "task": "push"})
    assert action.shape == (2,) and np.isfinite(action).all()


def test_a_missing_camera_names_the_dataset_keys_and_the_fix(lerobot_pusht, tmp_path, capsys):
    assert main(["train", *TINY_ACT, f"dataset.root={lerobot_pusht}", f"run.dir={tmp_path / 'run'}",
                 "policy.cameras=[front]"]) == 2
    err = capsys.readouterr().err
    assert "['observation.image']" in err and "dataset.camera_keys" in err and "nothing was run or written" in err
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_dataset_without_a_state_is_refused_as_bad_input(lerobot_pusht, tmp_path, capsys):
    import json
    import shutil

    root = tmp_path / "no_state"
    shutil.copytree(lerobot_pusht, root)
    info = json.loads((root / "meta" / "info.json").read_text())
    del info["features"]["observation.state"]
    (root / "meta" / "info.json").write_text(json.dumps(info))
    assert main(["train", *TINY_ACT, f"dataset.root={root}", f"run.dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert "dataset.root" in err and "no 'observation.state' feature" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def image_demos(tmp_path_factory):
    """Two Lift demos with two 32x32 cameras stored as PNG images, not video."""
    root = tmp_path_factory.mktemp("demos") / "data"
    assert main(["record", "task=lift", "task.image_height=32", "task.image_width=32", "teleop.clean=true",
                 "dataset.use_videos=false", "dataset.num_episodes=2", f"dataset.root={root}"]) == 0
    return root


def test_train_on_image_storage_defaults_to_the_recorded_task_and_rollout_loads_it(image_demos, tmp_path):
    meta = DatasetReader(image_demos).meta
    assert [meta.features[k]["dtype"] for k in meta.camera_keys] == ["image", "image"]
    run = tmp_path / "run"
    assert main(["train", *TINY_ACT, f"dataset.root={image_demos}", f"run.dir={run}"]) == 0  # no task= : lift from the data
    checkpoint = last_checkpoint(run)
    assert load_checkpoint(checkpoint).config.features["cameras"] == {"front": [3, 32, 32], "wrist": [3, 32, 32]}
    assert main(["rollout", f"policy.path={checkpoint}", "task=lift", "task.image_height=32", "task.image_width=32",
                 "feedback=none", "dataset.num_episodes=1", "record.episode_time_s=1", f"dataset.root={tmp_path / 'r'}"]) == 0
    assert DatasetReader(tmp_path / "r").num_frames == 10


def test_a_policy_for_another_task_is_refused_with_evaluation_off(image_demos, tmp_path, capsys):
    assert main(["train", *TINY_ACT, "task=pusht", f"dataset.root={image_demos}", f"run.dir={tmp_path / 'run'}"]) == 2
    assert "does not match task 'pusht'" in capsys.readouterr().err


def test_train_feedback_on_demos_and_a_rollout_session(image_demos, tmp_path, capsys):
    """HG-DAgger over two roots (demos, then a rollout session with the simulated intervener): merged, weighted, saved."""
    rollouts = tmp_path / "rollouts"
    policy = tmp_path / "policy"
    assert main(["train", *TINY_ACT, f"dataset.root={image_demos}", f"run.dir={policy}"]) == 0
    assert main(["rollout", f"policy.path={last_checkpoint(policy)}", "task=lift", "task.image_height=32",
                 "task.image_width=32", "feedback=intervention", "feedback.intervener.no_progress_steps=3",
                 "dataset.num_episodes=1", "record.episode_time_s=4", "dataset.use_videos=false", f"dataset.root={rollouts}"]) == 0
    session = DatasetReader(rollouts)
    human = int(session.column("intervention").sum())
    assert human > 0, "the simulated intervener should have taken over from a 10-step policy"
    capsys.readouterr()
    run = tmp_path / "run"
    assert main(["train", *TINY_ACT, "feedback=hg_dagger", f"dataset.root=[{image_demos},{rollouts}]", f"run.dir={run}"]) == 0
    learned = json.loads((run / "feedback.json").read_text())
    demo_frames = DatasetReader(image_demos).num_frames
    assert learned["learner"] == "hg_dagger"
    assert learned["frames"]["demo"] == demo_frames and learned["frames"]["intervention"] == human
    assert learned["class_weights"]["demo"] == learned["class_weights"]["intervention"] == 1.0
    others = {k: w for k, w in learned["class_weights"].items() if k not in ("demo", "intervention")}
    assert others and set(others.values()) == {0.0}  # the policy's own frames are not imitated
    out = capsys.readouterr().out
    assert f"{demo_frames} demo frames (loss weight " in out and f"{demo_frames + human} training windows" in out
    assert DatasetReader(run / "dataset").num_episodes == 3


def test_train_refuses_a_feedback_kind_that_is_not_a_learner(image_demos, tmp_path, capsys):
    assert main(["train", *TINY_ACT, "feedback=intervention", f"dataset.root={image_demos}", f"run.dir={tmp_path / 'run'}"]) == 1
    assert "train with feedback=hg_dagger or feedback=sirius" in capsys.readouterr().err


def _downgrade(root):
    """Write a dataset the way robot-hf did before the LeRobot-named columns: `reward` and `success`."""
    info_path = root / "meta/info.json"
    info = json.loads(info_path.read_text())
    for path in sorted((root / "data").rglob("*.parquet")):
        table = pq.read_table(path)
        source = np.asarray(table.column("source").to_pylist())
        episode = table.column("episode_index").to_numpy()
        rollout = np.isin(episode, np.unique(episode[source == "policy"]))
        reward = np.where(rollout, table.column("rlif_reward").to_numpy(), table.column("next.reward").to_numpy())
        table = table.drop_columns(["next.reward", "next.done"])
        table = table.rename_columns(
            ["reward" if c == "rlif_reward" else "success" if c == "next.success" else c for c in table.column_names])
        table = table.set_column(table.column_names.index("reward"), "reward", [reward.astype(np.float32)])
        pq.write_table(table.replace_schema_metadata(None), path)
    features = {}
    for key, ft in info["features"].items():
        if key in ("rlif_reward", "next.success"):
            features["reward" if key == "rlif_reward" else "success"] = {**ft, "dtype": "float32" if key == "rlif_reward" else "bool"}
        elif key not in ("next.reward", "next.done"):
            features[key] = ft
    info["features"] = features
    info_path.write_text(json.dumps(info))


def test_an_old_robot_hf_dataset_is_migrated_on_open(image_demos, tmp_path):
    """Demos keep their environment reward in next.reward; a rollout's old `reward` (take-over labels) becomes rlif_reward."""
    from robot_hf.dataset.edit import merge

    rollouts = tmp_path / "rollouts"
    assert main(["train", *TINY_ACT, f"dataset.root={image_demos}", f"run.dir={tmp_path / 'p'}"]) == 0
    assert main(["rollout", f"policy.path={last_checkpoint(tmp_path / 'p')}", "task=lift", "task.image_height=32",
                 "task.image_width=32", "feedback.intervener.no_progress_steps=3", "dataset.num_episodes=1",
                 "record.episode_time_s=3", "dataset.use_videos=false", f"dataset.root={rollouts}"]) == 0
    both = tmp_path / "both"
    merge([image_demos, rollouts], both)
    before = DatasetReader(both)
    columns = {k: before.column(k) for k in ("rlif_reward", "next.reward", "next.done", "next.success", "intervention")}
    assert columns["rlif_reward"].min() == -1 and columns["next.reward"].max() > 0
    old = tmp_path / "old"
    shutil.copytree(both, old)
    _downgrade(old)
    assert "reward" in json.loads((old / "meta/info.json").read_text())["features"]
    after = DatasetReader(old)
    assert not set(REPLACED) & set(after.features)
    for key, values in columns.items():
        np.testing.assert_array_equal(after.column(key), values, err_msg=key)
    assert set(after.meta.stats) >= {"rlif_reward", "next.reward", "next.done", "next.success"}
    assert not any(c.startswith(("stats/reward/", "stats/success/")) for c in after.meta.episodes[0])
    from robot_hf.dataset.validate import validate

    assert validate(old) == []


def test_task_keys_of_a_preset_apply_to_the_task_the_data_was_recorded_in(image_demos, tmp_path, capsys):
    """experiment=cpu_images sets task.image_height/width=64 and names no task: they land on the recorded Lift."""
    assert main(["train", *TINY_ACT, "experiment=cpu_images", "policy.vision.crop=null", f"dataset.root={image_demos}",
                 f"run.dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert "does not match task 'lift'" in err and "vs task's [3, 64, 64]" in err
