import json

import pytest
import torch

from robot_hf.cli.main import main
from robot_hf.config.compose import compose
from robot_hf.training.checkpoint import Checkpoints
from robot_hf.training.workspace import TrainWorkspace
from tests.training.distributed import train_on_two_processes

SMALL = ["policy=mlp", "policy.vision.widths=[8,16]", "policy.vision.crop=[28,28]", "policy.hidden=[64]"]


@pytest.fixture(scope="module")
def lift_data(tmp_path_factory):
    """Three clean Lift demos (seeds 0-2) with a 32x32 front camera."""
    root = tmp_path_factory.mktemp("lift") / "data"
    assert main(["record", "task=lift", "task.cameras=[front]", "task.image_height=32", "task.image_width=32",
                 "teleop.clean=true", "dataset.num_episodes=3", f"dataset.root={root}"]) == 0
    return root


def lift_overrides(data, run_dir, *extra):
    return ["task=lift", "task.cameras=[front]", "task.image_height=32", "task.image_width=32", f"dataset.root={data}",
            "train=tiny", f"run.dir={run_dir}", *extra]


def test_tiny_overfit_run_lifts_the_cube(lift_data, tmp_path):
    """A small visuomotor policy trained on three demos succeeds on their scenes: the loop learns for real."""
    cfg = compose("train", lift_overrides(lift_data, tmp_path / "run", "policy=mlp", "policy.vision.widths=[16,32,64]",
                                          "policy.vision.crop=[30,30]", "policy.n_obs_steps=1", "train.steps=1500",
                                          "train.batch_size=32", "train.lr=1e-3", "train.eval_final=true",
                                          "eval.episodes=3", "eval.seed=0", "eval.videos=1"))
    result = TrainWorkspace(cfg).run()
    assert result.evals and result.evals[-1]["success_rate"] > 0, result.evals
    assert result.losses[-1][1] < result.losses[0][1]
    assert (result.best / "pretrained_model" / "model.safetensors").exists()
    assert list((tmp_path / "run" / "eval_videos").rglob("*.mp4"))
    assert (tmp_path / "run" / "train_log.csv").read_text().startswith("step,")
    assert list((tmp_path / "run" / "tensorboard").iterdir())


def test_resume_reproduces_the_uninterrupted_loss_curve(lift_data, tmp_path, monkeypatch):
    common = [*SMALL, "train.steps=20", "train.save_every=10", "train.log_every=5"]
    full = TrainWorkspace(compose("train", lift_overrides(lift_data, tmp_path / "full", *common))).run()
    # Killed right after step 10's checkpoint was written.
    cut = tmp_path / "cut"
    save = Checkpoints.save

    def save_then_die(self, step, *args):
        saved = save(self, step, *args)
        if step == 10:
            raise KeyboardInterrupt
        return saved

    monkeypatch.setattr(Checkpoints, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        TrainWorkspace(compose("train", lift_overrides(lift_data, cut, *common))).run()
    monkeypatch.undo()
    resumed = TrainWorkspace(compose("train", lift_overrides(lift_data, cut, *common, "train.resume=true"))).run()
    assert resumed.steps == 20 and len(resumed.losses) == 20
    assert [loss for _, loss in resumed.losses] == [loss for _, loss in full.losses]
    a = torch.load(full.last / "training_state.pt", weights_only=False)["model"]
    b = torch.load(resumed.last / "training_state.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_steps_per_second_leaves_out_evaluations_and_saves(lift_data, tmp_path, monkeypatch):
    """Training throughput is the optimiser's: a slow evaluation must not lower it (it shows in wall_seconds)."""
    import csv
    import time

    def slow_evaluation(self, policy, step, logger):
        time.sleep(1.5)
        return {"step": step, "success_rate": 0.0, "ci95": (0.0, 1.0), "mean_max_reward": 0.0, "mean_max_progress": 0.0,
                "episodes": 1}

    monkeypatch.setattr(TrainWorkspace, "_evaluate", slow_evaluation)
    cfg = compose("train", lift_overrides(lift_data, tmp_path / "run", *SMALL, "train.steps=20", "train.eval_every=10",
                                          "train.log_every=5", "eval.episodes=1"))
    result = TrainWorkspace(cfg).run()
    assert len(result.evals) == 2
    assert result.wall_seconds - result.train_seconds >= 3.0
    assert result.steps_per_second == pytest.approx(20 / result.train_seconds)
    # The logged windows (5 steps each) add up to the training time: the one after the evaluation at step 10
    # does not count it either.
    rates = [float(r["steps_per_s"]) for r in csv.DictReader((tmp_path / "run" / "train_log.csv").read_text().splitlines()) if r["steps_per_s"]]
    assert len(rates) == 4
    assert sum(5 / rate for rate in rates) == pytest.approx(result.train_seconds, abs=0.5)


def test_bad_inputs_fail_before_training_starts(lift_data, tmp_path, capsys):
    run = tmp_path / "run"
    # Bad input, each found by the policy's config or against the data: one line, exit 2, nothing written.
    assert main(["train", *lift_overrides(lift_data, run, *SMALL, "policy.cameras=[top]")]) == 2
    err = capsys.readouterr().err
    assert "policy.cameras asks for ['top']" in err and "has cameras ['front']" in err
    assert main(["train", *lift_overrides(lift_data, run, *SMALL, "policy.horizon=4", "policy.n_action_steps=8")]) == 2
    assert "horizon (4) is shorter than policy.n_action_steps (8)" in capsys.readouterr().err
    assert main(["train", *lift_overrides(lift_data, run, "policy=act", "policy.n_obs_steps=2")]) == 2
    assert "ACT sees one observation: policy.n_obs_steps must be 1" in capsys.readouterr().err
    assert main(["train", *lift_overrides(lift_data, run, "policy=hierarchical", "policy.low=act", "policy.low.n_obs_steps=2")]) == 2
    assert "ACT sees one observation" in capsys.readouterr().err  # the low level's own check
    assert main(["train", *lift_overrides(lift_data, run, "policy=diffusion_unet", "policy.prediction_type=velocity")]) == 2
    assert "policy.prediction_type must be 'epsilon' or 'sample'" in capsys.readouterr().err
    assert main(["train", *lift_overrides(lift_data, run, *SMALL, "task=pusht", "train.eval_final=true")]) == 2
    err = capsys.readouterr().err
    assert "does not match task 'pusht'" in err and "action size 6" in err
    assert "nothing was run or written" in err and "Traceback" not in err
    assert not (run / "checkpoints").exists()
    # A Lift checkpoint evaluated on Push-T: refused, naming both sides.
    assert main(["train", *lift_overrides(lift_data, run, *SMALL, "train.steps=2")]) == 0
    assert main(["eval", f"policy.path={run}/checkpoints/step_0000002", "task=pusht", f"run.dir={tmp_path / 'ev'}"]) == 2
    err = capsys.readouterr().err
    assert "checkpoint" in err and "does not match task 'pusht'" in err


def test_distributed_data_parallel_on_cpu_with_two_processes(lift_data, tmp_path):
    run = tmp_path / "ddp"
    out = train_on_two_processes(lift_overrides(lift_data, run, *SMALL, "train.steps=6", "train.save_every=6"))
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 6
    assert (run / "checkpoints" / "step_0000006" / "pretrained_model" / "model.safetensors").exists()
