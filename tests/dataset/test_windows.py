import logging

import numpy as np
import pytest
import torch

from robot_hf.dataset import DatasetReader
from robot_hf.dataset.action_lag import lag_per_frame
from robot_hf.dataset.windows import WindowDataset
from tests.dataset.helpers import make_dataset


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    return DatasetReader(make_dataset(tmp_path_factory.mktemp("w") / "ds", lengths=(6, 10)))


def test_windows_pad_at_episode_edges(reader):
    w = WindowDataset(reader, n_obs_steps=2, horizon=5)
    assert len(w) == 16
    first = w[0]  # episode 0, frame 0: obs t-1 is before the episode; actions start at t-1
    assert first["observation_is_pad"].tolist() == [True, False]
    assert first["action_is_pad"].tolist() == [True, False, False, False, False]
    np.testing.assert_array_equal(first["action"][:, 0].numpy(), [0, 0, 1, 2, 3])
    last = w[5]  # episode 0, frame 5 (its last): actions t-1..t+3 run past the end
    assert last["action_is_pad"].tolist() == [False, False, True, True, True]
    np.testing.assert_array_equal(last["action"][:, 0].numpy(), [4, 5, 5, 5, 5])
    mid = w[6 + 4]  # episode 1, frame 4
    assert not mid["observation_is_pad"].any() and not mid["action_is_pad"].any()
    np.testing.assert_array_equal(mid["observation.state"][:, 1].numpy(), [3, 4])
    np.testing.assert_array_equal(mid["action"][:, 0].numpy(), [3, 4, 5, 6, 7])
    assert mid["episode_index"].item() == 1 and mid["task"] == "pick up the cube"
    assert mid["observation.images.front"].shape == (2, 3, 24, 32) and mid["observation.images.front"].dtype == torch.uint8


def test_action_start_and_weights(reader):
    weights = np.arange(16, dtype=np.float32)
    w = WindowDataset(reader, n_obs_steps=1, horizon=3, action_start=0, weights=weights, episodes=[1])
    assert len(w) == 10
    item = w[0]
    np.testing.assert_array_equal(item["action"][:, 0].numpy(), [0, 1, 2])
    assert item["weight"].item() == 6.0
    with pytest.raises(ValueError, match="one value per frame"):
        WindowDataset(reader, weights=np.ones(3))


def test_an_action_lag_pairs_each_frame_with_the_actions_recorded_that_many_steps_later(reader):
    lag = lag_per_frame(reader, [2, 1])  # episode 0's operator answered 2 steps late, episode 1's 1
    w = WindowDataset(reader, n_obs_steps=2, horizon=3, action_lag=lag)
    item = w[1]  # episode 0, frame 1: observations 0-1, actions from t-1+2
    np.testing.assert_array_equal(item["observation.state"][:, 1].numpy(), [0, 1])
    np.testing.assert_array_equal(item["action"][:, 0].numpy(), [2, 3, 4])
    last = w[4]  # frame 4 of 6: the lag runs the chunk past the episode's end, flagged as padding
    np.testing.assert_array_equal(last["action"][:, 0].numpy(), [5, 5, 5])
    assert last["action_is_pad"].tolist() == [False, True, True]
    np.testing.assert_array_equal(w[6 + 3]["action"][:, 0].numpy(), [3, 4, 5])
    assert WindowDataset(reader, n_obs_steps=2, horizon=3, action_lag=lag_per_frame(reader, 0))[1]["action"][:, 0].tolist() == [0, 1, 2]


@pytest.mark.parametrize(("setting", "says"), [
    (-1, "negative"), ([1], "1 values for 2 episodes"), ("auto?", "not a number of steps"), (True, "not a number"),
    ([1, 0.5], "not a number"),
])
def test_a_bad_action_lag_is_refused_naming_the_fix(reader, setting, says):
    with pytest.raises(ValueError, match=f"train.action_lag: .*{says}"):
        lag_per_frame(reader, setting)


def test_zero_weight_frames_are_never_drawn_but_stay_as_context(reader):
    weights = np.zeros(16, dtype=np.float32)
    weights[[7, 9]] = [1.0, 3.0]  # episode 1, frames 1 and 3
    w = WindowDataset(reader, n_obs_steps=2, horizon=4, action_start=0, weights=weights)
    assert len(w) == 2
    assert [int(w[i]["index"]) for i in range(2)] == [7, 9]
    item = w[0]  # frame 7's window reads frames 6 (observation) and 8-10 (actions), all of weight 0
    np.testing.assert_array_equal(item["observation.state"][:, 1].numpy(), [0, 1])
    np.testing.assert_array_equal(item["action"][:, 0].numpy(), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="every chosen frame has weight 0"):
        WindowDataset(reader, weights=weights, episodes=[0])
    with pytest.raises(ValueError, match=">= 0"):
        WindowDataset(reader, weights=-weights)


