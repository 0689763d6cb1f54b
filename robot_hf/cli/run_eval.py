"""`robot-hf eval`."""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from policies.base import Policy
from robot_hf.evaluation.rollout import evaluate
from robot_hf.training.checkpoint import PRETRAINED
from robot_hf.training.setup import check_task


def load_checkpoint(path: str | Path, device: str = "cpu") -> Policy:
    """A policy from a checkpoint directory: step_N/, best/, or the pretrained_model/ inside them."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"policy.path={path} does not exist")
    if (path / PRETRAINED).exists():
        path = path / PRETRAINED
    return Policy.from_pretrained(path, device)


def main(cfg: DictConfig) -> int:
    import torch

    device = cfg.run.device if cfg.run.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    policy = load_checkpoint(cfg.policy.path, device)
    check_task(policy.config.features, cfg.task, f"checkpoint {cfg.policy.path}")
    run_dir = Path(cfg.run.dir)
    task = OmegaConf.to_container(cfg.task, resolve=True)
    result = evaluate(policy, task, cfg.eval.episodes, cfg.eval.num_envs, cfg.eval.seed, cfg.eval.max_steps,
                      video_dir=run_dir / "videos", videos=cfg.eval.videos,
                      on_episode=lambda i, ep: print(f"  episode {i:3d} seed {ep['seed']}: {'success' if ep['success'] else 'failure'} "
                                                     f"in {ep['length']} steps, max reward {ep['max_reward']:.3f}", flush=True))
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "eval.json").write_text(json.dumps({**result.summary(), "per_episode": result.per_episode}, indent=2))
    print(result.line())
    print(f"videos and eval.json in {run_dir}")
    return 0
