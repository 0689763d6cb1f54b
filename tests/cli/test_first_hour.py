"""The first hour as a user: the commands README gives, typed as people type them, work or say what to type instead."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from robot_hf.cli.main import main
from robot_hf.config.compose import compose
from tests.dataset.helpers import make_dataset

REPO = Path(__file__).resolve().parents[2]
LIFT = ["task.object_state=true", "task.cameras=[front]", "task.image_height=32", "task.image_width=32"]


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    """Two Lift demos recorded the way the quickstart records them (object state, a small front camera), in a folder
    named like hydra's run folders."""
    root = tmp_path_factory.mktemp("home") / "outputs" / "2026-12-03_10-00-00" / "demos"
    assert main(["record", *LIFT, "teleop.clean=true", "dataset.num_episodes=2", f"dataset.root={root}"]) == 0
    return root


def test_the_quickstart_runs_end_to_end_at_tiny_sizes(tmp_path, capsys):
    """README's first command, with every size shrunk: record, train, a take-over round, a corrections round and a
    preference round, each from the policy the round before left, and the summary."""
    run = tmp_path / "quickstart"
    assert main(["quickstart", "demos=2", "train.steps=4", "train.save_every=4", "train.log_every=2", "eval_episodes=1",
                 "episodes_per_round=2", "finetune_steps=2", "eval.videos=1", "task.image_height=32", "task.image_width=32",
                 "task.episode_time_s=4", "policy.low.down_dims=[16,32]", f"run.dir={run}",
                 ("feedback_rounds=[['feedback=hg_dagger'],['feedback=corrections','feedback.corrector.input=keys'],"
                 "['feedback=preferences','feedback.labels_per_round=8','reward_train.epochs=1','reward_train.min_steps=2']]")]) == 0
    out = capsys.readouterr().out
    rounds = [run / "improve_1_hg_dagger", run / "improve_2_corrections", run / "improve_3_preferences"]
    for i, folder in enumerate(rounds, 1):
        assert (folder / "report.md").exists() and list((folder / "videos").rglob("*.mp4"))
        result = json.loads((folder / "improve.json").read_text())
        assert re.search(rf"│\s+{i} │ {result['method']}\s+│", out), out
        if i > 1:  # each round starts from the policy the round before left, and its evaluation is not run again
            before = json.loads((rounds[i - 2] / "improve.json").read_text())["rounds"][-1]
            start = result["rounds"][0]
            assert (start["checkpoint"], start["success"], start["ci95"]) == (before["checkpoint"], before["success"], before["ci95"])
            assert not (folder / "videos" / "round_0").exists()
    finished = [json.loads((f / "improve.json").read_text())["rounds"][-1] for f in rounds]
    assert finished[0]["takeovers"] > 0 and finished[1]["corrections"] > 0 and finished[2]["labels"] > 0
    assert f"trained policy: {run / 'train' / 'checkpoints' / 'best'}" in out


