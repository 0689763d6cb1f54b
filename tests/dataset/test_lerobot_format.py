"""robot-hf reads LeRobot's own v3.0 datasets unchanged and writes the same layout."""

import json
import os
import subprocess
import textwrap

import av
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from robot_hf.dataset import DatasetReader
from robot_hf.dataset.validate import validate
from robot_hf.dataset.windows import WindowDataset
from tests.dataset.helpers import make_dataset


def test_reads_lerobot_written_dataset_unchanged(lerobot_pusht):
    raw = pq.read_table(lerobot_pusht / "data/chunk-000/file-000.parquet").to_pandas()
    r = DatasetReader(lerobot_pusht)
    assert (r.num_episodes, r.num_frames, r.fps) == (4, 240, 10)
    assert r.tasks == ["push the T onto the target"]
    np.testing.assert_array_equal(r.column("action"), np.stack(raw["action"]))
    np.testing.assert_array_equal(r.column("observation.state"), np.stack(raw["observation.state"]))
    np.testing.assert_array_equal(r.column("timestamp"), raw["timestamp"].to_numpy())
    np.testing.assert_array_equal(r.column("task_index"), raw["task_index"].to_numpy())
    stats = json.loads((lerobot_pusht / "meta/stats.json").read_text())
    for key, by_stat in stats.items():
        for name, value in by_stat.items():
            np.testing.assert_array_equal(r.meta.stats[key][name], np.asarray(value))
    with av.open(str(lerobot_pusht / "videos/observation.image/chunk-000/file-000.mp4")) as c:
        direct = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    np.testing.assert_array_equal(r.camera_all("observation.image"), direct)
    np.testing.assert_array_equal(r.camera_frames("observation.image", 2), direct[120:180])
    # No feedback columns: robot-hf treats LeRobot's frames as human demonstrations.
    assert set(r.column("source")) == {"human"} and not r.column("intervention").any()
    assert validate(lerobot_pusht) == []
    w = WindowDataset(r, n_obs_steps=2, horizon=16)
    item = w[60]  # first frame of episode 1
    assert item["observation_is_pad"].tolist() == [True, False]
    np.testing.assert_array_equal(item["observation.image"][1].permute(1, 2, 0).numpy(), direct[60])


def test_writes_the_same_layout_as_lerobot(tmp_path, lerobot_pusht):
    ours = make_dataset(tmp_path / "ds", lengths=(4, 5))
    info_ours = json.loads((ours / "meta/info.json").read_text())
    info_theirs = json.loads((lerobot_pusht / "meta/info.json").read_text())
    assert set(info_ours) == set(info_theirs)
    assert info_ours["codebase_version"] == "v3.0"
    assert info_ours["data_path"] == info_theirs["data_path"] and info_ours["video_path"] == info_theirs["video_path"]
    cam = info_ours["features"]["observation.images.front"]
    assert set(cam["info"]) == set(info_theirs["features"]["observation.image"]["info"])
    for key in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
        assert info_ours["features"][key] == info_theirs["features"][key]
    data_ours = pq.read_schema(ours / "data/chunk-000/file-000.parquet")
    data_theirs = pq.read_schema(lerobot_pusht / "data/chunk-000/file-000.parquet")
    for key in ("observation.state", "action", "timestamp", "frame_index", "episode_index", "index", "task_index"):
        assert str(data_ours.field(key).type).split("[")[0] == str(data_theirs.field(key).type).split("[")[0]
    hf_ours = json.loads(data_ours.metadata[b"huggingface"])["info"]["features"]
    hf_theirs = json.loads(data_theirs.metadata[b"huggingface"])["info"]["features"]
    assert hf_ours["action"]["_type"] == hf_theirs["action"]["_type"] and hf_ours["index"] == hf_theirs["index"]
    eps_ours = pq.read_schema(ours / "meta/episodes/chunk-000/file-000.parquet")
    eps_theirs = pq.read_schema(lerobot_pusht / "meta/episodes/chunk-000/file-000.parquet")
    shared = [n for n in eps_theirs.names if "observation.image" not in n and not n.startswith("stats/observation.state")]
    for name in shared:
        ours_name = name
        assert ours_name in eps_ours.names, name
        assert eps_ours.field(ours_name).type == eps_theirs.field(name).type, name
    tasks = pd.read_parquet(ours / "meta/tasks.parquet")
    assert list(tasks.index) == ["pick up the cube"] and tasks["task_index"].tolist() == [0]
    assert set(json.loads((ours / "meta/stats.json").read_text())["observation.images.front"]) == set(
        json.loads((lerobot_pusht / "meta/stats.json").read_text())["observation.image"])


LEROBOT_PYTHON = os.environ.get("ROBOT_HF_LEROBOT_PYTHON")


@pytest.mark.skipif(not LEROBOT_PYTHON, reason="set ROBOT_HF_LEROBOT_PYTHON to a Python with lerobot installed")
def test_lerobot_loads_a_robot_hf_dataset(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(6, 7))
    script = textwrap.dedent(f"""
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        ds = LeRobotDataset("local/robot-hf", root={str(root)!r}, video_backend="pyav",
                            delta_timestamps={{"action": [0.0, 0.1, 0.2]}})
        assert ds.num_episodes == 2 and ds.num_frames == 13, (ds.num_episodes, ds.num_frames)
        item = ds[8]
        assert item["episode_index"].item() == 1 and item["frame_index"].item() == 2
        assert item["action"].tolist() == [[2.0, -2.0], [3.0, -3.0], [4.0, -4.0]]
        assert item["source"] == "policy" and item["task"] == "pick up the cube"
        level = round(float(item["observation.images.wrist"][0, 12, 16]) * 255)
        assert abs(level - (40 + 14 + 90)) <= 3, level
        print("ok")
    """)
    out = subprocess.run([LEROBOT_PYTHON, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]
