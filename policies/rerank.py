"""Best-of-N at run time (V-GPS): sample N action chunks, score each with a value head, run the best. No change to the
policy's weights; only stochastic samplers (diffusion) give N different chunks."""

from __future__ import annotations

from typing import Any

import torch


def repeat_batch(batch: dict[str, Any], n: int) -> dict[str, Any]:
    """Each sample of an observation batch n times in a row."""
    out = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            out[key] = value.repeat_interleave(n, dim=0)
        elif isinstance(value, list):
            out[key] = [v for v in value for _ in range(n)]
        else:
            out[key] = value
    return out


@torch.no_grad()
def best_of_n(policy, batch: dict[str, Any], value, n: int) -> torch.Tensor:
    """(B, n_action_steps, A): for each observation, the best of n chunks sampled from `policy` by `value`."""
    b = batch["observation.state"].shape[0]
    chunks = policy.predict_chunk(repeat_batch(batch, n))  # (B*n, K, A), robot units
    state = batch["observation.state"][:, -1].repeat_interleave(n, dim=0)
    scores = value(state.to(chunks.device), chunks).view(b, n)
    best = scores.argmax(dim=1)
    return chunks.view(b, n, *chunks.shape[1:])[torch.arange(b, device=chunks.device), best]
