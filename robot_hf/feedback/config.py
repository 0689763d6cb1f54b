"""The feedback/ config group: how interventions are detected (simulated intervener) and learned from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IntervenerConfig:
    """When the simulated person takes over from the policy, and when they hand back."""

    # No progress: the task's progress has not risen by progress_epsilon for this many steps.
    no_progress_steps: int = 15
    progress_epsilon: float = 0.02
    # Imminent failure: progress this much below its best for drop_steps steps (a dropped object).
    progress_drop: float = 0.15
    drop_steps: int = 3
    # Off course: the gripper farther than off_course_m from the expert's goal, not closing in, this long.
    off_course_m: float = 0.05
    off_course_steps: int = 8
    reaction_delay_steps: int = 2
    # Hand back once progress is this much above the best of the episode so far (after at least
    # min_takeover_steps, and not in the middle of fine work such as closing on the object).
    recover_progress: float = 0.15
    min_takeover_steps: int = 5
    max_takeover_steps: int = 40
    # A take-over with no progress for this many steps ends the episode as a failure (the scene is lost).
    give_up_steps: int = 15
    max_takeovers: int = 3
    # In `improve`, the person who takes over drives as one of this many simulated operators (speed, hand noise,
    # pauses, detours), the same people the more-demos baseline's demonstrations come from that round; 0: the clean
    # expert, which no person is.
    operators: int = 4


@dataclass
class ClassWeights:
    """Sirius's per-class loss weights.

    scheme=fixed (the default): the per-class weights below, whatever the class sizes; the policy's own frames
    are left out by default, which is what gained on our benchmark (configs/feedback/sirius.yaml has the numbers).
    scheme=shares, as in the Sirius paper and its code: each class's weight is its target share of the
    training signal over its share of the frames. Demo frames keep their natural share, intervention frames
    are raised to intervention_share, pre-intervention frames lowered to pre_intervention_share, and policy
    frames get what is left (none when the demos and the interventions already fill it), at most
    policy_share_max; the demos take what that cap holds back.
    """

    scheme: str = "fixed"
    intervention_share: float = 0.5
    pre_intervention_share: float = 0.0
    # The most of the signal the policy's own frames may take; what the cap holds back goes to the demos.
    policy_share_max: float = 1.0
    demo: float = 1.0
    policy: float = 0.0
    pre_intervention: float = 0.0
    intervention: float = 2.0


@dataclass
class CorrectorConfig:
    """The simulated person who corrects a hierarchical policy in words (robot_hf/feedback/corrector.py)."""

    # The intervener's reaction time: the same person corrects and takes over.
    reaction_delay_steps: int = 2
    # The chance a correction names a wrong motion.
    error_rate: float = 0.0
    max_corrections: int = 12
    # When the person finds the policy's motion wrong: "direction" when it points another way than the expert's (an
    # axis opposite, no axis in common, the gripper not as it should be: "move down" passes while the expert would go
    # "move left and down"), "exact" whenever it is not the expert's motion.
    agree: str = "direction"
    # How the person says it: "typed" (a held-out paraphrase, which reaches the robot only once typed, at chars_per_s,
    # while the robot goes on) or "keys" (the motion's hotkeys, "wa" + Enter for "move forward and left"; key_s a stroke).
    input: str = "typed"
    chars_per_s: float = 4.0
    key_s: float = 0.15
    # Press p + Enter first, which holds the arm (and the episode's clock) until the correction is in.
    pause: bool = False

    def __post_init__(self):
        if self.input not in ("typed", "keys"):
            raise ValueError(f"feedback.corrector.input must be typed or keys, got {self.input!r}")
        if self.agree not in ("direction", "exact"):
            raise ValueError(f"feedback.corrector.agree must be direction or exact, got {self.agree!r}")


@dataclass
class BranchConfig:
    """On-policy pairs in simulation (robot_hf/feedback/reward/branches.py): k continuations of the policy from each of
    `states` states its rollouts visited, ranked by the learned reward; the best over the worst is a pair."""

    # Branch points per round (0: none).
    states: int = 0
    k: int = 4
    # Steps each continuation runs: the diffusion policies' horizon, the action chunk a pair's window trains on.
    steps: int = 16
    # A pair only where the best and the worst continuation's mean learned reward differ by more than this.
    min_gap: float = 0.0


@dataclass
class FeedbackConfig:
    # none | intervention (rollouts with take-over) | hg_dagger | sirius (learners used by `improve`)
    type: str = "intervention"
    intervener: IntervenerConfig = field(default_factory=IntervenerConfig)
    # Frames just before a take-over, labelled pre-intervention (Sirius).
    pre_window: int = 10
    weights: ClassWeights = field(default_factory=ClassWeights)
    # Sirius memory: policy frames from rounds older than this many are trimmed (weight 0).
    memory_rounds: int = 2
    # Take-over by moving the device (spacemouse, leader arm), besides the intervene button.
    takeover_on_motion: bool = True
    # feedback=corrections: the simulated corrector, and the loss weight of frames that ran under a correction.
    corrector: CorrectorConfig = field(default_factory=CorrectorConfig)
    correction_weight: float = 2.0
    # Refuse a correction the resolver is less sure of than this.
    min_confidence: float = 0.6
    # feedback=preferences: the policy runs alone, the teacher (teacher=...) compares clips of its rollouts, a reward
    # is learned from the answers (reward.*, reward_train.*, query.*), and `method` improves the policy: raft
    # (behaviour-clone the top_fraction of rollouts by the learned reward, demos kept), dpo or cpl (objective.*, on
    # the answers themselves, demos as the BC anchor), or best_of_n (rerank sampled chunks, weights unchanged).
    method: str = "raft"
    labels_per_round: int = 100
    top_fraction: float = 0.25
    # method=best_of_n: no fine-tuning; the policy runs the best of this many sampled chunks by a value head fitted to
    # the learned reward (its rollouts and evaluations alike).
    best_of: int = 8
    # A label's cost to the person: both clips play side by side once (query.segment frames at the dataset's rate),
    # then this long to decide and answer.
    decide_s: float = 2.0
    # In simulation: also pairs of the policy's own continuations from one restored state, ranked by the learned
    # reward (objective.sources' `branch`; for dpo and cpl).
    branches: BranchConfig = field(default_factory=BranchConfig)
