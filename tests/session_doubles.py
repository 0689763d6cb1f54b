"""Stand-ins for a robot and a person in session tests: the protocol's defaults, nothing else."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class RobotDouble:
    """What the episode loop reads from a robot besides observations and actions: no verdict, no scene."""

    name = "double"
    camera_shapes: ClassVar[dict] = {}
    success = False
    done = False
    reward = 0.0
    seed = None
    initial_state = None

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def reset(self, seed=None):
        return self.get_observation()

    def hold_action(self, observation) -> np.ndarray:
        return np.zeros(len(self.action_names), np.float32)

    def joint_positions(self, observation) -> np.ndarray:
        return np.asarray(observation["state"], np.float32)


class PersonDouble:
    """A person who never takes over by moving a device and notes nothing."""

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    def start_episode(self) -> None: ...

    def moving(self) -> bool:
        return False

    def watch(self, watching: bool) -> None: ...

    def meet(self, joints) -> None: ...

    def episode_info(self) -> dict[str, Any]:
        return {}

    def get_action(self, observation):
        return None

    def get_events(self) -> dict[str, Any]:
        return {}
