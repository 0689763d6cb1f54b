"""The shared language between robot_hf, sim and hardware (structural: nothing to inherit).

sim and hardware never import robot_hf; their classes match these protocols by shape, and
`isinstance(x, Robot)` checks it at run time.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

# Observation: {"images": {camera: HxWx3 uint8}, "state": float32[D], "task": str}
Observation = dict[str, Any]
# Action: float32[A] in the robot's own space (joint targets or end-effector deltas + gripper).
Action = np.ndarray

# Teleoperator events, as keys of the dict get_events() returns (value True, or the text for
# "correction"). One vocabulary for keyboards, gamepads, leader arms and simulated people.
EVENT_INTERVENE = "intervene"  # take over from the policy, or hand back (a toggle)
EVENT_SUCCESS = "success"  # the operator marks the episode a success and ends it
EVENT_FAILURE = "failure"  # the operator marks the episode a failure and ends it
EVENT_RERECORD = "rerecord"  # discard this take and record it again
EVENT_STOP = "stop"  # stop recording after this episode
EVENT_CORRECTION = "correction"  # a typed or spoken correction: the text
EVENT_ESTOP = "estop"  # emergency stop: torque off now
EVENT_CORRECTION_BY = "correction_by"  # who gave the correction (beside "correction"; "person" when absent)
EVENT_PAUSE = "pause"  # hold the arm and the episode's clock while the person types a correction
EVENTS = (EVENT_INTERVENE, EVENT_SUCCESS, EVENT_FAILURE, EVENT_RERECORD, EVENT_STOP, EVENT_CORRECTION, EVENT_ESTOP,
          EVENT_PAUSE)


@runtime_checkable
class Robot(Protocol):
    """A sim or real arm: everything the episode loop needs from it, so the loop has no robot-specific branch.

    `send_action` returns what was really sent after safety clipping (that is what is recorded).
    """

    name: str
    fps: int
    action_names: list[str]
    state_names: list[str]
    camera_shapes: dict[str, tuple[int, int]]
    # Steps in an episode when the session names no time limit.
    max_steps: int
    # The robot's own verdict after the last action: sim tasks check it, a real arm leaves it to the person
    # (False), and `done` ends the episode (the sim's time limit or termination; never on an arm).
    success: bool
    done: bool
    # The environment's reward after the last action (0.0 where there is none, as on a real arm).
    reward: float
    # How the episode started, kept in its metadata for replay: the scene's seed and saved state (None on an arm).
    seed: int | None
    initial_state: np.ndarray | None

    def connect(self) -> None: ...

    def reset(self, seed: int | None = None) -> Observation:
        """Start an episode: a seeded scene in sim; on an arm, the observation where it stands."""
        ...

    def get_observation(self) -> Observation: ...

    def send_action(self, action: Action) -> Action: ...

    def hold_action(self, observation: Observation) -> Action:
        """The action that keeps the robot where it is (when nobody is giving one)."""
        ...

    def joint_positions(self, observation: Observation) -> np.ndarray:
        """The joint angles in an observation: where a leader arm must meet the robot before a take-over."""
        ...

    def disconnect(self) -> None: ...


@runtime_checkable
class Teleoperator(Protocol):
    """A person's (or a stand-in's) input: an action in the robot's space, and events.

    The take-over hooks let the loop hand control over without knowing the device: `watch(True)` while the
    policy drives (moving a leader arm then asks for a take-over, `moving()`), `meet(joints)` when the
    person takes over (a leader arm drives to the follower's pose, an end-effector device starts from the
    gripper's pose).
    """

    def connect(self) -> None: ...

    def start_episode(self) -> None:
        """A new episode (or take) begins."""
        ...

    def get_action(self, observation: Observation) -> Action | None: ...

    def get_events(self) -> dict[str, Any]: ...

    def moving(self) -> bool: ...

    def watch(self, watching: bool) -> None: ...

    def meet(self, joints: np.ndarray) -> None: ...

    def episode_info(self) -> dict[str, Any]:
        """What the person noted about the episode just ended, for its metadata (e.g. why they took over)."""
        ...

    def disconnect(self) -> None: ...
