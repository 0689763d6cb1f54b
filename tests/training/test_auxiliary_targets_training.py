"""The objects' poses recorded beside a sim's demos (task.environment_state) and trained on as auxiliary targets."""

import csv

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader
from sim.robot import SimRobot
from tests.training.distributed import train_on_two_processes

POSES = "observation.environment_state"
SMALL = ["policy=mlp", "policy.vision.widths=[8,16]", "policy.vision.crop=[28,28]", "policy.hidden=[64]"]


@pytest.fixture(scope="module")
def lift_with_poses(tmp_path_factory):
    root = tmp_path_factory.mktemp("lift_poses") / "data"
    assert main(["record", "task=lift", "task.cameras=[front]", "task.image_height=32", "task.image_width=32",
                 "task.environment_state=true", "teleop.clean=true", "dataset.num_episodes=2", f"dataset.root={root}"]) == 0
    return root


def test_the_poses_are_recorded_apart_from_the_state_as_the_sim_has_them(lift_with_poses):
    robot = SimRobot({"name": "lift", "cameras": ["front"], "image_height": 32, "image_width": 32, "environment_state": True})
    plain = SimRobot({"name": "lift", "cameras": ["front"], "image_height": 32, "image_width": 32})
    try:
        observation = robot.reset(seed=3)
        assert robot.state_names == plain.state_names  # the policy's input is unchanged
        np.testing.assert_allclose(observation["environment_state"], robot.env._object_state(), atol=1e-6)
    finally:
        robot.disconnect()
        plain.disconnect()
    reader = DatasetReader(lift_with_poses)
    assert reader.features[POSES]["names"] == ["cube.x", "cube.y", "cube.z", "cube.cos4yaw", "cube.sin4yaw"]
    poses = np.asarray(reader.column(POSES))
    assert poses.shape == (reader.num_frames, 5)
    first, last = reader.episode_bounds[0]
    assert poses[last - 1, 2] > poses[first, 2] + 0.03  # the demo lifted the cube, and the column saw it rise


def logged(run) -> list[dict]:
    with open(run / "train_log.csv") as f:
        return list(csv.DictReader(f))


def test_training_on_the_poses_as_targets_then_fine_tuning_on_data_without_them(lift_with_poses, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *SMALL, f"dataset.root={lift_with_poses}", "train=tiny", "train.steps=3", f"run.dir={run}",
                 f"policy.auxiliary_targets=[{POSES}]", "train.eval_final=false", "train.log_every=1"]) == 0
    assert all(float(row["auxiliary"]) > 0 for row in logged(run))
    plain = tmp_path / "plain"
    assert main(["record", "task=lift", "task.cameras=[front]", "task.image_height=32", "task.image_width=32",
                 "teleop.clean=true", "dataset.num_episodes=1", f"dataset.root={plain}"]) == 0
    capsys.readouterr()
    assert main(["train", f"policy.path={run}", f"dataset.root={plain}", "train=tiny", "train.steps=2",
                 f"run.dir={tmp_path / 'tuned'}", "train.eval_final=false"]) == 0
    assert f"has no ['{POSES}']: the checkpoint's auxiliary targets are left out" in capsys.readouterr().out
    # The read-out is frozen then: under DistributedDataParallel a parameter left without a gradient would stop the
    # second step ("Expected to have finished reduction in the prior iteration").
    tuned = tmp_path / "tuned_ddp"
    out = train_on_two_processes([f"policy.path={run}", f"dataset.root={plain}", "train=tiny", "train.steps=3",
                                  f"run.dir={tuned}", "train.eval_final=false", "train.save_every=3"])
    assert out.returncode == 0, out.stderr[-3000:]
    before, after = (load_file(str(r / "checkpoints" / step / "pretrained_model" / "model.safetensors"))
                     for r, step in ((run, "step_0000003"), (tuned, "step_0000003")))
    head = [k for k in before if k.startswith("target_head.")]
    assert head and all(torch.equal(before[k], after[k]) for k in head)
    assert any(not torch.equal(before[k], after[k]) for k in before if k not in head)


def test_a_hierarchy_learns_the_targets_on_its_own_encoder(lift_with_poses, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "policy=hierarchical", "policy.low=mlp", "policy.vision.widths=[8,16]", "policy.vision.crop=[28,28]",
                 f"dataset.root={lift_with_poses}", "train=tiny", "train.steps=2", f"run.dir={run}", "train.log_every=1",
                 f"policy.auxiliary_targets=[{POSES}]", "train.eval_final=false"]) == 0
    assert all(float(row["auxiliary"]) > 0 and float(row["high_loss"]) > 0 for row in logged(run))


def test_a_target_the_dataset_lacks_is_refused_with_the_fix_and_nothing_written(lift_with_poses, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", *SMALL, f"dataset.root={lift_with_poses}", "train=tiny", "train.steps=3", f"run.dir={run}",
                 "policy.auxiliary_targets=[observation.poses]"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "policy.auxiliary_targets: dataset" in err[-1] and "has no numeric feature 'observation.poses'" in err[-1]
    assert POSES in err[-1] and "task.environment_state=true" in err[-1]
    assert not (run / "checkpoints").exists()


def test_resuming_a_recording_with_the_poses_without_them_is_refused_and_keeps_what_was_recorded(lift_with_poses, tmp_path, capsys):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(lift_with_poses, root)
    before = DatasetReader(root).num_frames
    code = main(["record", "task=lift", "task.cameras=[front]", "task.image_height=32", "task.image_width=32",
                 "teleop.clean=true", "dataset.num_episodes=1", f"dataset.root={root}", "dataset.resume=true"])
    assert code == 2 and f"differs in ['{POSES}']" in capsys.readouterr().err
    assert DatasetReader(root).num_frames == before
