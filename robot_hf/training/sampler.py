"""Batches as a pure function of the step: resuming at step s draws exactly the batches it would have."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler


class StepBatchSampler(Sampler[list[int]]):
    """Batch s is a slice of the permutation of epoch (s * B * W) // N, seeded by (seed, epoch).

    With W data-parallel ranks, each step's global batch of B * W samples is split by rank.
    """

    def __init__(self, num_samples: int, batch_size: int, steps: int, seed: int, start_step: int = 0,
                 rank: int = 0, world_size: int = 1):
        if num_samples <= 0:
            raise ValueError("the dataset has no training samples")
        self.n, self.b, self.steps, self.seed = num_samples, batch_size, steps, seed
        self.start, self.rank, self.world = start_step, rank, world_size
        self._perm_epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            self._perm_epoch = epoch
        return self._perm

    def batch(self, step: int) -> list[int]:
        size = self.b * self.world
        first = step * size + self.rank * self.b
        out = []
        for pos in range(first, first + self.b):
            out.append(int(self._permutation(pos // self.n)[pos % self.n]))
        return out

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start, self.steps):
            yield self.batch(step)

    def __len__(self) -> int:
        return max(0, self.steps - self.start)
