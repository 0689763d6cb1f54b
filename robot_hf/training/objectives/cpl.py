"""Contrastive Preference Learning (Hejna et al.): preferences as regret, without a reward model or RL.

A segment's score is S = sum_t gamma^t * alpha * log pi(a_t | s_t), with log pi = -(the policy's action error)
up to scale (a Gaussian for the MLP, a Laplace for ACT, the ELBO term for diffusion); the loss is
-log(exp(S+) / (exp(S+) + exp(lambda * S-))) over the chosen (+) and rejected (-) segments' sampled frames, with a
conservative lambda <= 1. Plus bc_weight x the BC loss on the weighted frames (CPL's BC regulariser).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from robot_hf.training.objectives.config import ObjectiveConfig
from robot_hf.training.objectives.preference import PairScoring, unwrap


class ContrastivePreference:
    def __init__(self, config: ObjectiveConfig, policy, reader, windows, seed: int):
        self.config = config
        self.scoring = PairScoring(config, reader, windows, seed)

    def loss(self, model, batch: dict[str, Any], step: int) -> dict[str, torch.Tensor]:
        c = self.config
        policy = unwrap(model)
        both, offsets = self.scoring.batch(step, policy.device)
        errors = self.scoring.errors(policy, both, self.scoring.shared_draw(policy, both))
        discount = torch.as_tensor(c.gamma ** offsets, dtype=errors.dtype, device=errors.device)
        score = -c.alpha * (discount * errors).sum(-1)  # (2, pairs)
        cpl = F.softplus(c.conservative * score[1] - score[0]).mean()
        out = {"cpl": cpl.detach(), "preferred": (score[0] > score[1]).float().mean()}
        loss = cpl
        if c.bc_weight > 0:
            bc = model(batch)["loss"]
            loss = loss + c.bc_weight * bc
            out["bc"] = bc.detach()
        return {"loss": loss, **out}
