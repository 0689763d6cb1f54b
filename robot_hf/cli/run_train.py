"""`robot-hf train`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig, ListConfig

from robot_hf.training.workspace import TrainWorkspace


def training_root(cfg: DictConfig) -> str:
    """The dataset to train on: dataset.root, or a list of roots merged (once) into <run.dir>/dataset."""
    root = cfg.dataset.root
    if not root:
        raise ValueError("dataset.root is not set: point it at a recorded dataset (robot-hf record ... dataset.root=...), "
                         "or at several: 'dataset.root=[data/demos,data/rollouts]'")
    if not isinstance(root, ListConfig | Sequence) or isinstance(root, str):
        return str(root)
    roots = [str(r) for r in root]
    missing = [r for r in roots if not (Path(r) / "meta/info.json").exists()]
    if missing:
        raise FileNotFoundError(f"dataset.root: {missing} hold no dataset (meta/info.json missing)")
    if len(roots) == 1:
        return roots[0]
    merged = Path(cfg.run.dir) / "dataset"
    if not (merged / "meta/info.json").exists():
        from robot_hf.dataset.edit import merge

        meta = merge(roots, merged)
        print(f"merged {len(roots)} datasets ({meta.total_episodes} episodes, {meta.total_frames} frames) into {merged}")
    return str(merged)


def main(cfg: DictConfig) -> int:
    cfg.dataset.root = training_root(cfg)
    weights = None
    if cfg.get("feedback") is not None:
        from robot_hf.dataset import DatasetReader
        from robot_hf.feedback.labels import describe_classes
        from robot_hf.feedback.learners import dataset_weights

        weights, learned = dataset_weights(DatasetReader(cfg.dataset.root), cfg.feedback.type, cfg.feedback)
        print(f"learning with {learned['learner']}: {describe_classes(learned['frames'], learned['class_weights'])}")
        run_dir = Path(cfg.run.dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "feedback.json").write_text(json.dumps({**learned, "dataset": cfg.dataset.root}, indent=2))
    result = TrainWorkspace(cfg, weights=weights).run()
    if not result.is_main:
        return 0
    summary = {
        "run_dir": str(result.run_dir), "steps": result.steps, "steps_per_second": round(result.steps_per_second, 2),
        "train_seconds": round(result.train_seconds, 1), "wall_seconds": round(result.wall_seconds, 1),
        "parameters": result.parameters, "final_loss": result.final_loss,
        "last_checkpoint": str(result.last) if result.last else None, "best_checkpoint": str(result.best) if result.best else None,
        "evals": [{k: e[k] for k in ("step", "success_rate", "ci95", "mean_max_reward", "mean_max_progress", "loss", "split") if k in e}
                  for e in result.evals],
    }
    (result.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"trained {result.steps} steps in {result.train_seconds:.0f} s ({result.steps_per_second:.1f} steps/s; "
          f"{result.wall_seconds:.0f} s with evaluations and saves)")
    print(f"checkpoints ({result.checkpoint_bytes / 2**20:.1f} MiB on disk):\n  {result.run_dir / 'checkpoints' / 'best'}\n"
          f"  {result.run_dir / 'checkpoints' / 'last'}\n(policy.path={result.run_dir} picks best)")
    if result.evals:
        e = result.evals[-1]
        if "success_rate" in e:
            print(f"last evaluation: success {100 * e['success_rate']:.1f}% over {e['episodes']} episodes")
        else:
            print(f"last {e['split']} loss {e['loss']:.4f}")
    return 0
