"""A recorder killed with SIGKILL leaves a dataset that loads with every episode saved before."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from robot_hf.dataset import DatasetReader, DatasetWriter
from robot_hf.dataset.validate import validate
from tests.dataset.helpers import frame

REPO = Path(__file__).resolve().parents[2]


def _start(root, mode):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.dataset.crash_recorder", str(root), mode],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def test_kill_in_the_middle_of_an_episode(tmp_path):
    root = tmp_path / "ds"
    proc = _start(root, "mid-episode")
    frames_seen = 0
    try:
        for line in proc.stdout:
            if line.startswith("FRAME"):
                frames_seen = int(line.split()[1])
                if frames_seen >= 25:
                    break
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert frames_seen >= 25
    r = DatasetReader(root)
    assert r.num_episodes == 3 and r.num_frames == 30
    assert r.camera_all("observation.images.front").shape[0] == 30
    findings = validate(root)
    assert [f.severity for f in findings] == ["warning"], findings
    assert findings[0].code == "cut-off-episode"
    assert "episode 3 was being recorded" in findings[0].message
    # The trace is written before add_frame returns, so it counts at least the frames we saw.
    cut = int(findings[0].message.split(": ")[1].split()[0])
    assert cut >= frames_seen
    # Reopening reports the lost take once, then appends after the saved episodes.
    with DatasetWriter.open(root) as w:
        for t in range(4):
            w.add_frame(frame(3, t))
        w.save_episode()
    assert DatasetReader(root).num_episodes == 4
    assert validate(root) == []


@pytest.mark.parametrize("delay_s", [0.8, 1.7, 2.9])
def test_kill_at_any_moment_while_saving(tmp_path, delay_s):
    root = tmp_path / "ds"
    proc = _start(root, "continuous")
    queued = 0
    try:
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            queued = int(line.split()[1])
            if queued >= 1 and time.monotonic() > deadline - 60 + delay_s:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    errors = [f.code for f in validate(root) if f.severity == "error"]
    assert errors in ([], ["interrupted-commit"]), errors
    r = DatasetReader(root)  # finishes an interrupted commit if the kill landed between journal and renames
    assert 0 <= r.num_episodes <= queued
    assert r.num_frames == 30 * r.num_episodes
    np.testing.assert_array_equal(r.column("index"), np.arange(r.num_frames))
    if r.num_episodes:
        assert r.camera_all("observation.images.wrist").shape[0] == r.num_frames
    assert [f for f in validate(root) if f.severity == "error"] == []


def test_kill_between_the_renames_of_a_commit(tmp_path):
    """Half the files of episode 2 are in place: validate names only the cut-off commit, the next open finishes it."""
    root = tmp_path / "ds"
    proc = _start(root, "mid-rename")
    lines = proc.stdout.read().split()
    assert proc.wait(30) == -signal.SIGKILL and lines[-1] == "2"
    findings = validate(root)
    assert [f.code for f in findings if f.severity == "error"] == ["interrupted-commit"], findings
    r = DatasetReader(root)
    assert r.num_episodes == 3 and r.num_frames == 30
    assert r.camera_all("observation.images.front").shape[0] == 30
    assert validate(root) == []


def test_a_cut_off_first_commit_is_finished_by_every_command_that_opens_the_folder(tmp_path, capsys):
    """Killed after the new dataset's journal was written: info, record and validate agree (repair on open)."""
    from robot_hf.cli.main import main
    from robot_hf.dataset import atomic

    root = tmp_path / "ds"
    real_apply = atomic._apply
    atomic._apply = lambda *a: (_ for _ in ()).throw(KeyboardInterrupt())  # the process dies right after the journal
    try:
        with pytest.raises(KeyboardInterrupt):
            DatasetWriter.create(root, 10, {"observation.state": {"dtype": "float32", "shape": [2]},
                                            "action": {"dtype": "float32", "shape": [2]}})
    finally:
        atomic._apply = real_apply
    assert not (root / "meta/info.json").exists() and [f.code for f in validate(root)] == ["interrupted-commit"]
    assert "robot-hf dataset info" in validate(root)[0].message
    assert main(["dataset", "info", f"dataset.root={root}"]) == 0  # finishes the commit, then describes the dataset
    assert "0 / 0" in capsys.readouterr().out and validate(root) == []
