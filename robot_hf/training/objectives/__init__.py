"""Training objectives, one file per method, chosen with `objective=<name>`; TrainWorkspace calls `loss(model,
batch, step)` each step. Preference objectives read their pairs from the dataset and draw them from the step, so a
resumed run sees the same batches."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from robot_hf.config.compose import ConfigError, config_errors
from robot_hf.training.objectives.bc import BehaviourCloning
from robot_hf.training.objectives.config import ObjectiveConfig
from robot_hf.training.objectives.cpl import ContrastivePreference
from robot_hf.training.objectives.dpo import DiffusionDPO

PREFERENCE = {"dpo": DiffusionDPO, "cpl": ContrastivePreference}


def objective_config(cfg: DictConfig) -> ObjectiveConfig:
    node = cfg.get("objective")
    if node is None:
        return ObjectiveConfig()
    with config_errors():
        config = ObjectiveConfig(**OmegaConf.to_container(node, resolve=True)) if isinstance(node, DictConfig) else node
        config.check()
    return config


def make_objective(config: ObjectiveConfig, policy, reader, windows, seed: int, fine_tuning: bool):
    if config.name == "bc":
        return BehaviourCloning()
    if not fine_tuning:
        raise ConfigError(f"objective={config.name} improves a trained policy: give its checkpoint with policy.path=...")
    from policies.base import Policy

    if type(policy).action_error is Policy.action_error:
        raise ConfigError(f"objective={config.name}: policy {policy.name} does not score action chunks; use diffusion, "
                          "act or mlp")
    return PREFERENCE[config.name](config, policy, reader, windows, seed)
