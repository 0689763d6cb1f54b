"""PickPlace instructions: a training set of phrasings and a held-out set never seen in training."""

from __future__ import annotations

import numpy as np

TRAIN_TEMPLATES = (
    "put the {obj} cube in the {zone} bowl",
    "place the {obj} cube into the {zone} bowl",
    "move the {obj} cube to the {zone} bowl",
    "pick up the {obj} cube and put it in the {zone} bowl",
    "drop the {obj} block in the {zone} bowl",
    "put the {obj} block into the {zone} bowl",
)
HELDOUT_TEMPLATES = (
    "could you set the {obj} cube inside the {zone} bowl",
    "the {obj} cube belongs in the {zone} bowl",
    "transfer the {obj} block over to the {zone} bowl",
)
SETS = {"train": TRAIN_TEMPLATES, "heldout": HELDOUT_TEMPLATES, "all": TRAIN_TEMPLATES + HELDOUT_TEMPLATES}


def templates(which: str) -> tuple[str, ...]:
    if which not in SETS:
        raise ValueError(f"task.instructions must be one of {sorted(SETS)}, got {which!r}")
    return SETS[which]


def draw(rng: np.random.Generator, which: str, obj: str, zone: str) -> tuple[int, str]:
    """A phrasing index into SETS[which] and the instruction text."""
    options = templates(which)
    k = int(rng.integers(len(options)))
    return k, options[k].format(obj=obj, zone=zone)
