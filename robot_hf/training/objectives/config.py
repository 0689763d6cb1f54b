"""The objective/ config group: what a training step minimises (behaviour cloning, or a preference objective)."""

from __future__ import annotations

from dataclasses import dataclass, field

NAMES = ("bc", "dpo", "cpl")
SOURCES = ("teacher", "person", "intervention", "correction", "branch")
DPO_LOSSES = ("sigmoid", "ipo")


@dataclass
class ObjectiveConfig:
    # bc: behaviour cloning on the (weighted) frames; dpo: Diffusion-DPO against a frozen copy of the start policy,
    # with a BC anchor (RPO); cpl: contrastive preference learning on the policy's log-likelihood (no reference).
    name: str = "bc"
    # Preference pairs are read from the dataset's preferences table, from answers whose annotator starts with one of
    # these: teacher (scripted teachers), person (the labeling page), intervention (take-overs), correction, branch
    # (the policy's own continuations from one restored sim state, ranked by the learned reward: feedback.branches).
    sources: list[str] = field(default_factory=lambda: list(SOURCES))
    # Pairs per step, and frames scored per segment (the same offsets in both segments of a pair).
    pairs_per_step: int = 16
    frames_per_segment: int = 4
    # The behaviour-cloning anchor: the BC loss on the weighted frames (the demos) times this, added to the
    # preference loss. 0: none.
    bc_weight: float = 1.0
    # DPO: the inverse temperature on the difference of log-likelihood ratios (Diffusion-DPO's beta); it must suit the
    # scale of the policy's action error (per action dimension, normalised). The preference term is in the action
    # error's units whatever beta (robot_hf/training/objectives/dpo.py), so bc_weight is a like-for-like ratio. Beta
    # also sets the pull: IPO's gradient starts at 2 / beta of the margin's, so at 200 with bc_weight 1 the term pulls
    # ~1% as hard as the anchor, and on Lift's on-policy pairs the chosen chunk won only 49-57% of batches (chance);
    # beta 20 (or bc_weight 0.1) fits them (65-75%), with success unchanged (benchmarks/results/reward_improvement.txt).
    beta: float = 200.0
    # DPO's loss on the margin: "sigmoid" (Diffusion-DPO: -log sigmoid(beta x margin) / beta, which keeps pushing the
    # rejected chunk's error up for as long as the pair is not saturated), or "ipo" ((margin - 1 / beta)^2, IPO's
    # squared loss: the margin is driven to 1 / beta and held there, so the policy stops moving once a pair is
    # explained). ipo: on Lift with the U-Net's defaults the sigmoid loss dragged the policy off its demos (the anchor's
    # BC loss 0.017 -> 0.07) and success from 54% to 1% on 100 development seeds (labeler pairs only, 1000 steps; at
    # beta 20, 0%); IPO kept it at 45%, still 21 points under the anchor alone (benchmarks/results/reward_improvement.txt;
    # both measured before the preference term was put in the action error's units).
    dpo_loss: str = "ipo"
    # CPL: temperature alpha on the log-likelihood, conservative factor lambda <= 1 on the rejected segment, and the
    # discount over a segment's frames.
    alpha: float = 1.0
    conservative: float = 0.5
    gamma: float = 1.0
    # The learning rate is train.lr times this (configs/objective/dpo.yaml lowers it: see there).
    lr_scale: float = 1.0

    def check(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"objective={self.name!r} is not an objective; use one of {NAMES}")
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown:
            raise ValueError(f"objective.sources: {unknown} are not preference sources; use some of {SOURCES}")
        if self.dpo_loss not in DPO_LOSSES:
            raise ValueError(f"objective.dpo_loss must be sigmoid or ipo, got {self.dpo_loss!r}")
        if self.pairs_per_step < 1 or self.frames_per_segment < 1:
            raise ValueError("objective.pairs_per_step and objective.frames_per_segment must be >= 1")
        if self.bc_weight < 0 or self.beta <= 0 or self.alpha <= 0 or self.lr_scale <= 0:
            raise ValueError("objective.bc_weight must be >= 0, objective.beta, objective.alpha and objective.lr_scale > 0")
        if not 0 < self.conservative <= 1 or not 0 < self.gamma <= 1:
            raise ValueError("objective.conservative and objective.gamma must lie in (0, 1]")
