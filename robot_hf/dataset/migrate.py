"""Datasets written by older robot-hf, brought up to the current columns when they are opened.

Before: `reward` held the environment's reward in demonstrations but RLIF's take-over label (-1 at each
take-over, 0 elsewhere) in rollouts, and `success` the robot's verdict. Now the environment's reward,
the verdict and the episode's end go by LeRobot's names (`next.reward`, `next.success`, `next.done`),
and the RLIF label has its own column (`rlif_reward`). The rewrite is one journaled commit, so an
interrupted migration is finished on the next open like any other commit.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robot_hf.dataset import layout
from robot_hf.dataset.atomic import Commit
from robot_hf.dataset.features import FEEDBACK_FEATURES
from robot_hf.dataset.metadata import DatasetMeta, episode_stats_columns
from robot_hf.dataset.parquet_schema import column_to_numpy, data_schema, numpy_to_column
from robot_hf.dataset.stats import aggregate, array_stats

log = logging.getLogger(__name__)

# Old column -> the columns that replace it, in its place.
REPLACED = {"reward": ("rlif_reward", "next.reward"), "success": ("next.done", "next.success")}


def needs_migration(meta: DatasetMeta) -> bool:
    return meta.has_feedback and "reward" in meta.features and "next.reward" not in meta.features


def _new_columns(table: pa.Table, features: dict) -> dict[str, np.ndarray]:
    episode = table.column("episode_index").to_numpy()
    intervention = column_to_numpy(table.column("intervention"), features["intervention"]).astype(bool)
    source = column_to_numpy(table.column("source"), features["source"])
    reward = column_to_numpy(table.column("reward"), features["reward"]).astype(np.float32)
    boundary = np.r_[True, episode[1:] != episode[:-1]] if len(episode) else np.zeros(0, bool)
    onset = intervention & (boundary | ~np.r_[False, intervention[:-1]])
    rollout = np.isin(episode, np.unique(episode[source == "policy"]))  # their old `reward` was the RLIF label
    return {
        "rlif_reward": np.where(onset, -1.0, 0.0).astype(np.float32),
        "next.reward": np.where(rollout, 0.0, reward).astype(np.float32),
        "next.done": np.r_[boundary[1:], True][: len(episode)] if len(episode) else np.zeros(0, bool),
        "next.success": column_to_numpy(table.column("success"), features["success"]).astype(bool),
    }


def migrate(root: Path) -> str | None:
    """Rewrite an old robot-hf dataset's feedback columns; a message when it did, None when nothing was due."""
    meta = DatasetMeta.load(root)
    if not needs_migration(meta):
        return None
    old = meta.features
    features: dict = {}
    for key, ft in old.items():
        if key in REPLACED:
            features.update({new: dict(FEEDBACK_FEATURES[new]) for new in REPLACED[key]})
        else:
            features[key] = ft
    schema = data_schema(features)
    commit = Commit(root)
    try:
        per_episode: dict[int, dict] = {}
        for ref in meta.data_files():
            path = layout.data_path(root, ref)
            table = pq.read_table(path)
            new = _new_columns(table, old)
            arrays = [numpy_to_column(new[f.name], f.name, features[f.name]) if f.name in new else table.column(f.name)
                      for f in schema]
            pq.write_table(pa.Table.from_arrays(arrays, schema=schema), commit.stage(path))
            episode = table.column("episode_index").to_numpy()
            for e in np.unique(episode):
                per_episode[int(e)] = {k: array_stats(v[episode == e]) for k, v in new.items()}
        for row in meta.episodes:
            for column in [c for c in row if c.split("/")[1:2] and c.split("/")[1] in REPLACED and c.startswith("stats/")]:
                del row[column]
            row.update(episode_stats_columns(per_episode.get(int(row["episode_index"]), {})))
        for key in REPLACED:
            meta.stats.pop(key, None)
        meta.stats.update(aggregate(list(per_episode.values())) if per_episode else {})
        meta.info["features"] = features
        meta.stage_episodes(commit)
        meta.stage_stats(commit)
        meta.stage_info(commit)
        commit.publish("migrated feedback columns")
    except BaseException:
        commit.abandon()
        raise
    return ("migrated robot-hf's feedback columns to this version's: `reward` became `next.reward` (the environment's) "
            "and `rlif_reward` (take-over labels), `success` became `next.success`, and `next.done` was added")
