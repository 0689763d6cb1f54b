"""`robot-hf eval`: in the task's simulation (vectorised), or on a real arm with a person marking the outcomes."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from policies.base import Policy
from policies.config import ActingError
from robot_hf.config.compose import ConfigError
from robot_hf.config.schema import ActingPolicyRef, PolicyRef
from robot_hf.factory import default_task
from robot_hf.training.checkpoint import pretrained_dir
from robot_hf.training.setup import check_robot, check_task

ACTING_KEYS = sorted({f.name for f in fields(ActingPolicyRef)} - {f.name for f in fields(PolicyRef)})


def load_checkpoint(path: str | Path, device: str = "cpu", acting: dict | None = None) -> Policy:
    """A policy from a run folder (its best), checkpoints/best or last, a step folder, or the pretrained_model/ in one;
    `acting`: how it acts instead of as trained (acting_settings)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"policy.path={path} does not exist")
    try:
        return Policy.from_pretrained(pretrained_dir(path), device, acting)
    except ActingError as e:
        raise ConfigError(str(e)) from e


def acting_settings(policy: DictConfig) -> dict:
    """The acting keys of an ActingPolicyRef that are set (policy.n_action_steps=4 ...)."""
    return {key: policy[key] for key in ACTING_KEYS if policy.get(key) is not None}


def with_rerank(policy: Policy, rerank: DictConfig | None) -> Policy:
    """policy.rerank.n > 1: best-of-N chunks by the value head of policy.rerank.reward."""
    if rerank is None or rerank.n <= 1:
        return policy
    from robot_hf.feedback.reward.value import load_value

    if not rerank.reward:
        raise ValueError(f"policy.rerank.n={rerank.n} needs policy.rerank.reward=<reward model with a value head>")
    value = load_value(rerank.reward)
    steps = getattr(policy.config, "n_action_steps", value.config.steps)
    if value.config.steps > steps or value.config.state_dim != policy.state_dim or value.config.action_dim != policy.action_dim:
        raise ValueError(f"the value head of {rerank.reward} scores {value.config.steps}-step chunks of state "
                         f"{value.config.state_dim} / action {value.config.action_dim}; the policy runs {steps}-step chunks "
                         f"of state {policy.state_dim} / action {policy.action_dim}: fit it again with value_steps={steps}")
    return policy.rerank(value, rerank.n)


def _print_episode(i: int, ep: dict) -> None:
    reward = f", max reward {ep['max_reward']:.3f}" if "max_reward" in ep else ""
    seed = f" seed {ep['seed']}" if "seed" in ep else ""
    print(f"  episode {i:3d}{seed}: {'success' if ep['success'] else 'failure'} in {ep['length']} steps{reward}", flush=True)


def _in_sim(cfg: DictConfig, policy: Policy, run_dir: Path):
    from robot_hf.evaluation.rollout import evaluate

    task = OmegaConf.to_container(cfg.task, resolve=True)
    check_task(policy.config.features, task, f"checkpoint {cfg.policy.path}")
    return evaluate(policy, task, cfg.eval.episodes, cfg.eval.num_envs, cfg.eval.seed, cfg.eval.max_steps,
                    video_dir=run_dir / "videos", videos=cfg.eval.videos, on_episode=_print_episode,
                    video_height=cfg.eval.video_height)


def _on_robot(cfg: DictConfig, policy: Policy, run_dir: Path):
    from robot_hf.evaluation.on_robot import evaluate_on_robot
    from robot_hf.factory import make_robot, make_teleop, open_writer
    from robot_hf.session import StatusLine
    from robot_hf.session.connection import connected

    robot = make_robot(cfg)
    check_robot(policy.config.features, robot, f"checkpoint {cfg.policy.path}")
    person = make_teleop(cfg, robot)
    if not cfg.dataset.root:
        cfg.dataset.root = str(run_dir / "episodes")
    with connected(robot, person) as release, open_writer(cfg, robot) as writer:
        result = evaluate_on_robot(robot, policy, person, writer, cfg.eval.episodes, seed=cfg.eval.seed,
                                   max_steps=cfg.eval.max_steps, video_dir=run_dir / "videos", videos=cfg.eval.videos,
                                   reset_time_s=cfg.eval.reset_time_s, status=StatusLine(), on_abort=release)
    for i, ep in enumerate(result.per_episode):
        _print_episode(i, ep)
    print(f"every frame is in {cfg.dataset.root}")
    return result


def main(cfg: DictConfig) -> int:
    import torch

    if cfg.eval.episodes <= 0:
        raise ValueError(f"eval.episodes must be positive, got {cfg.eval.episodes}")
    device = cfg.run.device if cfg.run.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    acting = acting_settings(cfg.policy)
    policy = with_rerank(load_checkpoint(cfg.policy.path, device, acting), cfg.policy.get("rerank"))
    default_task(cfg, policy.config.features.get("task"), f"checkpoint {cfg.policy.path}")
    run_dir = Path(cfg.run.dir)
    result = (_in_sim if cfg.robot.type == "sim" else _on_robot)(cfg, policy, run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "eval.json").write_text(json.dumps({**result.summary(), "acting": acting, "per_episode": result.per_episode}, indent=2))
    print(result.line())
    print(f"videos and eval.json in {run_dir}")
    return 0
