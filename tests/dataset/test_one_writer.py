"""One writer per dataset, held by an OS lock that names its holder and dies with its process."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader, DatasetWriter
from robot_hf.dataset.lock import DatasetBusyError
from robot_hf.dataset.validate import validate
from tests.dataset.helpers import make_dataset


def test_a_second_writer_is_refused_with_the_holder_named(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(5,))
    with DatasetWriter.open(root), pytest.raises(DatasetBusyError, match=rf"pid {os.getpid()}"):
        DatasetWriter.open(root)
    DatasetWriter.open(root).close()  # free again once the first one closed


def test_the_lock_dies_with_a_killed_writer(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(5,))
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from robot_hf.dataset import DatasetWriter
        writer = DatasetWriter.open({str(root)!r})
        print("holding", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(DatasetBusyError, match=rf"pid {holder.pid}"):
            DatasetWriter.open(root)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    DatasetWriter.open(root).close()
    assert validate(root) == []


def test_resumed_recording_continues_the_seed_sequence(tmp_path):
    root = tmp_path / "ds"
    common = ["record", "task=lift", "task.cameras=[]", "teleop.clean=true", f"dataset.root={root}"]
    assert main([*common, "dataset.num_episodes=2"]) == 0
    assert main([*common, "dataset.num_episodes=2", "dataset.resume=true"]) == 0
    assert main([*common, "dataset.num_episodes=1", "dataset.resume=true", "record.seed=100"]) == 0
    seeds = [ep["seed"] for ep in DatasetReader(root).meta.episodes]
    assert seeds[:2] == [0, 1] and seeds[2:4] == [seeds[1] + 1, seeds[1] + 2] and seeds[4] == 100


def test_two_record_processes_on_one_dataset_leave_it_whole(tmp_path):
    root = tmp_path / "ds"
    assert main(["record", "task=lift", "task.cameras=[]", "teleop.clean=true", "dataset.num_episodes=1", f"dataset.root={root}"]) == 0
    argv = [sys.executable, "-m", "robot_hf.cli.main", "record", "task=lift", "task.cameras=[]", "teleop.clean=true",
            "dataset.num_episodes=3", "record.reset_time_s=1.5", "dataset.resume=true", f"dataset.root={root}"]  # 3 s of resets: they overlap
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    first, second = (subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2))
    outcomes = sorted((p.wait(timeout=300), p.stderr.read()) for p in (first, second))
    assert outcomes[0][0] == 0 and outcomes[1][0] == 1 and "is being written by another process" in outcomes[1][1]
    assert DatasetReader(root).num_episodes == 4 and validate(root) == []
