"""Exponential moving average of a model's weights (warm-up decay as in diffusion_policy)."""

from __future__ import annotations

import copy

import torch
from torch import nn

from robot_hf.training.config import EMAConfig


class EMA:
    def __init__(self, model: nn.Module, config: EMAConfig):
        self.config = config
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.step = 0

    def decay(self) -> float:
        c = self.config
        value = 1 - (1 + self.step / c.inv_gamma) ** -c.power
        return float(min(c.max_decay, max(c.min_decay, value)))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = self.decay()
        ema_params, params = list(self.model.parameters()), [p.detach() for p in model.parameters()]
        if len(ema_params) != len(params):
            raise ValueError("EMA.update: the model's parameters differ from the averaged copy's")
        torch._foreach_lerp_(ema_params, params, 1 - d)  # ema + (1 - d) (p - ema): one kernel over every tensor
        for ema_b, b in zip(self.model.buffers(), model.buffers(), strict=True):
            ema_b.copy_(b)
        self.step += 1

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "step": self.step}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.step = int(state["step"])
