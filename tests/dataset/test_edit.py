import numpy as np
import pytest

from robot_hf.dataset import DatasetReader, DatasetWriter, Preference
from robot_hf.dataset.edit import delete_episodes, merge
from robot_hf.dataset.validate import validate
from tests.dataset.helpers import features, frame, make_dataset


def _wrist_codes(reader):
    """Episode and frame recovered from each decoded wrist frame's colour."""
    return reader.camera_all("observation.images.wrist")[:, 0, 0, 0].astype(int)


def test_merge_reindexes_and_keeps_frames_in_place(tmp_path):
    a = make_dataset(tmp_path / "a", lengths=(5, 6))
    b = tmp_path / "b"
    with DatasetWriter.create(b, 10, features()) as w:
        for t in range(4):
            w.add_frame(frame(3, t, task="stack the cubes"))
        w.add_correction("higher")
        w.save_episode()
        w.add_preferences([])
    merged = merge([a, b], tmp_path / "ab")
    assert merged.total_episodes == 3
    r = DatasetReader(tmp_path / "ab")
    assert r.tasks == ["pick up the cube", "stack the cubes"]
    np.testing.assert_array_equal(r.column("episode_index"), [0] * 5 + [1] * 6 + [2] * 4)
    np.testing.assert_array_equal(r.column("index"), np.arange(15))
    np.testing.assert_array_equal(r.episode(2)["task_index"], [1] * 4)
    expected = np.concatenate([(40 * 0 + 7 * np.arange(5) + 90) % 250, (40 + 7 * np.arange(6) + 90) % 250,
                               (120 + 7 * np.arange(4) + 90) % 250])
    assert np.abs(_wrist_codes(r) - expected).max() <= 3
    assert [(c.episode_index, c.text) for c in r.corrections] == [(2, "higher")]
    assert validate(tmp_path / "ab") == []


def test_merge_refuses_different_features(tmp_path, lerobot_pusht):
    a = make_dataset(tmp_path / "a", lengths=(5,))
    with pytest.raises(ValueError, match="fps must match|features differ"):
        merge([a, lerobot_pusht], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_delete_episodes_in_place_moves_feedback_along(tmp_path):
    root = make_dataset(tmp_path / "ds", lengths=(5, 6, 7, 8))
    with DatasetWriter.open(root) as w:
        w.add_preferences([Preference(1, 0, 3, 3, 0, 3, "b"), Preference(0, 0, 3, 2, 0, 3, "a")])
    delete_episodes(root, [0, 2])
    r = DatasetReader(root)
    assert r.num_episodes == 2 and r.num_frames == 14
    np.testing.assert_array_equal(r.episode(1)["observation.state"][:, 0], [3] * 8)
    expected = np.concatenate([(40 + 7 * np.arange(6) + 90) % 250, (120 + 7 * np.arange(8) + 90) % 250])
    assert np.abs(_wrist_codes(r) - expected).max() <= 3
    assert [(p.a_episode_index, p.b_episode_index) for p in r.preferences] == [(0, 1)]
    assert validate(root) == []
    with pytest.raises(ValueError, match=r"episodes \[5\] do not exist"):
        delete_episodes(root, [5])


def test_delete_from_a_lerobot_dataset_into_a_new_directory(tmp_path, lerobot_pusht):
    delete_episodes(lerobot_pusht, [1], out_root=tmp_path / "out")
    r = DatasetReader(tmp_path / "out")
    src = DatasetReader(lerobot_pusht)
    assert r.num_episodes == 3
    np.testing.assert_array_equal(r.column("action"), np.concatenate([src.episode(e)["action"] for e in (0, 2, 3)]))
    np.testing.assert_array_equal(r.camera_frames("observation.image", 1), src.camera_frames("observation.image", 2))
    assert validate(tmp_path / "out") == []
