"""Diffusion-DPO with a behaviour-cloning anchor (RPO), for any policy that scores action chunks.

For a chosen (w) and a rejected (l) chunk at their own observations, on one shared draw (noise and timestep for
diffusion), the margin m = (e_ref(w) - e(w)) - (e_ref(l) - e(l)), where e is the policy's action error (minus its
log-likelihood up to scale: the denoising error for diffusion, MSE for the MLP, L1 for ACT) and e_ref that of a
frozen copy of the start policy; averaged over a segment's sampled frames. The preference term is Diffusion-DPO's
-log sigmoid(beta * m) / beta, or with `dpo_loss: ipo` IPO's (m - 1 / beta)^2, which stops pushing once the margin
reaches 1 / beta. Plus bc_weight x the BC loss on the batch of weighted frames (the demos), which keeps the policy
near its demonstrations.

Both terms are in the action error's units (the 1 / beta and the squared gap, as the IPO paper writes its loss), so
bc_weight weighs like against like: written as -log sigmoid(beta * m) or (beta * m - 1)^2, the preference term's
gradient is beta (or beta^2) times the BC loss's, and the anchor does nothing. On Lift that form let the pairs drag
the policy off its demos whatever their quality (the demos' BC loss 0.008 -> 0.05, success 66% -> 50% even with pairs
ranked by the sim's true progress); in these units the same pairs keep the anchor's gain (68%;
benchmarks/results/reward_improvement.txt).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F

from robot_hf.training.objectives.config import ObjectiveConfig
from robot_hf.training.objectives.preference import PairScoring, unwrap


class DiffusionDPO:
    def __init__(self, config: ObjectiveConfig, policy, reader, windows, seed: int):
        self.config = config
        self.scoring = PairScoring(config, reader, windows, seed)
        self.reference = copy.deepcopy(policy).eval().requires_grad_(False)

    def loss(self, model, batch: dict[str, Any], step: int) -> dict[str, torch.Tensor]:
        policy = unwrap(model)
        both, _ = self.scoring.batch(step, policy.device)
        draw = self.scoring.shared_draw(policy, both)
        errors = self.scoring.errors(policy, both, draw).mean(-1)
        with torch.no_grad():
            reference = self.scoring.errors(self.reference, both, draw).mean(-1)
        # The implicit reward of each chunk: how much better than the reference the policy explains it.
        margin = (reference[0] - errors[0]) - (reference[1] - errors[1])
        beta = self.config.beta
        dpo = ((margin - 1 / beta) ** 2).mean() if self.config.dpo_loss == "ipo" else -F.logsigmoid(beta * margin).mean() / beta
        out = {"dpo": dpo.detach(), "preferred": (margin > 0).float().mean(), "margin": margin.mean().detach()}
        loss = dpo
        if self.config.bc_weight > 0:
            bc = model(batch)["loss"]
            loss = loss + self.config.bc_weight * bc
            out["bc"] = bc.detach()
        return {"loss": loss, **out}
