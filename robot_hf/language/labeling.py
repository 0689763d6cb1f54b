"""Motion labels for a whole dataset: per frame the language motion in force, from each episode's end-effector path.

`motion_labels` computes them (training does so in memory); `write_motion_labels` stores them in the dataset's
`instruction` column, with the motion texts added to its task table (`robot-hf dataset label-motions`), so any
dataset, a LeRobot-written one included, carries the hierarchy. The episode's task stays in `task_index`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import Commit
from robot_hf.dataset.features import DEFAULT_FEATURES, FEEDBACK_FEATURES
from robot_hf.dataset.metadata import DatasetMeta, episode_stats_columns
from robot_hf.dataset.parquet_schema import data_schema, numpy_to_column
from robot_hf.dataset.stats import aggregate, array_stats
from robot_hf.language.end_effector import end_effector_path
from robot_hf.language.motions import MotionsConfig, Vocabulary, label_path


def motions_config(cfg: Any) -> MotionsConfig:
    """A MotionsConfig from a hydra node or a dict."""
    from omegaconf import DictConfig, OmegaConf

    data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg or {})
    known = MotionsConfig.__dataclass_fields__
    return MotionsConfig(**{k: v for k, v in data.items() if k in known})


def motion_labels(reader, cfg: MotionsConfig) -> np.ndarray:
    """(N,) motion texts, one per frame of the dataset, from each episode's path."""
    vocab = Vocabulary.from_config(cfg)
    names = reader.features["observation.state"].get("names")
    path = end_effector_path(reader.column("observation.state"), names, cfg.end_effector)
    labels = np.empty(reader.num_frames, dtype=object)
    for lo, hi in reader.episode_bounds:
        labels[lo:hi] = label_path(path[lo:hi], vocab, cfg)
    return labels


def write_motion_labels(root: Path, cfg: MotionsConfig) -> dict[str, int]:
    """Store the labels in the `instruction` column (added where the dataset has none); frames per motion."""
    from robot_hf.dataset import DatasetReader

    reader = DatasetReader(root)
    labels = motion_labels(reader, cfg)
    meta = DatasetMeta.load(root)
    for text in Vocabulary.from_config(cfg).texts:
        meta.task_index(text, add=True)
    index = np.array([meta.tasks.index(t) for t in labels], dtype=np.int64)
    features = dict(meta.features)
    if "instruction" not in features:  # a LeRobot-written dataset: one more column, which LeRobot loads as an extra key
        own = {k: v for k, v in features.items() if k not in DEFAULT_FEATURES}
        features = own | {"instruction": dict(FEEDBACK_FEATURES["instruction"])} | {k: v for k, v in features.items() if k in DEFAULT_FEATURES}
    schema = data_schema(features)
    commit = Commit(Path(root))
    try:
        start = 0
        for ref in meta.data_files():
            path = layout.data_path(root, ref)
            table = pq.read_table(path)
            rows = table.num_rows
            column = numpy_to_column(index[start: start + rows], "instruction", features["instruction"])
            start += rows
            arrays = [column if f.name == "instruction" else table.column(f.name) for f in schema]
            pq.write_table(pa.Table.from_arrays(arrays, schema=schema), commit.stage(path))
        episode = reader.column("episode_index")
        per_episode = {int(e): {"instruction": array_stats(index[episode == e])} for e in np.unique(episode)}
        for row in meta.episodes:
            row.update(episode_stats_columns(per_episode.get(int(row["episode_index"]), {})))
        meta.stats.update(aggregate(list(per_episode.values())) if per_episode else {})
        meta.info["features"] = features
        meta.info["total_tasks"] = len(meta.tasks)
        meta.stage_tasks(commit)
        meta.stage_episodes(commit)
        meta.stage_stats(commit)
        meta.stage_info(commit)
        commit.publish("labelled language motions")
    except BaseException:
        commit.abandon()
        raise
    values, counts = np.unique(labels.astype(str), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))
