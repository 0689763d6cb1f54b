"""A reward model learned from preferences: camera images (and optionally state) in, one reward per frame out."""

from policies.reward.config import RewardConfig
from policies.reward.model import RewardModel

__all__ = ["RewardConfig", "RewardModel"]
