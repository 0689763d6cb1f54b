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
EVENTS = (EVENT_INTERVENE, EVENT_SUCCESS, EVENT_FAILURE, EVENT_RERECORD, EVENT_STOP, EVENT_CORRECTION, EVENT_ESTOP)


@runtime_checkable
class Robot(Protocol):
    """A sim or real arm. `send_action` returns what was really sent after safety clipping."""

    name: str
    fps: int
    action_names: list[str]
    state_names: list[str]
    camera_shapes: dict[str, tuple[int, int]]

    def connect(self) -> None: ...

    def get_observation(self) -> Observation: ...

    def send_action(self, action: Action) -> Action: ...

    def disconnect(self) -> None: ...


@runtime_checkable
class Teleoperator(Protocol):
    """A person's (or a stand-in's) input: an action in the robot's space, and events."""

    def connect(self) -> None: ...

    def get_action(self, observation: Observation) -> Action | None: ...

    def get_events(self) -> dict[str, Any]: ...

    def disconnect(self) -> None: ...
