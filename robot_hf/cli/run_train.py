"""`robot-hf train`."""

from __future__ import annotations

import json

from omegaconf import DictConfig

from robot_hf.training.workspace import TrainWorkspace


def main(cfg: DictConfig) -> int:
    result = TrainWorkspace(cfg).run()
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
          f"{result.wall_seconds:.0f} s with evaluations and saves); "
          f"checkpoints in {result.run_dir / 'checkpoints'}")
    if result.evals:
        e = result.evals[-1]
        if "success_rate" in e:
            print(f"last evaluation: success {100 * e['success_rate']:.1f}% over {e['episodes']} episodes; best: {result.best}")
        else:
            print(f"last {e['split']} loss {e['loss']:.4f}; best: {result.best}")
    return 0