def test_a_bad_quickstart_round_stops_it_before_anything_is_recorded(tmp_path, capsys):
    run = tmp_path / "quickstart"
    for bad, named in ((["feedback=corrections", "feedback.corrector.input=hotkey"], "feedback.corrector.input"),
                       (["feedback=preferences", "feedback.labels_per_rond=8"], "feedback.labels_per_round")):
        rounds = "[['feedback=hg_dagger'],[" + ",".join(f"'{o}'" for o in bad) + "]]"
        assert main(["quickstart", f"feedback_rounds={rounds}", f"run.dir={run}"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "feedback_rounds[1]" in err[0] and named in err[0], err
        assert not run.exists()


def test_dataset_commands_take_the_root_as_a_bare_path(tmp_path, capsys):
    odd = make_dataset(tmp_path / "2026-12-03_10-00-00" / "it's mine", lengths=(4, 5))
    other = make_dataset(tmp_path / "b", lengths=(3,))
    assert main(["dataset", "info", str(odd)]) == 0
    assert "2 / 9" in capsys.readouterr().out
    assert main(["dataset", "validate", str(odd)]) == 0
    assert main(["dataset", "merge", str(odd), str(other), f"output={tmp_path / 'ab'}"]) == 0
    assert json.loads((tmp_path / "ab" / "meta/info.json").read_text())["total_episodes"] == 3
    # A command without a positional key says what it takes instead of a grammar error.
    capsys.readouterr()
    assert main(["train", str(odd)]) == 2
    err = capsys.readouterr().err
    assert "is not a key=value override" in err and "dataset.root=" in err


@pytest.mark.parametrize("typo", ["datset.num_episodes=3", "+datset.num_episodes=3", "+dataset.num_episods=3"])
def test_unknown_keys_are_refused_with_the_closest_key(typo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["record", typo]) == 2
    err = capsys.readouterr().err
    assert "did you mean dataset.num_episodes?" in err and "To append" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_new_entry_of_an_open_map_is_still_added_with_plus(capsys):
    assert main(["record", "robot=so101", '+robot.cameras={front: {source: "0"}}', "--cfg", "job"]) == 0
    assert "source: '0'" in capsys.readouterr().out
    assert main(["record", "robot=so101", 'robot.cameras={front: {source: "0"}}', "--cfg", "job"]) == 2
    assert "add one with a leading +" in capsys.readouterr().err


def test_a_group_typed_after_the_experiment_keeps_its_values():
    assert compose("train", ["experiment=lift_lowdim", "train=tiny"]).train.steps == 50
    assert compose("train", ["experiment=lift_lowdim", "train=tiny", "train.steps=7"]).train.steps == 7
    cfg = compose("train", ["train=tiny", "experiment=lift_lowdim"])  # the experiment typed last wins
    assert cfg.train.steps == 3000
    assert cfg.policy.down_dims == [64, 128, 256]  # and the preset's other groups keep its values


def test_the_short_commands_from_record_to_improve(demos, tmp_path, capsys):
    """`train dataset.root=<demos>`, then `eval|rollout|improve policy.path=<run>`: no task, crop or state size to
    repeat; every run has best and last; the optimizer state is kept once; videos are 256 px with a caption."""
    import av

    run = tmp_path / "run"
    assert main(["train", "train=tiny", "policy=mlp", "train.steps=4", "train.save_every=2", f"dataset.root={demos}",
                 f"run.dir={run}"]) == 0
    out = capsys.readouterr().out
    assert "larger than the 32x32 camera images" in out  # the 84 px default crop, fitted to the recorded images
    assert f"{run / 'checkpoints' / 'best'}\n" in out and "MiB on disk" in out
    checkpoints = run / "checkpoints"
    assert (checkpoints / "last").resolve() == (checkpoints / "step_0000004").resolve()
    assert json.loads((checkpoints / "best" / "metrics.json").read_text())["chosen_by"].startswith("last step")
    assert len(list(checkpoints.rglob("training_state.pt"))) == 1
    assert (checkpoints / "best/pretrained_model/model.safetensors").stat().st_nlink == 2  # a hard link, not a copy

    assert main(["eval", f"policy.path={run}", "eval.episodes=1", "eval.videos=1", "policy.n_action_steps=2",
                 f"run.dir={tmp_path / 'eval'}"]) == 0
    assert json.loads((tmp_path / "eval" / "eval.json").read_text())["acting"] == {"n_action_steps": 2}
    video = next((tmp_path / "eval" / "videos").glob("*.mp4"))
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.height, stream.width) == (256, 256)
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert first[:20].mean() < first[40:].mean()  # the caption's dark band
    assert main(["rollout", f"policy.path={run}/checkpoints/last", "dataset.num_episodes=1",
                 f"dataset.root={tmp_path / 'rollouts'}"]) == 0
    assert main(["improve", f"policy.path={run}", f"dataset.root={demos}", "rounds=1", "episodes_per_round=1",
                 "eval_episodes=1", "finetune_steps=2", "baseline=false", "eval.videos=0", f"run.dir={tmp_path / 'improve'}"]) == 0
    out = capsys.readouterr().out
    assert "success on the same evaluation seeds after each round" in out and "{'" not in out


def test_no_display_picks_egl_by_itself():
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "DISPLAY", "WAYLAND_DISPLAY", "PYOPENGL_PLATFORM")}
    script = ("import os; from sim.robot import make_env; env = make_env({'name': 'lift', 'cameras': ['front'], "
              "'image_height': 32, 'image_width': 32}); env.reset(seed=0); print(os.environ['MUJOCO_GL'])")
    probe = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=120, check=False)
    assert probe.stdout.strip() in ("egl", "osmesa"), probe.stderr
    assert probe.stderr.count("\n") == 1 and "no display: MuJoCo renders with MUJOCO_GL=" in probe.stderr


def test_a_start_that_fails_to_render_says_why_and_leaves_no_dataset(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}, "MUJOCO_GL": "glfw"}
    run = subprocess.run([sys.executable, "-m", "robot_hf.cli.main", "record", *LIFT, "dataset.num_episodes=1",
                          f"dataset.root={tmp_path / 'demos'}"], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 1
    assert "MuJoCo could not start OpenGL with MUJOCO_GL=glfw" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "demos").exists()


