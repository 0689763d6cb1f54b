"""`robot-hf reward train|eval|label`: learn a reward from the preferences a dataset holds, judge it, or ask a
scripted teacher for more."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from policies.reward import RewardConfig, RewardModel
from robot_hf.dataset import DatasetReader, DatasetWriter
from robot_hf.feedback.reward.evaluation import evaluate_reward, format_metrics, plot_episodes, warnings_of
from robot_hf.feedback.reward.frames import FramePool
from robot_hf.feedback.reward.labeling import label_rounds, teacher_answers
from robot_hf.feedback.reward.queries import QueryConfig
from robot_hf.feedback.reward.training import LabelledPairs, RewardTrainConfig, fit_reward, split_pairs
from sim.teachers import ScriptedTeacher, TeacherConfig

MODEL_DIR = "reward_model"


def _section(cfg: DictConfig, key: str, klass):
    return klass(**OmegaConf.to_container(cfg[key], resolve=True))


def _reader(cfg: DictConfig) -> DatasetReader:
    if not cfg.dataset.root:
        raise ValueError("dataset.root is not set: name the dataset whose clips were (or are to be) compared, "
                         "e.g. dataset.root=data/lift_rollouts")
    if not (Path(cfg.dataset.root) / "meta" / "info.json").exists():
        raise FileNotFoundError(f"dataset.root={cfg.dataset.root} holds no dataset (meta/info.json is missing)")
    return DatasetReader(cfg.dataset.root)


def _episodes(cfg: DictConfig, pool: FramePool) -> np.ndarray:
    if cfg.episodes is None:
        return np.arange(pool.num_episodes)
    chosen = np.asarray(list(cfg.episodes), dtype=np.int64)
    bad = [int(e) for e in chosen if not 0 <= e < pool.num_episodes]
    if bad:
        raise ValueError(f"episodes={bad} do not exist; the dataset holds episodes 0..{pool.num_episodes - 1}")
    return chosen


def _model_config(cfg: DictConfig) -> RewardConfig:
    return RewardConfig(**{k: v for k, v in OmegaConf.to_container(cfg.reward, resolve=True).items() if k != "path"})


def _load_pool(cfg: DictConfig, reader: DatasetReader, model_cfg: RewardConfig, with_progress: bool) -> FramePool:
    camera_keys = OmegaConf.to_container(cfg.dataset.camera_keys, resolve=True) if cfg.dataset.camera_keys else None
    return FramePool.load(reader, model_cfg.image_size, model_cfg.cameras, camera_keys, with_progress=with_progress)


def _save(model: RewardModel, run_dir: Path, result: dict) -> Path:
    out = model.save_pretrained(run_dir / MODEL_DIR)
    (out / "training.json").write_text(json.dumps(result, indent=2))
    return out


def train(cfg: DictConfig) -> int:
    reader = _reader(cfg)
    prefs = reader.preferences
    if not prefs:
        raise ValueError(f"{reader.root} holds no preferences yet: label clips with `robot-hf label dataset.root={reader.root}` "
                         "or a scripted teacher with `robot-hf reward label`")
    model_cfg = _model_config(cfg)
    pool = _load_pool(cfg, reader, model_cfg, with_progress=False)
    train_cfg = _section(cfg, "train", RewardTrainConfig)
    model = (RewardModel.from_pretrained(cfg.reward.path) if cfg.reward.path
             else RewardModel(replace(model_cfg, features=pool.features(model_cfg.use_state))))
    pairs = LabelledPairs.from_preferences(pool, prefs)
    print(f"reward train: {len(pairs)} answered pairs of {len(prefs)} preferences in {reader.root}; "
          f"{model_cfg.members} members on {pool.cameras} at {model_cfg.image_size} px")
    result = fit_reward(model, pool, pairs, train_cfg, log=print)
    out = _save(model, Path(cfg.run.dir), result)
    print(f"held-out pair accuracy {result['held_out_accuracy']:.1%} ({result['held_out_pairs']} pairs), "
          f"train {result['train_accuracy']:.1%}, {result['seconds']:.0f} s; saved {out}")
    return 0


def evaluate(cfg: DictConfig) -> int:
    if not cfg.reward.path:
        raise ValueError("reward.path is not set: point it at a trained reward model, e.g. reward.path=outputs/reward/<run>/reward_model")
    model = RewardModel.from_pretrained(cfg.reward.path)
    reader = _reader(cfg)
    try:
        pool = _load_pool(cfg, reader, model.config, with_progress=True)
    except ValueError as e:  # not a sim recording: everything but the progress metrics
        print(f"reward eval: no true progress ({e})")
        pool = _load_pool(cfg, reader, model.config, with_progress=False)
    episodes = _episodes(cfg, pool)
    pairs = LabelledPairs.from_preferences(pool, reader.preferences)
    train_idx, held_idx = split_pairs(pairs, cfg.train.val_fraction, cfg.train.seed)
    metrics = evaluate_reward(model, pool, episodes, cfg.query.segment, pairs.subset(held_idx), pairs.subset(train_idx))
    run_dir = Path(cfg.run.dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    shown = [int(e) for e in np.linspace(0, len(episodes) - 1, min(cfg.plot_episodes, len(episodes))).round().astype(int)]
    plot = plot_episodes(model, pool, [int(episodes[i]) for i in shown], run_dir / "reward_vs_progress.png") if shown else None
    (run_dir / "reward_eval.json").write_text(json.dumps(metrics, indent=2))
    print(f"reward eval: {cfg.reward.path} on {len(episodes)} episodes of {reader.root}")
    print(format_metrics(metrics))
    for warning in warnings_of(metrics):
        print(f"warning: {warning}")
    print(f"wrote {run_dir / 'reward_eval.json'}" + (f" and {plot}" if plot else ""))
    return 0


def value(cfg: DictConfig) -> int:
    """Distil the reward into a value head over (state, action chunk) for best-of-N, saved as <reward.path>/value."""
    from robot_hf.feedback.reward.value import VALUE_DIR, fit_value, frame_rewards

    if not cfg.reward.path:
        raise ValueError("reward.path is not set: point it at the trained reward model the value head distils")
    if cfg.value_steps < 1:
        raise ValueError(f"value_steps={cfg.value_steps} must be >= 1: the actions per chunk (the policy's n_action_steps)")
    model = RewardModel.from_pretrained(cfg.reward.path)
    reader = _reader(cfg)
    head, result = fit_value(reader, frame_rewards(model, reader), cfg.value_steps, seed=cfg.run.seed)
    out = head.save_pretrained(Path(cfg.reward.path) / VALUE_DIR)
    (out / "training.json").write_text(json.dumps(result, indent=2))
    print(f"value head on {result['frames']} frames of {reader.root}: held-out R^2 {result['held_out_r2']:.2f}, "
          f"{result['seconds']:.0f} s; saved {out} (use it with policy.rerank.n=8 policy.rerank.reward={cfg.reward.path})")
    return 0


def label(cfg: DictConfig) -> int:
    if cfg.labels < 1 or cfg.batch < 1:
        raise ValueError(f"labels={cfg.labels} and batch={cfg.batch} must be positive (answers in all, answers per round)")
    reader = _reader(cfg)
    model_cfg = _model_config(cfg)
    pool = _load_pool(cfg, reader, model_cfg, with_progress=True)
    teacher = ScriptedTeacher(_section(cfg, "teacher", TeacherConfig))
    query = _section(cfg, "query", QueryConfig)
    query.check()
    mine = [p for p in reader.preferences if p.annotator == teacher.annotator]
    schedule = list(range(len(mine) + cfg.batch, cfg.labels, cfg.batch)) + [cfg.labels]
    model = RewardModel.from_pretrained(cfg.reward.path) if cfg.reward.path else None
    writer = DatasetWriter.open(reader.root)

    def store(answers: list) -> None:  # committed before the next round starts: an interrupted run keeps them
        writer.add_preferences(answers)
        writer.wait()

    try:
        model, prefs = label_rounds(
            pool, teacher_answers(pool, teacher, query.segment), store, model_cfg, query,
            _section(cfg, "train", RewardTrainConfig), schedule, seed=cfg.run.seed, episodes=_episodes(cfg, pool),
            existing=mine, model=model,
            report=lambda _, r: print(f"{r['labels']} labels: held-out pair accuracy {r['held_out_accuracy']:.1%}, "
                                   f"train {r['train_accuracy']:.1%}, fit {r['seconds']:.0f} s", flush=True))
    finally:
        writer.close()
    out = _save(model, Path(cfg.run.dir), {"labels": len(prefs), "teacher": teacher.annotator, "query": query.method})
    print(f"stored {len(prefs) - len(mine)} new answers by {teacher.annotator} in {reader.root}; reward model {out}")
    return 0


def label_page(cfg: DictConfig) -> int:
    """`robot-hf label`: the labeling page for a person, until Ctrl-C; every answer is stored as it is given."""
    from robot_hf.feedback.reward.label_server import LabelServer
    from robot_hf.feedback.reward.label_session import LabelSession, require_feedback

    if cfg.labels < 1 or cfg.batch < 1:
        raise ValueError(f"labels={cfg.labels} and batch={cfg.batch} must be positive (answers in all, answers per batch)")
    reader = _reader(cfg)
    query = _section(cfg, "query", QueryConfig)
    model = RewardModel.from_pretrained(cfg.reward.path) if cfg.reward.path else None
    if model is None and query.method != "uniform":
        raise ValueError(f"query.method={query.method} needs a reward model to score clips: set reward.path=..., "
                         "or query.method=uniform")
    camera_keys = OmegaConf.to_container(cfg.dataset.camera_keys, resolve=True) if cfg.dataset.camera_keys else None
    require_feedback(reader)
    writer = DatasetWriter.open(reader.root)
    try:
        session = LabelSession(reader, writer, query, cfg.labels, cfg.batch, annotator=cfg.annotator, model=model,
                               seed=cfg.run.seed, camera_keys=camera_keys)
        server = LabelServer(session, cfg.server.host, cfg.server.port, cfg.server.token)
        if server.token:
            print(f"robot-hf label: listening on {cfg.server.host}, reachable from other machines: the page needs "
                  f"its token, which is in this address")
        print(f"labeling page: {server.url}  ({session.remaining} of {cfg.labels} answers to go; Ctrl-C stops, "
              "every answer is already stored)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # Ctrl-C is how a person ends a labeling session
            pass
        finally:
            server.close()
            print(f"stored {len(session.answers)} answers by {cfg.annotator!r} in {reader.root}")
    finally:
        writer.close()
    return 0
