"""A saved model on disk: config.json ({"type", "config"}) beside model.safetensors, for policies and rewards alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_model, save_model
from torch import nn

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save(module: nn.Module, directory: str | Path, kind: str, config: dict[str, Any]) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG_FILE).write_text(json.dumps({"type": kind, "config": config}, indent=2))
    save_model(module, str(directory / WEIGHTS_FILE), force_contiguous=True)  # channels-last weights too
    return directory


def read_payload(directory: str | Path, what: str) -> dict[str, Any]:
    """The saved {"type", "config"}; `what` names the model in the error ("policy", "reward model")."""
    config_file = Path(directory) / CONFIG_FILE
    if not config_file.exists():
        raise FileNotFoundError(f"{directory} holds no {what} ({CONFIG_FILE} is missing)")
    return json.loads(config_file.read_text())


def load_weights(module: nn.Module, directory: str | Path, device: str | torch.device) -> nn.Module:
    load_model(module, str(Path(directory) / WEIGHTS_FILE), device=str(device))
    return module.to(device).eval()
