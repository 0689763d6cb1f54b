"""Checkpoints: the policy (EMA weights, loadable with from_pretrained) and the exact training state."""

from __future__ import annotations

import json
import pickle
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

PRETRAINED = "pretrained_model"
STATE = "training_state.pt"
STEP_NAME = re.compile(r"step_\d{7}")


def rng_state() -> dict[str, Any]:
    """Every RNG's state in types `torch.load(weights_only=True)` accepts (tensors, numbers, tuples): no pickled objects."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": random.getstate(), "numpy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.int64).astype(np.uint32), pos, has_gauss, cached))
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
        name = pointer.read_text().strip()
        # A pointer names a step folder of this run, nothing else: a crafted last.txt must not lead outside it.
        if not STEP_NAME.fullmatch(name):
            raise ValueError(f"{pointer} names {name!r}, not a step folder of this run (step_NNNNNNN); "
                             "delete the file to resume from scratch")
        path = self.dir / name
        return path if (path / STATE).exists() else None

    def load_state(self, step_dir: Path) -> dict[str, Any]:
        """The training state, loaded as data only: a training_state.pt cannot run code when it is read."""
        try:
            return torch.load(step_dir / STATE, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            raise ValueError(f"{step_dir / STATE} holds more than tensors and plain data (an older robot-hf's, or a "
                             "tampered file), and is not loaded: start a new run from its policy with "
                             f"policy.path={step_dir / PRETRAINED}") from e

    def _rotate(self) -> None:
        steps = sorted(p for p in self.dir.glob("step_*") if p.is_dir())
        for old in steps[: max(0, len(steps) - self.keep)]:
            shutil.rmtree(old, ignore_errors=True)
