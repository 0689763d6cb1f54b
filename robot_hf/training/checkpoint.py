"""Checkpoints: the policy (EMA weights, loadable with from_pretrained) and the exact training state."""

from __future__ import annotations

import json
import os
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


def pretrained_dir(path: str | Path) -> Path:
    """The saved policy a user points at: a run folder (its best checkpoint), its checkpoints/ folder, best/, last,
    a step folder, or the pretrained_model/ inside one."""
    path = Path(path)
    if (path / "checkpoints").is_dir():
        path = path / "checkpoints"
    if path.name == "checkpoints" and path.is_dir():
        path = path / "best" if (path / "best").exists() else path / "last"
    if path.name == "last" and not path.exists() and (path.parent / "last.txt").exists():  # a run from before the link
        path = path.parent / (path.parent / "last.txt").read_text().strip()
    if (path / PRETRAINED).is_dir():
        path = path / PRETRAINED
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"policy.path={path} holds no saved policy: give a training run's folder "
                                "(outputs/train/<run>), or its checkpoints/best, checkpoints/last or a step folder")
    return path


class Checkpoints:
    """checkpoints/step_XXXXXXX/{pretrained_model, training_state.pt}, plus 'last' (a link, and last.txt for resume)
    and 'best' (hard links to the chosen policy's files, with its metrics). Only the newest step folder keeps the
    training state: resume needs nothing older."""

    def __init__(self, run_dir: Path, keep: int = 1):
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
        try:  # hard links: no second copy of the weights on disk, and best survives the step folder's rotation
            shutil.copytree(step_dir / PRETRAINED, tmp / PRETRAINED, copy_function=os.link)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(step_dir / PRETRAINED, tmp / PRETRAINED)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
        shutil.rmtree(best, ignore_errors=True)
        tmp.rename(best)
        return best

    def _point(self, name: str, target: Path) -> None:
        (self.dir / f"{name}.txt").write_text(target.name)
        link, tmp = self.dir / name, self.dir / f".tmp_{name}"
        tmp.unlink(missing_ok=True)
        try:
            tmp.symlink_to(target.name, target_is_directory=True)
            os.replace(tmp, link)
        except OSError:  # a file system without links: the .txt pointer alone
            tmp.unlink(missing_ok=True)

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
        for kept in steps[max(0, len(steps) - self.keep):-1]:
            (kept / STATE).unlink(missing_ok=True)

    def disk_bytes(self) -> int:
        """Bytes on disk, each hard-linked file once."""
        seen = {}
        for d, _, files in os.walk(self.dir):
            for f in files:
                st = os.lstat(os.path.join(d, f))
                seen[(st.st_dev, st.st_ino)] = st.st_size if not os.path.islink(os.path.join(d, f)) else 0
        return sum(seen.values())