def test_training_progress_reaches_a_log_file(demos, tmp_path, capsys):
    """Output redirected to a file (not a terminal) still shows progress while a run trains."""
    assert main(["train", "train=tiny", "policy=mlp", "train.steps=6", "train.log_every=2", "train.progress_every_s=0",
                 f"dataset.root={demos}", f"run.dir={tmp_path / 'run'}"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("train ")]
    assert [line.split()[1] for line in lines] == ["2/6", "4/6", "6/6"]
    assert all("loss" in line and "left" in line for line in lines)


def test_report_plots_read_with_one_round(tmp_path, monkeypatch):
    from robot_hf.feedback.improve import ImproveResult, RoundResult
    from robot_hf.feedback.report import write_report

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    rows = [RoundResult(0, 0.25, (0.1, 0.4), 0, 0), RoundResult(1, 0.45, (0.3, 0.6), 120, 120)]
    write_report(ImproveResult("hg_dagger", "lift", rows, rows), tmp_path)
    success, frames = figures
    assert list(success.axes[0].get_xticks()) == [0, 1] and list(frames.axes[0].get_xticks()) == [1]
    assert all(ax.get_legend() is None for fig in figures for ax in fig.axes) and all(fig.legends for fig in figures)
    lo, hi = frames.axes[0].get_xlim()
    bars = [p.get_width() for p in frames.axes[0].patches]
    assert sum(bars) / (hi - lo) < 0.3  # one round is a narrow pair of bars, not a block filling the figure


def test_a_person_who_gives_up_says_so():
    from robot_hf.session.loop import episode_verdict
    from sim.intervener import SimulatedIntervener

    person = SimulatedIntervener.__new__(SimulatedIntervener)
    person.reasons, person.gave_up = ["off course, unrecoverable"], True
    meta = person.episode_info()
    assert episode_verdict(False, "failure", meta) == "no success (the person gave up: off course, unrecoverable)"
    person.reasons, person.gave_up = [], False
    assert episode_verdict(False, "failure", person.episode_info()) == "no success"


def test_a_missing_optional_package_says_what_to_install(tmp_path, capsys, monkeypatch):
    """Teleoperating with a gamepad without pygame: one line naming the package and the install, exit 1, no dataset."""
    monkeypatch.setitem(sys.modules, "pygame", None)  # what `import pygame` meets where it is not installed
    root = tmp_path / "demos"
    assert main(["record", "task=lift", "teleop=gamepad", "dataset.num_episodes=1", f"dataset.root={root}"]) == 1
    err = capsys.readouterr().err
    assert "pygame" in err and "pip install" in err and "Traceback" not in err
    assert not (root / "data").exists()


def test_a_missing_package_is_named_and_a_broken_own_module_is_not_hidden():
    from robot_hf.cli.main import missing_package

    assert "pip install hidapi" in missing_package(ModuleNotFoundError("No module named 'hid'", name="hid"))
    assert missing_package(ModuleNotFoundError("No module named 'robot_hf.nope'", name="robot_hf.nope")) is None
    assert missing_package(ImportError("cannot import name 'x' from 'numpy'")) is None


def test_a_torch_older_than_the_libraries_beside_it_is_named_with_the_extra_that_fits_it(tmp_path, capsys, monkeypatch):
    """torch 2.4 kept as installed, then the newest transformers (which disables it) beside it: one line naming both and
    the torch24 extra, exit 1, nothing recorded. With the torch24 extra's releases, or torch 2.6, the command runs."""
    import importlib.metadata

    installed = {"torch": "2.4.1+cu121", "transformers": "5.25.0", "sentence-transformers": "6.3.0", "diffusers": "0.42.1"}
    monkeypatch.setattr(importlib.metadata, "version", lambda name: installed[name])
    root = tmp_path / "demos"
    assert main(["record", "task=lift", "dataset.num_episodes=1", f"dataset.root={root}"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "torch 2.4.1+cu121 is older than transformers 5.25.0" in err and "torch24" in err
    assert not root.exists()

    from robot_hf.cli.main import torch_too_old

    installed.update({"transformers": "4.57.6", "sentence-transformers": "5.7.0", "diffusers": "0.39.0"})
    assert torch_too_old() is None
    installed.update({"torch": "2.6.0", "transformers": "5.25.0", "diffusers": "0.42.1"})
    assert torch_too_old() is None
