import json
import shutil
import subprocess
import sys

import pytest

from robot_hf.cli.main import main
from tests.dataset.helpers import make_dataset

SUBCOMMANDS = ["record", "train", "eval", "rollout", "replay", "dataset", "quickstart", "improve"]


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert f"    {name}" in out
    with pytest.raises(SystemExit):
        main(["dataset", "--help"])
    out = capsys.readouterr().out
    for name in ("info", "validate", "merge", "delete-episodes"):
        assert name in out


def test_console_script_runs(tmp_path):
    exe = shutil.which("robot-hf") or f"{sys.executable} -m robot_hf.cli.main"
    out = subprocess.run(f"{exe} --version", shell=True, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert out.returncode == 0 and "robot-hf" in out.stdout


def test_cfg_job_prints_the_resolved_config(capsys):
    assert main(["dataset", "info", "dataset.root=/data/x", "--cfg", "job"]) == 0
    out = capsys.readouterr().out
    assert "root: /data/x" in out and "${" not in out


@pytest.mark.parametrize(
    "override, expected",
    [
        ("dataset.roots=/x", ["dataset.roots", "did you mean dataset.root?"]),
        ("dataset.num_episodes=many", ["dataset.num_episodes", "could not be converted to Integer"]),
        ("strict=perhaps", ["strict", "not a valid bool"]),
    ],
)
def test_wrong_overrides_name_the_key_and_write_nothing(override, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["dataset", "validate", override]) == 2
    err = capsys.readouterr().err
    assert "invalid config" in err
    for text in expected:
        assert text in err
    assert list(tmp_path.iterdir()) == []


def test_dataset_commands_end_to_end(tmp_path, capsys, lerobot_pusht):
    a = make_dataset(tmp_path / "a", lengths=(4, 5))
    b = make_dataset(tmp_path / "b", lengths=(3,))
    assert main(["dataset", "info", f"dataset.root={a}"]) == 0
    assert "2 / 9" in capsys.readouterr().out
    assert main(["dataset", "validate", f"dataset.root={lerobot_pusht}"]) == 0
    assert main(["dataset", "merge", f"sources=[{a},{b}]", f"output={tmp_path / 'ab'}"]) == 0
    assert main(["dataset", "delete-episodes", f"dataset.root={tmp_path / 'ab'}", "episodes=[0]"]) == 0
    info = json.loads((tmp_path / "ab" / "meta/info.json").read_text())
    assert (info["total_episodes"], info["total_frames"]) == (2, 8)
    assert main(["dataset", "validate", f"dataset.root={tmp_path / 'ab'}"]) == 0
    # A corrupted copy fails validation with a non-zero exit code and the finding printed.
    (tmp_path / "ab" / "meta/stats.json").unlink()
    capsys.readouterr()
    assert main(["dataset", "validate", f"dataset.root={tmp_path / 'ab'}"]) == 1
    assert "stats" in capsys.readouterr().out


def test_user_errors_are_one_line_not_tracebacks(tmp_path, capsys):
    assert main(["dataset", "info", f"dataset.root={tmp_path / 'missing'}"]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    assert main(["dataset", "merge", f"sources=[{tmp_path}]"]) == 1
    assert "at least two" in capsys.readouterr().err
