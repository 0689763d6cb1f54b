import threading
from dataclasses import asdict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from robot_hf.dataset import DatasetReader, DatasetWriter, FrameError, Preference
from robot_hf.dataset import episode_commit as episode_commit_module
from robot_hf.dataset.validate import validate
from robot_hf.dataset.video import count_frames
from tests.dataset.helpers import H, W, features, frame, make_dataset


@pytest.mark.parametrize("use_videos", [True, False])
def test_round_trip_frames_actions_feedback(tmp_path, use_videos):
    root = make_dataset(tmp_path / "ds", use_videos=use_videos)
    r = DatasetReader(root)
    assert (r.num_episodes, r.num_frames, r.fps) == (3, 36, 10)
    assert r.tasks == ["pick up the cube"]
    np.testing.assert_array_equal(r.column("index"), np.arange(36))
    ep1 = r.episode(1)
    np.testing.assert_array_equal(ep1["frame_index"], np.arange(15))
    np.testing.assert_array_equal(ep1["observation.state"][:, 2], 100 + np.arange(15))
    np.testing.assert_array_equal(ep1["action"][:, 0], np.arange(15))
    np.testing.assert_allclose(ep1["timestamp"], np.arange(15) / 10, atol=1e-6)
    assert list(ep1["source"][:7]) == ["policy"] * 7 and list(ep1["source"][7:]) == ["human"] * 8
    np.testing.assert_array_equal(ep1["intervention"], np.arange(15) >= 7)
    np.testing.assert_array_equal(ep1["next.reward"], np.arange(15, dtype=np.float32))
    for ep, n in enumerate((12, 15, 9)):
        frames = r.camera_frames("observation.images.wrist", ep)
        expected = (40 * ep + 7 * np.arange(n) + 90) % 250
        # Video is lossy (crf 23); flat colours survive within a few levels, and every frame is in place.
        tol = 3 if use_videos else 0
        assert np.abs(frames[:, H // 2, W // 2, 0].astype(int) - expected).max() <= tol
    all_front = r.camera_all("observation.images.front")
    assert all_front.shape == (36, H, W, 3)
    assert validate(root) == []


def test_add_frame_rejects_bad_frames_naming_feature_expected_and_got(tmp_path):
    w = DatasetWriter.create(tmp_path / "ds", 10, features())
    good = frame(0, 0)
    bad_shape = dict(good, **{"observation.state": np.zeros(4, np.float32)})
    with pytest.raises(FrameError, match=r"'observation.state'.*shape \(3,\).*got shape \(4,\)"):
        w.add_frame(bad_shape)
    with pytest.raises(FrameError, match=r"'action'.*dtype float32.*got .*float64"):
        w.add_frame(dict(good, action=np.zeros(2)))
    with pytest.raises(FrameError, match=r"'observation.images.front'.*\(24, 32, 3\).*got shape \(32, 24, 3\)"):
        w.add_frame(dict(good, **{"observation.images.front": np.zeros((32, 24, 3), np.uint8)}))
    missing = {k: v for k, v in good.items() if k != "action"}
    with pytest.raises(FrameError, match=r"missing feature\(s\) \['action'\]"):
        w.add_frame(missing)
    with pytest.raises(FrameError, match=r"unknown key\(s\) \['gripper'\]"):
        w.add_frame(dict(good, gripper=np.zeros(1, np.float32)))
    with pytest.raises(FrameError, match="'source' must be one of"):
        w.add_frame(dict(good, source="robot"))
    with pytest.raises(FrameError, match="needs 'task'"):
        w.add_frame({k: v for k, v in good.items() if k != "task"})
    assert w.episode_length == 0
    w.close()


def test_save_episode_returns_while_the_worker_is_still_encoding(tmp_path, monkeypatch):
    release = threading.Event()
    started = threading.Event()
    real = episode_commit_module.commit_episode

    def slow_commit(*args, **kwargs):
        started.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr("robot_hf.dataset.writer.commit_episode", slow_commit)
    w = DatasetWriter.create(tmp_path / "ds", 10, features())
    for t in range(5):
        w.add_frame(frame(0, t))
    assert w.save_episode() == 0
    assert started.wait(10)
    # The worker is blocked inside the commit, yet the control loop records the next episode.
    for t in range(5):
        w.add_frame(frame(1, t))
    assert w.pending == 1
    release.set()
    w.save_episode()
    w.close()
    assert DatasetReader(tmp_path / "ds").num_episodes == 2


def test_discard_episode_leaves_no_trace(tmp_path):
    root = tmp_path / "ds"
    with DatasetWriter.create(root, 10, features()) as w:
        for t in range(8):
            w.add_frame(frame(0, t))
        w.save_episode()
        for t in range(20):  # the take to re-record: a distinct task and bright frames
            w.add_frame(frame(5, t, task="discarded take"))
        w.discard_episode()
        for t in range(6):
            w.add_frame(frame(1, t))
        w.save_episode()
    r = DatasetReader(root)
    assert r.num_episodes == 2 and r.num_frames == 14
    assert r.tasks == ["pick up the cube"]
    np.testing.assert_array_equal(r.column("episode_index"), [0] * 8 + [1] * 6)
    for cam in ("front", "wrist"):
        path = root / "videos" / f"observation.images.{cam}" / "chunk-000" / "file-000.mp4"
        assert count_frames(path) == 14
    wrist = r.camera_frames("observation.images.wrist", 1)[:, 0, 0, 0].astype(int)
    assert np.abs(wrist - (40 + 7 * np.arange(6) + 90) % 250).max() <= 3
    assert {p.name for p in (root / ".recording").iterdir()} <= {"writer.lock"}  # no trace of the discarded take
    assert validate(root) == []


def test_reopen_and_append_keeps_indices_continuous(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(5, 6))
    with DatasetWriter.open(root) as w:
        assert w.num_episodes == 2
        for t in range(7):
            w.add_frame(frame(2, t, task="place the cube", instruction="move left"))
        w.add_correction("move left", kind="language")
        w.save_episode(loop_overruns=0)
    r = DatasetReader(root)
    assert r.num_episodes == 3 and r.num_frames == 18
    assert r.tasks == ["pick up the cube", "place the cube", "move left"]
    np.testing.assert_array_equal(r.column("index"), np.arange(18))
    ep2 = r.episode(2)
    assert set(ep2["task_index"]) == {1} and set(ep2["instruction"]) == {2}
    assert ep2["meta"]["loop_overruns"] == 0
    assert [(c.episode_index, c.frame_index, c.text) for c in r.corrections] == [(2, 6, "move left")]
    assert validate(root) == []


def test_preferences_and_corrections_are_stored_and_checked(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(10, 10))
    with DatasetWriter.open(root) as w:
        w.add_preferences([Preference(0, 0, 5, 1, 2, 7, "a", annotator="alice", strength=0.8)])
        with pytest.raises(ValueError, match="episode 9"):
            w.add_preferences([Preference(0, 0, 5, 9, 0, 5, "b")])
    prefs = DatasetReader(root).preferences
    assert len(prefs) == 1 and prefs[0].choice == "a" and prefs[0].annotator == "alice"
    with pytest.raises(ValueError, match="choice"):
        Preference(0, 0, 5, 1, 0, 5, "maybe")


def test_appending_feedback_never_rewrites_what_is_stored(tmp_path):
    """Each append is a new part file; the legacy single file older robot-hf wrote is still read, first."""
    from robot_hf.dataset.feedback import PREFERENCES

    root = make_dataset(tmp_path / "ds", lengths=(10, 10))
    legacy = Preference(1, 0, 3, 0, 0, 3, "b", annotator="old")
    pq.write_table(pa.Table.from_pylist([PREFERENCES.to_arrow(asdict(legacy))], schema=PREFERENCES.schema),
                   root / "meta/preferences.parquet")
    with DatasetWriter.open(root) as w:
        w.add_preferences([Preference(0, 0, 5, 1, 2, 7, "a", annotator="first")])
        w.wait()
        first = PREFERENCES.parts(root)[0]
        stored = (first.stat().st_ino, first.read_bytes())
        w.add_feedback([Preference(0, 5, 9, 1, 0, 4, "equal", annotator="second")])
    assert [p.name for p in PREFERENCES.parts(root)] == ["file-000000.parquet", "file-000001.parquet"]
    assert (first.stat().st_ino, first.read_bytes()) == stored
    assert [p.annotator for p in DatasetReader(root).feedback("preferences")] == ["old", "first", "second"]
    assert validate(root) == []


def test_worker_failure_keeps_the_raw_episode_and_reports(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("robot_hf.dataset.writer.commit_episode", broken)
    w = DatasetWriter.create(tmp_path / "ds", 10, features())
    for t in range(4):
        w.add_frame(frame(0, t))
    w.save_episode()
    with pytest.raises(RuntimeError, match="failed"):
        w.wait()
    w.close(raise_errors=False)
    kept = list((tmp_path / "ds" / ".recording" / "failed").glob("*.npz"))
    assert len(kept) == 1
    data = np.load(kept[0])
    np.testing.assert_array_equal(data["action"][:, 0], np.arange(4))
    assert any(f.code == "failed-save" for f in validate(tmp_path / "ds"))


def test_data_and_video_files_roll_over_at_the_size_limit(tmp_path):
    root = tmp_path / "ds"
    # A limit of 0 MB puts every episode in a file of its own.
    make_dataset(root, lengths=(4, 5, 6), data_files_size_in_mb=0, video_files_size_in_mb=0)
    r = DatasetReader(root)
    assert [r.meta.data_ref(ep).file_index for ep in r.meta.episodes] == [0, 1, 2]
    assert [r.meta.video_ref(ep, "observation.images.front").file_index for ep in r.meta.episodes] == [0, 1, 2]
    assert r.camera_all("observation.images.front").shape[0] == 15
    assert validate(root) == []


def test_create_refuses_an_existing_dataset(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(3,))
    with pytest.raises(FileExistsError, match="already holds a dataset"):
        DatasetWriter.create(root, 10, features())


def test_a_dataset_with_no_episode_yet_reads_as_empty(tmp_path):
    DatasetWriter.create(tmp_path / "ds", 10, features()).close()
    r = DatasetReader(tmp_path / "ds")
    assert r.num_episodes == 0 and r.column("index").shape == (0,) and r.column("action").shape == (0, 2)
    assert validate(tmp_path / "ds") == []


def test_a_new_take_survives_the_saver_removing_the_trace_directory(tmp_path, monkeypatch):
    """The background saver removes .recording/ once it is empty; a take starting at that moment must not fail.

    Reproduces the race deterministically: mkdir finds the directory, then it is gone before the header is written.
    """
    import pathlib

    from robot_hf.dataset.episode_buffer import RecordingTrace
    from robot_hf.dataset.layout import RECORDING_DIR

    directory = tmp_path / RECORDING_DIR
    directory.mkdir()
    real_mkdir, raced = pathlib.Path.mkdir, []

    def mkdir_racing_the_saver(self, *args, **kwargs):
        if self == directory and not raced:
            raced.append(True)
            directory.rmdir()  # the saver's rmdir lands between mkdir's EEXIST and its is_dir check
            raise FileExistsError(str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir_racing_the_saver)
    trace = RecordingTrace(tmp_path, episode_index=3, fps=30)
    trace.add(0.0)
    assert raced and trace.header.exists() and trace.frames.stat().st_size == 8
    trace.delete()
    assert not directory.exists()
