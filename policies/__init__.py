"""Policies: diffusion (U-Net / transformer), ACT and an MLP baseline, behind one interface.

Each policy is a sub-package with its config next to its model. This package knows nothing of
simulators or hardware: it sees observation dicts and returns actions.
"""

from __future__ import annotations

import importlib

POLICIES = {
    "diffusion": ("policies.diffusion.policy:DiffusionPolicy", "policies.diffusion.config:DiffusionConfig"),
    "act": ("policies.act.policy:ACTPolicy", "policies.act.config:ACTConfig"),
    "mlp": ("policies.mlp.policy:MLPPolicy", "policies.mlp.config:MLPConfig"),
    "hierarchical": ("policies.hierarchical.policy:HierarchicalPolicy", "policies.hierarchical.config:HierarchicalConfig"),
}


def _load(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def policy_class(name: str):
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; available: {sorted(POLICIES)}")
    return _load(POLICIES[name][0])


def config_class(name: str):
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; available: {sorted(POLICIES)}")
    return _load(POLICIES[name][1])


def load_policy(path, device="cpu"):
    """A policy saved with save_pretrained."""
    from policies.base import Policy

    return Policy.from_pretrained(path, device)
