"""Settings every policy shares; each policy's own config extends PolicyConfig."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from omegaconf import MISSING


class ActingError(ValueError):
    """A checkpoint told to act in a way its config cannot (a key it has no say over, a chunk longer than its horizon)."""


@dataclass
class VisionConfig:
    """The per-camera image encoder: a GroupNorm ResNet, then spatial-softmax keypoints."""

    # ResNet-18 is (64, 128, 256, 512) with 2 blocks per stage (the reference); smaller trains on CPUs.
    widths: list[int] = field(default_factory=lambda: [32, 64, 128, 256])
    blocks: int = 1
    keypoints: int = 32
    feature_dim: int = 64
    # One encoder for all cameras (True) or one per camera.
    shared: bool = False
    # Random crop (height, width) in training, centre crop at test; null: no crop.
    crop: list[int] | None = field(default_factory=lambda: [84, 84])


@dataclass
class PolicyConfig:
    # What a trained checkpoint may be told to do otherwise at run time without retraining (eval's policy.<key>=...).
    ACTING: ClassVar[tuple[str, ...]] = ("n_action_steps", "gripper_binary")

    name: str = MISSING
    # A checkpoint to start from (fine-tuning) or, for eval/rollout, to run.
    path: str | None = None
    n_obs_steps: int = 2
    horizon: int = 16
    n_action_steps: int = 8
    # Cameras the policy sees; null: every camera of the dataset; []: state only.
    cameras: list[str] | None = None
    use_state: bool = True
    # Condition on the instruction through the frozen sentence encoder and FiLM.
    use_language: bool = False
    # Sentence embeddings side by side in the language input (a hierarchy's low level: the motion and the task).
    language_inputs: int = 1
    vision: VisionConfig = field(default_factory=VisionConfig)
    state_norm: str = "min_max"
    action_norm: str = "min_max"
    image_norm: str = "mean_std"
    # Dataset features the policy learns to predict from its observation features while training, never read when
    # acting: an auxiliary loss that tells the image encoder what matters (e.g. observation.environment_state, the
    # objects' poses a sim records with task.environment_state=true). Each is standardised; weighted by auxiliary_weight.
    auxiliary_targets: list[str] = field(default_factory=list)
    auxiliary_weight: float = 1.0
    # Send the gripper's action (the action dimensions named "gripper") as the nearer of the two levels the demos span
    # (their min and max): a regression of an open-or-closed command averages the two into a half-closed jaw where the
    # demos disagree on when to close. Also a run-time setting (eval/rollout policy.gripper_binary=true).
    gripper_binary: bool = False
    # Filled from the dataset when training starts: camera shapes, state/action sizes and names.
    features: dict[str, Any] = field(default_factory=dict)

    @property
    def action_start(self) -> int:
        """Where a training window's actions start relative to the current frame: with the observation window, as
        diffusion_policy trains (its chunk covers the observed steps too); with one observation (ACT), at the frame."""
        return -(self.n_obs_steps - 1)

    def check(self) -> None:
        if not self.auxiliary_weight >= 0:
            raise ValueError(f"policy.auxiliary_weight must be >= 0, got {self.auxiliary_weight}")
        if self.n_obs_steps < 1:
            raise ValueError(f"policy.n_obs_steps must be >= 1, got {self.n_obs_steps}")
        if self.horizon < self.n_action_steps:
            raise ValueError(
                f"policy.horizon ({self.horizon}) is shorter than policy.n_action_steps ({self.n_action_steps}): "
                "a chunk cannot hold the actions to execute; raise horizon or lower n_action_steps"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyConfig:
        data = dict(data)
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
        if isinstance(data.get("vision"), dict):
            data["vision"] = VisionConfig(**data["vision"])
        for name, f in known.items():
            sub = getattr(f.type, "__dataclass_fields__", None) if isinstance(f.type, type) else None
            if sub and isinstance(data.get(name), dict):
                data[name] = f.type(**data[name])
        return cls(**data)
