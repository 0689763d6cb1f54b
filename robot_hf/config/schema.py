"""Typed schemas of the command configs; hydra checks every override against them.

Group options (task/, policy/, robot/, teleop/, feedback/, train/) carry their own schemas, defined
next to the code they configure and registered in `robot_hf.config.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


@dataclass
class RunConfig:
    dir: str = "outputs/${now:%Y-%m-%d_%H-%M-%S}"
    seed: int = 0
    # "auto" picks cuda when available, else cpu.
    device: str = "auto"


@dataclass
class VideoConfig:
    codec: str = "h264"
    crf: int = 23
    gop: int = 2
    preset: str = "veryfast"


@dataclass
class DatasetConfig:
    root: str | None = None
    repo_id: str = "local/robot-hf"
    num_episodes: int = 10
    # None: the task's (or robot's) own rate.
    fps: int | None = None
    use_videos: bool = True
    # Append to an existing dataset at root instead of refusing to touch it.
    resume: bool = False
    # Training: the policy's camera name -> the dataset's camera key, e.g. {front: observation.image}. Unnamed cameras
    # keep their own names (`observation.images.wrist` -> wrist, LeRobot's `observation.image` -> image).
    camera_keys: Any = None
    video: VideoConfig = field(default_factory=VideoConfig)


@dataclass
class TrainDatasetConfig(DatasetConfig):
    # One dataset, or a list of them (demos plus rollout sessions from other days): merged into <run.dir>/dataset.
    root: Any = None


@dataclass
class RecordLoopConfig:
    # None: the task's episode time limit.
    episode_time_s: float | None = None
    reset_time_s: float = 0.0
    # Show a live view (MuJoCo viewer / OpenCV window) when a display is available.
    display: bool = False
    # Take k's scene (and a policy's noise) start from seed + k. None: 0 for a new dataset, and for one being resumed the
    # seed after the last it holds, so no scene is recorded twice.
    seed: int | None = None


@dataclass
class EvalConfig:
    episodes: int = 50
    # Environments stepped together (gymnasium vector env); processes when > 1.
    num_envs: int = 1
    seed: int = 100_000
    videos: int = 4
    # Videos are rendered apart from the policy's inputs, this many pixels high, with a caption.
    video_height: int = 256
    # Policy steps per episode; None: the task's time limit (the arm's robot.episode_time_s on a real arm).
    max_steps: int | None = None
    # Real arms: seconds between episodes for the person to reset the scene.
    reset_time_s: float = 0.0


@dataclass
class SimRobotConfig:
    type: str = "sim"


@dataclass
class RerankConfig:
    # Best-of-N (V-GPS): sample n chunks, run the one the reward's value head scores best; 1: off.
    n: int = 1
    # The reward model whose value head scores chunks (fitted with `robot-hf reward value`).
    reward: str | None = None


@dataclass
class PolicyRef:
    path: str = MISSING
    rerank: RerankConfig = field(default_factory=RerankConfig)


@dataclass
class ActingPolicyRef(PolicyRef):
    """A checkpoint to run, acting otherwise than it was trained where set (LeRobot's eval overrides): how many of a
    chunk's actions run before it samples again, a diffusion policy's denoising steps, ACT's temporal ensemble and
    its weighting, a gripper command snapped to open or closed."""

    n_action_steps: int | None = None
    gripper_binary: bool | None = None
    num_inference_steps: int | None = None
    temporal_ensemble: bool | None = None
    ensemble_coeff: float | None = None


@dataclass
class RecordCommand:
    task: Any = MISSING
    robot: Any = MISSING
    teleop: Any = MISSING
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    record: RecordLoopConfig = field(default_factory=RecordLoopConfig)
    run: RunConfig = field(default_factory=RunConfig)


@dataclass
class TrainCommand:
    # None: the sim task the dataset was recorded in (robot-hf writes it into meta/robot_hf.json), or no task at all
    # (real-arm or Hub data): training then keeps checkpoints by validation loss and evaluates nothing in sim.
    task: Any = None
    policy: Any = MISSING
    train: Any = MISSING
    # None: behaviour cloning on every frame; hg_dagger / sirius: the learner's per-frame weights over demos and
    # rollout sessions (take-overs recorded with `robot-hf rollout`).
    feedback: Any = None
    # What each step minimises (configs/objective/): bc, or dpo / cpl on the dataset's preference pairs.
    objective: Any = MISSING
    dataset: TrainDatasetConfig = field(default_factory=TrainDatasetConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    run: RunConfig = field(default_factory=RunConfig)
    # Language motions (configs/motions/): the vocabulary, how paths are labelled, how long a correction holds.
    motions: Any = MISSING


@dataclass
class EvalCommand:
    # None: the sim task the checkpoint was trained for (eval, rollout) or the demos were recorded in (improve).
    task: Any = None
    # robot=sim: vectorised envs of the task; a real arm (robot=so101|koch): the episode loop, a person marking outcomes
    # with the teleop device's keys (keyboard: Enter success, n failure, Esc stop), every episode recorded in dataset.root.
    robot: Any = MISSING
    teleop: Any = MISSING
    policy: ActingPolicyRef = field(default_factory=ActingPolicyRef)
    eval: EvalConfig = field(default_factory=EvalConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    run: RunConfig = field(default_factory=RunConfig)


@dataclass
class RolloutCommand:
    # None: the sim task the checkpoint was trained for (eval, rollout) or the demos were recorded in (improve).
    task: Any = None
    robot: Any = MISSING
    teleop: Any = MISSING
    feedback: Any = MISSING
    policy: ActingPolicyRef = field(default_factory=ActingPolicyRef)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    record: RecordLoopConfig = field(default_factory=RecordLoopConfig)
    run: RunConfig = field(default_factory=RunConfig)
    # Language motions (configs/motions/): the vocabulary, how paths are labelled, how long a correction holds.
    motions: Any = MISSING


@dataclass
class ReplayCommand:
    task: Any = MISSING
    robot: Any = MISSING
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    episode: int = 0
    # Sim: start from the episode's saved initial state (exact replay) rather than its seed.
    from_state: bool = True
    run: RunConfig = field(default_factory=RunConfig)


@dataclass
class ImproveCommand:
    # None: the sim task the checkpoint was trained for (eval, rollout) or the demos were recorded in (improve).
    task: Any = None
    # robot=sim: rounds in the task's simulation with the simulated intervener; a real arm (robot=so101|koch): the person
    # at it takes over with the teleop device and marks outcomes, and evaluation runs on the arm.
    robot: Any = MISSING
    teleop: Any = MISSING
    feedback: Any = MISSING
    train: Any = MISSING
    # The policy to improve and the demonstrations it was trained on.
    policy: PolicyRef = field(default_factory=PolicyRef)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    rounds: int = 3
    episodes_per_round: int = 20
    eval_episodes: int = 50
    finetune_steps: int = 1000
    finetune_lr: float = 1e-4
    # Also run the baseline (in simulation): the same person-seconds per round (frames driven, corrections said) spent on
    # new full demonstrations.
    baseline: bool = True
    # Where each round's policy is evaluated: "auto" where the rollouts run (sim: vectorised envs; an arm: the person
    # marks outcomes), or "sim" to evaluate an arm's policy in the task's simulation, its sim twin.
    evaluate_in: str = "auto"
    run: RunConfig = field(default_factory=RunConfig)
    # Language motions (configs/motions/): the vocabulary, how paths are labelled, how long a correction holds.
    motions: Any = MISSING
    # feedback=preferences: the objective of feedback.method=dpo|cpl (its beta, anchor, pairs), the scripted teacher
    # (configs/teacher/), and the reward model, its queries and its training (as in `robot-hf reward`).
    objective: Any = MISSING
    teacher: Any = MISSING
    reward: Any = MISSING
    query: Any = MISSING
    reward_train: Any = MISSING


@dataclass
class QuickstartCommand:
    task: Any = MISSING
    policy: Any = MISSING
    train: Any = MISSING
    # Scripted demonstrations to record (the simulated teleoperator, 4 operators).
    demos: int = 30
    # One improvement round per entry, in order, each from the policy the one before left: improve's overrides
    # (feedback=... and that kind's keys).
    feedback_rounds: list[list[str]] = field(default_factory=lambda: [["feedback=hg_dagger"]])
    eval_episodes: int = 20
    episodes_per_round: int = 10
    finetune_steps: int = 600
    finetune_lr: float = 1e-4
    eval: EvalConfig = field(default_factory=EvalConfig)
    run: RunConfig = field(default_factory=RunConfig)


@dataclass
class HardwareCommand:
    robot: Any = MISSING


@dataclass
class FindDevicesCommand:
    pass


@dataclass
class DatasetCommand:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    # merge: the dataset roots to merge, in order, and where the merged dataset goes.
    sources: list[str] = field(default_factory=list)
    # merge / delete-episodes: write the result here instead of in place.
    output: str | None = None
    # delete-episodes: which episodes to drop.
    episodes: list[int] = field(default_factory=list)
    # validate: decode every video frame (not only keyframes), and fail on warnings too (cut-off takes, dropped staging).
    strict: bool = False
    # Language motions (configs/motions/): the vocabulary, how paths are labelled, how long a correction holds.
    motions: Any = MISSING


@dataclass
class LabelServerConfig:
    # 127.0.0.1: this machine only. Any other address needs a token the page presents (one is made up when null).
    host: str = "127.0.0.1"
    # 0: any free port.
    port: int = 8765
    token: str | None = None


@dataclass
class RewardCommand:
    """`robot-hf reward train|eval|label` and `robot-hf label`: preference-learned rewards."""

    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    # Scripted teacher (configs/teacher/) answering `reward label`'s queries.
    teacher: Any = MISSING
    reward: Any = MISSING
    query: Any = MISSING
    train: Any = MISSING
    # label: answers to reach in all (the dataset's earlier answers count), asked in rounds of `batch`.
    labels: int = 200
    batch: int = 50
    # Episodes that queries draw from and evaluation reports on; null: all.
    episodes: list[int] | None = None
    # label: who answers on the page (the annotator column); a new session continues that person's count.
    annotator: str = "person"
    # eval: episodes to plot learned reward against true progress for.
    plot_episodes: int = 4
    # value: actions per chunk the value head scores (the policy's n_action_steps).
    value_steps: int = 8
    server: LabelServerConfig = field(default_factory=LabelServerConfig)
    run: RunConfig = field(default_factory=RunConfig)
