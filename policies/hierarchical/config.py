from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from policies.config import PolicyConfig, VisionConfig


@dataclass
class HierarchicalConfig(PolicyConfig):
    """A high level that picks a language motion every chunk and a low level (any policy) that acts on it.

    `low` is the low level's own config (a policy config: policy.low=diffusion_unet picks configs/policy/diffusion_unet);
    its observation window and chunking are the hierarchy's. `motions` is the vocabulary and labelling the policy was
    trained with (filled from the command's `motions` when training starts).
    """

    # Its chunking is the low level's, fixed when it was built; what it sends the gripper is its own.
    ACTING: ClassVar[tuple[str, ...]] = ("gripper_binary",)

    name: str = "hierarchical"
    low: Any = None
    motions: dict[str, Any] = field(default_factory=dict)
    # The high level: an MLP over the observation features and the task's embedding, to a command embedding scored
    # against the motions' embeddings (YAY Robot); the loss on it is weighted by high_weight.
    high_hidden: list[int] = field(default_factory=lambda: [256, 256])
    high_weight: float = 1.0
    # How often the high level reconsiders its motion, in control steps: 0 when the low level's chunk runs out; k every
    # k steps, dropping the queued actions when its pick changes (a motion can end mid-chunk: the cube is reached).
    repick_steps: int = 0
    # At a mid-chunk re-pick, a new motion replaces the one in force only when its probability leads by this much
    # (hysteresis: a high level torn between two motions would otherwise restart the chunk at every step).
    repick_margin: float = 0.0
    # Low-level loss weight of frames the high level has no target for is unchanged; the low level always trains.

    def __post_init__(self):
        if isinstance(self.low, dict) and self.low:
            from policies import config_class

            low = dict(self.low)
            low["use_language"] = True  # the low level obeys the motion in force, within the task
            low["language_inputs"] = 2
            low.setdefault("features", {})
            self.low = low
            probe = config_class(low["name"]).from_dict(low)
            self.n_obs_steps, self.horizon, self.n_action_steps = probe.n_obs_steps, probe.horizon, probe.n_action_steps
            # Both levels see the same cameras through the same encoder settings: what is set on the hierarchy
            # (policy.cameras=[]) holds for the low level too, and what is set only on the low level is taken up.
            if self.cameras is None:
                self.cameras = probe.cameras
            if self.vision == VisionConfig():
                self.vision = probe.vision

    def check(self) -> None:
        super().check()
        if self.repick_steps < 0:
            raise ValueError(f"policy.repick_steps must be >= 0 (0: when the chunk runs out), got {self.repick_steps}")
        if not 0 <= self.repick_margin < 1:
            raise ValueError(f"policy.repick_margin must lie in [0, 1) (a lead in probability), got {self.repick_margin}")
        self.low_config().check()

    def motion_texts(self) -> list[str]:
        """The vocabulary's texts in order: a task's own motions first, then the vocabulary's (a text once)."""
        texts: list[str] = []
        for entry in [*self.motions.get("extra", []), *self.motions.get("vocabulary", [])]:
            if entry["text"] not in texts:
                texts.append(entry["text"])
        return texts

    def low_config(self) -> PolicyConfig:
        from policies import config_class

        if not isinstance(self.low, dict) or "name" not in self.low:
            raise ValueError("policy.low must name the low-level policy: policy.low=diffusion_unet (or act, mlp)")
        low = dict(self.low, features=self.features, cameras=self.cameras, vision=asdict(self.vision))
        return config_class(low["name"]).from_dict(low)

    @property
    def action_start(self) -> int:
        return self.low_config().action_start
