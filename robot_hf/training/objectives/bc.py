"""Behaviour cloning: the policy's own loss on each batch of windows, weighted per frame where the dataset's frames
carry weights (HG-DAgger, Sirius, corrections, RAFT's chosen rollouts)."""

from __future__ import annotations

from typing import Any

import torch


class BehaviourCloning:
    def loss(self, model, batch: dict[str, Any], step: int) -> dict[str, torch.Tensor]:
        return model(batch)
