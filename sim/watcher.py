"""What the simulated people who watch a policy share (the intervener, the language corrector): a scripted expert for
each episode that drives, or would drive, as that episode's person."""

from __future__ import annotations

import numpy as np

from sim.teleop import load_expert_class


class ScriptedWatcher:
    def __init__(self, robot, seed: int = 0, styles: list | None = None):
        self.robot, self.seed, self.episode = robot, seed, -1
        # The people, one per episode in turn (None: the clean expert, which no person is).
        self.styles = styles
        self.expert_class = load_expert_class(robot.env.config.name)

    # ---- Teleoperator interface ----------------------------------------------------------------------------------
    def connect(self) -> None:
        pass

    def disconnect(self) -> None:
        pass

    def moving(self) -> bool:
        return False

    def watch(self, watching: bool) -> None:
        """It always watches: its own events say when it steps in."""

    def meet(self, joints: np.ndarray) -> None:
        """No leader arm to bring to the robot's pose: its expert plans from the scene where the policy left it."""

    def next_expert(self) -> None:
        """The next episode's person: a fresh plan, their style, their own noise."""
        self.episode += 1
        style = self.styles[self.episode % len(self.styles)] if self.styles else None
        self.expert = self.expert_class(self.robot.env, style=style, seed=self.seed * 7919 + self.episode)
