"""One round of learning from preferences inside `improve`: ask the teacher about clips of the dataset, refit the
reward on every answer so far, and turn reward and answers into what the policy trains on.

The answers are stored in the dataset (meta/preferences) as soon as they are given, and the round's reward model is
saved under <run.dir>/rewards/round_<r>. A round cut off and redone keeps the earlier answers that still refer to
episodes of the dataset and asks a full batch again.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from policies.reward import RewardConfig, RewardModel
from robot_hf.dataset import DatasetReader, DatasetWriter
from robot_hf.feedback.config import BranchConfig
from robot_hf.feedback.reward.branches import ANNOTATOR, branch_episodes, branch_pairs, record_branches
from robot_hf.feedback.reward.frames import FramePool
from robot_hf.feedback.reward.labeling import label_rounds, teacher_answers
from robot_hf.feedback.reward.queries import QueryConfig
from robot_hf.feedback.reward.raft import episode_scores, raft_weights, top_episodes
from robot_hf.feedback.reward.training import RewardTrainConfig
from robot_hf.training.objectives.pairs import decided_pairs
from sim.teachers import ScriptedTeacher, TeacherConfig

METHODS = ("raft", "dpo", "cpl", "best_of_n")


def _section(cfg: DictConfig, key: str, klass):
    return klass(**{k: v for k, v in OmegaConf.to_container(cfg[key], resolve=True).items() if k != "path"})


def reward_dir(run_dir: Path, round_index: int) -> Path:
    return run_dir / "rewards" / f"round_{round_index}"


def _chunk_steps(cfg: DictConfig) -> int:
    """The actions per chunk the policy runs (what best-of-N chooses between)."""
    from policies.saved import read_payload
    from robot_hf.training.checkpoint import pretrained_dir

    return int(read_payload(pretrained_dir(cfg.policy.path), "policy")["config"].get("n_action_steps") or 1)


def _record_branches(reader: DatasetReader, config: BranchConfig, cfg: DictConfig, round_index: int, site,
                     policy) -> DatasetReader:
    """The policy's continuations from states of this round's rollouts (feedback.branches; in simulation only): the
    dataset with them."""
    if config.states <= 0 or site is None or policy is None or not site.has_sim:
        return reader
    rounds = np.asarray([int(ep.get("round") or 0) for ep in reader.meta.episodes])
    rollouts = np.flatnonzero((rounds == round_index) & ~branch_episodes(reader))
    robot = site.robot()
    try:
        record_branches(robot, policy, reader.root, rollouts.tolist(), config, config.steps,
                        seed=int(cfg.run.seed) * 1000 + round_index, episode_meta={"round": round_index})
    finally:
        robot.disconnect()
    return DatasetReader(reader.root)


def learn_from_preferences(reader: DatasetReader, cfg: DictConfig, round_index: int, site=None,
                           policy=None) -> tuple[np.ndarray, dict[str, Any]]:
    """`site` and `policy` (the round's): where feedback.branches records the policy's continuations (sim only)."""
    fb = cfg.feedback
    if fb.method not in METHODS:
        raise ValueError(f"feedback.method={fb.method!r} is not a preference method; use one of {METHODS}")
    run_dir = Path(cfg.run.dir)
    reward_cfg, query = _section(cfg, "reward", RewardConfig), _section(cfg, "query", QueryConfig)
    train_cfg = replace(_section(cfg, "reward_train", RewardTrainConfig), seed=int(cfg.run.seed) + round_index)
    teacher_cfg = TeacherConfig(**OmegaConf.to_container(cfg.teacher, resolve=True))
    teacher = ScriptedTeacher(replace(teacher_cfg, seed=teacher_cfg.seed + 1000 * int(cfg.run.seed) + round_index))
    pool = FramePool.load(reader, reward_cfg.image_size, reward_cfg.cameras, with_progress=True)
    existing = [p for p in reader.preferences if p.annotator == teacher.annotator]
    previous = reward_dir(run_dir, round_index - 1)
    start = RewardModel.from_pretrained(previous) if query.method != "uniform" and previous.exists() else None
    already = reward_dir(run_dir, round_index)

    def store(answers) -> None:
        with DatasetWriter.open(reader.root) as writer:
            writer.add_preferences(answers)

    # Only an unfinished round gets here: a model left by a cut-off attempt learned from rollouts since dropped.
    shutil.rmtree(already, ignore_errors=True)
    # Disagreement or entropy queries are chosen by the previous round's model, which is then trained further. Clips
    # come from demos and rollouts only: a branch episode repeats its rollout's frames up to the branch point.
    model, prefs = label_rounds(pool, teacher_answers(pool, teacher, query.segment), store, reward_cfg, query, train_cfg,
                                [len(existing) + int(fb.labels_per_round)], seed=int(cfg.run.seed) * 1000 + round_index,
                                episodes=np.flatnonzero(~branch_episodes(reader)), existing=existing, model=start)
    model.save_pretrained(already)
    asked = len(prefs) - len(existing)
    branches = _section(fb, "branches", BranchConfig)
    reader = _record_branches(reader, branches, cfg, round_index, site, policy)
    if reader.num_frames != pool.num_frames:  # the branches just recorded
        pool = FramePool.load(reader, reward_cfg.image_size, reward_cfg.cameras)
    rewards = model.rewards(pool.pixels, pool.state if model.state_dim else None).mean(axis=0)
    branch = branch_pairs(reader, rewards, branches.min_gap, round_index, annotator=f"{ANNOTATOR}:round_{round_index}")
    if branch:
        store(branch)
    scores = episode_scores(rewards, pool.bounds, query.segment)
    rounds = np.asarray([int(ep.get("round") or 0) for ep in reader.meta.episodes])
    rollouts = np.flatnonzero((rounds > 0) & ~branch_episodes(reader))
    demo_frames = reader.column("source") == "human"
    summary: dict[str, Any] = {
        "learner": fb.method, "labels": len(prefs), "labels_asked": asked,
        "labeling_seconds": round(asked * (query.segment / reader.fps + float(fb.decide_s)), 1),
        # The learned reward's view of each round's rollouts, all by this round's model (hacking shows as a rise here
        # while the task's own success falls).
        "learned_score": {int(r): float(np.mean(scores[rounds == r])) for r in sorted(set(rounds[rollouts].tolist()))},
        "reward_model": str(already),
    }
    if fb.method == "raft":
        chosen = top_episodes(scores, rollouts, float(fb.top_fraction))
        weights = raft_weights(reader.column("episode_index"), demo_frames, chosen)
        success = np.asarray([bool(reader.meta.episodes[e].get("success", False)) for e in chosen])
        summary.update(frames={"demos": int(demo_frames.sum()), "chosen rollouts": int(np.isin(reader.column("episode_index"), chosen).sum())},
                       class_weights={"demos": 1.0, "chosen rollouts": 1.0, "other rollouts": 0.0},
                       chosen=chosen.tolist(), chosen_success=float(success.mean()) if len(success) else None)
    elif fb.method == "best_of_n":
        from robot_hf.feedback.reward.value import VALUE_DIR, fit_value

        head, fitted = fit_value(reader, rewards, _chunk_steps(cfg), seed=int(cfg.run.seed) + round_index)
        head.save_pretrained(already / VALUE_DIR)
        weights = demo_frames.astype(np.float32)
        summary.update(frames={"recorded": int(reader.num_frames)}, class_weights={}, finetune=False,
                       describe=f"a value head fitted on {reader.num_frames} recorded frames; best-of-{fb.best_of} chunks from now on",
                       rerank={"n": int(fb.best_of), "reward": str(already)}, value=fitted)
    else:
        weights = demo_frames.astype(np.float32)
        objective = OmegaConf.to_container(cfg.objective, resolve=True)  # the method's preset (see config.compose)
        pairs = len(decided_pairs(DatasetReader(reader.root).preferences, objective["sources"]))  # every round's
        summary.update(frames={"demos": int(demo_frames.sum()), "pairs": pairs, "branch pairs": len(branch)},
                       class_weights={"demos": float(objective["bc_weight"])}, objective=objective,
                       describe=f"{fb.method} on {pairs} preference pairs, behaviour cloning on {int(demo_frames.sum())} demo "
                                f"frames as the anchor (weight {float(objective['bc_weight']):g})")
    return weights, summary
