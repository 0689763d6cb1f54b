"""What every input device does when it has nothing special to do at an episode start or a take-over."""

from __future__ import annotations

from typing import Any

import numpy as np


class DeviceTeleop:
    """Defaults of the Teleoperator protocol's episode and take-over hooks (robot_hf.interfaces)."""

    def start_episode(self) -> None:
        """Nothing to set up: a device just keeps reporting."""

    def moving(self) -> bool:
        return False

    def watch(self, watching: bool) -> None:
        """While the policy drives nothing changes for a device with no pose of its own."""

    def meet(self, joints: np.ndarray) -> None:
        """A device with no pose of its own takes over from wherever the robot is."""

    def episode_info(self) -> dict[str, Any]:
        return {}
