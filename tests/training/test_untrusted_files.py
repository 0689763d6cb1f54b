"""A run folder is data: resuming from it never runs code from it, and its pointers stay inside it."""

import pathlib

import torch

from robot_hf.cli.main import main
from tests.training.test_any_dataset import TINY_ACT


class Payload:
    """What a crafted checkpoint would carry: unpickling it calls a function of the attacker's choice."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def trained_run(lerobot_pusht, run):
    assert main(["train", *TINY_ACT, f"dataset.root={lerobot_pusht}", f"run.dir={run}"]) == 0
    return run / "checkpoints" / (run / "checkpoints" / "last.txt").read_text().strip()


def test_resume_refuses_a_training_state_that_would_run_code(lerobot_pusht, tmp_path, capsys):
    step = trained_run(lerobot_pusht, tmp_path / "run")
    marker = tmp_path / "code_ran"
    state = torch.load(step / "training_state.pt", weights_only=True)
    torch.save({**state, "step": Payload(marker)}, step / "training_state.pt")
    args = ["train", *TINY_ACT, "train.steps=20", "train.resume=true", f"dataset.root={lerobot_pusht}", f"run.dir={tmp_path / 'run'}"]
    assert main(args) == 1
    assert not marker.exists()
    err = capsys.readouterr().err
    assert "is not loaded" in err and "policy.path=" in err


def test_resume_continues_from_a_clean_state_and_refuses_a_pointer_out_of_the_run(lerobot_pusht, tmp_path, capsys):
    trained_run(lerobot_pusht, tmp_path / "run")
    args = ["train", *TINY_ACT, "train.steps=14", "train.resume=true", f"dataset.root={lerobot_pusht}", f"run.dir={tmp_path / 'run'}"]
    assert main(args) == 0  # weights-only loading reads everything a robot-hf run saves
    (tmp_path / "run" / "checkpoints" / "last.txt").write_text("../../elsewhere")
    assert main(args) == 1
    assert "not a step folder of this run" in capsys.readouterr().err
