"""Checkpoints: the policy (EMA weights, loadable with from_pretrained) and the exact training state."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

PRETRAINED = "pretrained_model"
STATE = "training_state.pt"


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class Checkpoints:
    """checkpoints/step_XXXXXXX/{pretrained_model, training_state.pt}, plus 'last' and 'best' pointers."""

    def __init__(self, run_dir: Path, keep: int = 2):
        self.dir = Path(run_dir) / "checkpoints"
        self.keep = keep

    def save(self, step: int, policy_to_save, training_state: dict[str, Any]) -> Path:
        target = self.dir / f"step_{step:07d}"
        tmp = self.dir / f".tmp_step_{step:07d}"
        shutil.rmtree(tmp, ignore_errors=True)
        policy_to_save.save_pretrained(tmp / PRETRAINED)
        torch.save({**training_state, "rng": rng_state()}, tmp / STATE)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        self._point("last", target)
        self._rotate()
        return target

    def mark_best(self, step_dir: Path, metrics: dict[str, Any]) -> Path:
        best = self.dir / "best"
        tmp = self.dir / ".tmp_best"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(step_dir / PRETRAINED, tmp / PRETRAINED)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
        shutil.rmtree(best, ignore_errors=True)
        tmp.rename(best)
        return best

    def _point(self, name: str, target: Path) -> None:
        (self.dir / f"{name}.txt").write_text(target.name)

    def last(self) -> Path | None:
        pointer = self.dir / "last.txt"
        if not pointer.exists():
            return None
        path = self.dir / pointer.read_text().strip()
        return path if (path / STATE).exists() else None

    def load_state(self, step_dir: Path) -> dict[str, Any]:
        return torch.load(step_dir / STATE, map_location="cpu", weights_only=False)

    def _rotate(self) -> None:
        steps = sorted(p for p in self.dir.glob("step_*") if p.is_dir())
        for old in steps[: max(0, len(steps) - self.keep)]:
            shutil.rmtree(old, ignore_errors=True)
