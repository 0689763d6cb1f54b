"""Who acts in a session: a teleoperator (recording), a policy (evaluation), or the take-over machine.

An actor picks each step's action and says whose it is; the episode loop records it the same way
whoever acted. `after_step` sees the person's events (a take-over toggle), and `episode_info` adds
what the actor knows about the episode to its metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from robot_hf.interfaces import EVENT_INTERVENE, Action, Observation, Robot, Teleoperator

HUMAN, POLICY, CORRECTED = "human", "policy", "correction"


@dataclass
class Decision:
    """One step's action (None: hold still) and whose it is."""

    action: Action | None
    source: str
    intervention: bool = False
    # The RLIF label: the step a person took over from the policy.
    takeover_onset: bool = False
    # The instruction in force (a language motion) when it is not the task; recorded in the `instruction` column.
    instruction: str | None = None
    # Events the actor took from its own inputs (a typed correction it acted on at once), for the listeners.
    events: dict[str, Any] = field(default_factory=dict)
    # Paused for the person (typing a correction): no action is sent, no frame recorded, and the episode's clock (its
    # step budget) stands still; the robot holds its last target.
    paused: bool = False


class Actor(Protocol):
    def start_episode(self, robot: Robot, observation: Observation) -> None: ...

    def act(self, observation: Observation) -> Decision: ...

    def after_step(self, events: dict[str, Any], frame: int, observation: Observation) -> None: ...

    def status(self) -> str: ...

    def episode_info(self) -> dict[str, Any]: ...


class TeleoperatorActor:
    """A person drives every step (recording demonstrations)."""

    def __init__(self, teleop: Teleoperator):
        self.teleop = teleop

    def start_episode(self, robot: Robot, observation: Observation) -> None:
        pass

    def act(self, observation: Observation) -> Decision:
        return Decision(self.teleop.get_action(observation), HUMAN)

    def after_step(self, events: dict[str, Any], frame: int, observation: Observation) -> None:
        pass

    def status(self) -> str:
        return "recording"

    def episode_info(self) -> dict[str, Any]:
        return {}


class PolicyActor:
    """The policy drives every step (evaluation, or rollouts nobody takes over)."""

    def __init__(self, policy):
        self.policy = policy

    def start_episode(self, robot: Robot, observation: Observation) -> None:
        self.policy.reset()

    def act(self, observation: Observation) -> Decision:
        return Decision(self.policy.select_action(observation), POLICY)

    def after_step(self, events: dict[str, Any], frame: int, observation: Observation) -> None:
        pass

    def status(self) -> str:
        return "policy"

    def episode_info(self) -> dict[str, Any]:
        return {}


@dataclass
class TakeoverActor:
    """policy --(intervene)--> person --(intervene)--> policy.

    On a take-over the person's device meets the robot where it is (a leader arm drives to the follower's
    pose, an end-effector device starts from the gripper's pose), so control changes hands without a jump;
    on hand-back the policy's history and chunk queue are cleared. Moving the device while the policy drives
    also takes over (`takeover_on_motion`).
    """

    policy: Any
    teleop: Teleoperator
    takeover_on_motion: bool = True
    mode: str = POLICY
    takeovers: list[int] = field(default_factory=list)
    handbacks: list[int] = field(default_factory=list)
    human_frames: int = 0
    robot: Robot | None = None
    _step: int = 0

    def start_episode(self, robot: Robot, observation: Observation) -> None:
        self.robot = robot
        self.mode, self.takeovers, self.handbacks, self.human_frames, self._step = POLICY, [], [], 0, 0
        self.policy.reset()
        self.teleop.watch(True)

    def act(self, observation: Observation) -> Decision:
        step, self._step = self._step, self._step + 1
        if self.mode == HUMAN:
            self.human_frames += 1
            onset = bool(self.takeovers) and self.takeovers[-1] == step
            return Decision(self.teleop.get_action(observation), HUMAN, intervention=True, takeover_onset=onset)
        return Decision(self.policy.select_action(observation), POLICY)

    def after_step(self, events: dict[str, Any], frame: int, observation: Observation) -> None:
        """Apply this step's events: a toggle (or device motion while the policy drives) changes hands."""
        toggle = bool(events.get(EVENT_INTERVENE))
        if self.mode == POLICY and self.takeover_on_motion and self.teleop.moving():
            toggle = True
        if not toggle:
            return
        if self.mode == POLICY:
            self.mode = HUMAN
            self.takeovers.append(frame)
            self.teleop.watch(False)
            self.teleop.meet(self.robot.joint_positions(observation))
        else:
            self.mode = POLICY
            self.handbacks.append(frame)
            self.policy.reset()  # old observations and queued actions belong to before the take-over
            self.teleop.watch(True)

    def status(self) -> str:
        return f"{'HUMAN' if self.mode == HUMAN else 'policy'} | take-overs {len(self.takeovers)}"

    def episode_info(self) -> dict[str, Any]:
        return {"takeover_frames": list(self.takeovers), "handback_frames": list(self.handbacks),
                "human_frames": int(self.human_frames)}

