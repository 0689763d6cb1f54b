"""`dataset validate` finds each corruption injected here, and names it."""

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from robot_hf.dataset import DatasetReader
from robot_hf.dataset.atomic import Commit
from robot_hf.dataset.feedback import CORRECTIONS_SCHEMA, PREFERENCES_SCHEMA
from robot_hf.dataset.validate import validate
from robot_hf.dataset.video import concatenate
from tests.dataset.helpers import make_dataset

DATA = "data/chunk-000/file-000.parquet"
FRONT = "videos/observation.images.front/chunk-000/file-000.mp4"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = make_dataset(tmp_path_factory.mktemp("v") / "ds", lengths=(12, 15, 9))
    assert validate(root) == []
    return root


@pytest.fixture
def ds(pristine, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(pristine, root)
    return root


def _rewrite_data(root, fn):
    path = root / DATA
    table = pq.read_table(path)
    pq.write_table(fn(table), path)


def _set_column(table, name, values):
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(i), pa.array(values, type=table.schema.field(i).type))


def _codes(root):
    return {f.code for f in validate(root) if f.severity == "error"}


def test_missing_row_breaks_index_continuity(ds):
    _rewrite_data(ds, lambda t: pa.concat_tables([t.slice(0, 5), t.slice(6)]))
    assert "index-continuity" in _codes(ds)


def test_shifted_timestamp(ds):
    def shift(t):
        ts = t.column("timestamp").to_numpy().copy()
        ts[20] += 0.05
        return _set_column(t, "timestamp", ts)

    _rewrite_data(ds, shift)
    findings = [f for f in validate(ds) if f.code == "timestamps"]
    assert findings and "episode 1" in findings[0].message and "frame 8" in findings[0].message


def test_wrong_frame_index(ds):
    _rewrite_data(ds, lambda t: _set_column(t, "frame_index", np.arange(t.num_rows)))
    assert "frame-index" in _codes(ds)


def test_video_missing_frames(ds):
    path = ds / FRONT
    tmp = ds / "short.mp4"
    concatenate([(path, 0.0, 3.0)], tmp)  # drops the last 0.6 s (6 frames) of the last episode
    tmp.replace(path)
    findings = [f for f in validate(ds) if f.code == "video-frames"]
    assert findings and "30 frames" in findings[0].message and "need 36" in findings[0].message


def test_video_extra_frames_from_a_cut_off_save(ds):
    path = ds / FRONT
    tmp = ds / "long.mp4"
    concatenate([(path, 0.0, 3.6), (path, 0.0, 1.2)], tmp)
    tmp.replace(path)
    findings = [f for f in validate(ds) if f.code == "video-frames"]
    assert findings and "12 frames past its last episode" in findings[0].message


def test_missing_video_file(ds):
    (ds / FRONT).unlink()
    assert "video-missing" in _codes(ds)


def test_missing_stats(ds):
    (ds / "meta/stats.json").unlink()
    assert "stats" in _codes(ds)


def test_stats_without_a_feature(ds):
    stats = json.loads((ds / "meta/stats.json").read_text())
    del stats["action"]
    (ds / "meta/stats.json").write_text(json.dumps(stats))
    findings = [f for f in validate(ds) if f.code == "stats"]
    assert findings and "'action'" in findings[0].message


def test_wrong_totals(ds):
    info = json.loads((ds / "meta/info.json").read_text())
    info["total_frames"] = 35
    (ds / "meta/info.json").write_text(json.dumps(info))
    assert "totals" in _codes(ds)


def test_task_index_out_of_range(ds):
    _rewrite_data(ds, lambda t: _set_column(t, "task_index", np.full(t.num_rows, 4)))
    assert "tasks" in _codes(ds)


def test_correction_pointing_past_the_episode(ds):
    rows = [{"episode_index": 2, "frame_index": 40, "timestamp": 4.0, "text": "left", "kind": "language"}]
    pq.write_table(pa.Table.from_pylist(rows, schema=CORRECTIONS_SCHEMA), ds / "meta/corrections.parquet")
    findings = [f for f in validate(ds) if f.code == "feedback"]
    assert findings and "frame 40 of episode 2" in findings[0].message


def test_preference_pointing_at_a_missing_episode(ds):
    row = {"a_episode_index": 0, "a_from_frame": 0, "a_to_frame": 5, "b_episode_index": 7, "b_from_frame": 0,
           "b_to_frame": 5, "choice": "a", "annotator": "x", "strength": 1.0, "time": 0}
    pq.write_table(pa.Table.from_pylist([row], schema=PREFERENCES_SCHEMA), ds / "meta/preferences.parquet")
    findings = [f for f in validate(ds) if f.code == "feedback"]
    assert findings and "episode 7" in findings[0].message


def test_bad_source_label(ds):
    _rewrite_data(ds, lambda t: _set_column(t, "source", ["robot"] * t.num_rows))
    assert "feedback" in _codes(ds)


def test_interrupted_commit_is_reported_then_completed_on_open(ds, monkeypatch):
    """A commit cut off after its journal: validate says so, the next open finishes it."""
    from robot_hf.dataset import atomic

    info_before = (ds / "meta/info.json").read_text()
    commit = Commit(ds)
    staged = commit.stage(ds / "meta/info.json")
    staged.write_text(info_before.replace('"robot_type": "test"', '"robot_type": "renamed"'))
    monkeypatch.setattr(atomic, "_apply", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        commit.publish("test change")
    monkeypatch.undo()
    assert "interrupted-commit" in _codes(ds)
    r = DatasetReader(ds)  # rolls the commit forward
    assert r.meta.info["robot_type"] == "renamed"
    assert validate(ds) == []


def _flip_middle(path, count=200):
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid: mid + count] = bytes(b ^ 0xFF for b in data[mid: mid + count])
    path.write_bytes(bytes(data))


def test_a_video_with_damaged_bytes_is_found_and_named_by_episode(ds):
    _flip_middle(ds / FRONT)
    decode = [f for f in validate(ds) if f.code == "video-decode"]
    assert decode and FRONT in decode[0].message and "episode " in decode[0].message
    assert [f for f in validate(ds, decode="all") if f.code == "video-decode"]
    with pytest.raises(ValueError, match=r"file-000.mp4: episode \d cannot be decoded"):
        DatasetReader(ds).camera_all("observation.images.front")  # what training decodes: it names the file and episode