def test_cached_and_per_sample_decoding_agree(reader, caplog):
    cached = WindowDataset(reader, n_obs_steps=2, horizon=4, cache="memory")
    streamed = WindowDataset(reader, n_obs_steps=2, horizon=4, cache="none")
    with caplog.at_level(logging.INFO):
        on_disk = WindowDataset(reader, n_obs_steps=2, horizon=4, cache="auto", cache_budget_bytes=1000)
    assert (cached.cache_place, on_disk.cache_place, streamed.cache_place) == ("memory", "disk", None)
    assert "over the memory budget" in caplog.text and "on-disk frame cache" in caplog.text
    for i in (0, 5, 9, 15):
        a, b, c = cached[i], streamed[i], on_disk[i]
        for key in ("observation.images.front", "observation.images.wrist"):
            torch.testing.assert_close(a[key], b[key])
            torch.testing.assert_close(a[key], c[key])


def _assert_disk_cache_is_fresh(root):
    """The memory-mapped frames are exactly what decoding the dataset now gives."""
    on_disk, decoded = (WindowDataset(DatasetReader(root), cache=mode) for mode in ("disk", "memory"))
    assert on_disk.cache_place == "disk"
    for key in decoded.frames:
        np.testing.assert_array_equal(np.asarray(on_disk.frames[key]), decoded.frames[key])
    return on_disk


def test_the_disk_cache_is_rebuilt_when_episodes_change_and_never_serves_stale_frames(tmp_path):
    from robot_hf.dataset import DatasetWriter
    from robot_hf.dataset.edit import delete_episodes
    from tests.dataset.helpers import frame

    root = make_dataset(tmp_path / "ds", lengths=(6, 10))
    cache = root / ".cache/frames/observation.images.front.u8"
    _assert_disk_cache_is_fresh(root)
    built = cache.stat().st_mtime_ns
    _assert_disk_cache_is_fresh(root)
    assert cache.stat().st_mtime_ns == built  # unchanged dataset: the cache is reused, not decoded again

    with DatasetWriter.open(root) as writer:  # an episode added
        for t in range(7):
            writer.add_frame(frame(2, t))
        writer.save_episode(success=True)
    assert len(_assert_disk_cache_is_fresh(root).frames["observation.images.front"]) == 23

    delete_episodes(root, [0])  # an episode deleted: later frames move down
    assert len(_assert_disk_cache_is_fresh(root).frames["observation.images.front"]) == 17

    with open(cache, "r+b") as f:  # a build cut off (a killed process, a full disk): rebuilt, not read short
        f.truncate(100)
    _assert_disk_cache_is_fresh(root)


def test_stats_for_normalisation(reader):
    stats = WindowDataset(reader).stats()
    np.testing.assert_allclose(stats["action"]["min"], [0, -9])
    np.testing.assert_allclose(stats["action"]["max"], [9, 0])
    assert stats["observation.images.front"]["mean"].shape == (3, 1, 1)
    with pytest.raises(KeyError, match="no camera"):
        WindowDataset(reader, camera_keys=["observation.images.top"])


@pytest.mark.parametrize("cache", ["memory", "none"])
def test_episodes_table_that_disagrees_with_the_data_is_refused_whatever_the_cache(tmp_path, cache):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = make_dataset(tmp_path / "ds", lengths=(12, 15, 9))
    path = root / "meta/episodes/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    lengths = table.column("length").to_pylist()
    lengths[1] = 14
    pq.write_table(table.set_column(table.schema.get_field_index("length"), "length", pa.array(lengths, pa.int64())), path)
    with pytest.raises(ValueError, match=r"episode 1 is 14 frames at rows 12\.\.26 in meta/episodes, but the data has 15"):
        WindowDataset(DatasetReader(root), cache=cache)


@pytest.mark.parametrize("cache", ["memory", "none"])
def test_a_video_short_of_frames_is_refused_before_training_whatever_the_cache(tmp_path, cache):
    from robot_hf.dataset.video import concatenate

    root = make_dataset(tmp_path / "ds", lengths=(12, 15, 9))
    front = root / "videos/observation.images.front/chunk-000/file-000.mp4"
    cut = tmp_path / "cut.mp4"
    concatenate([(front, 0.0, 3.0)], cut)  # 30 of the 36 frames
    cut.replace(front)
    with pytest.raises(ValueError, match="file-000.mp4 holds 30 frames"):
        WindowDataset(DatasetReader(root), cache=cache)
