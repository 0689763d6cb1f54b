"""The simulated teleoperator: a scripted expert driven the way a person drives.

Each episode is recorded by one of `operators` simulated people, each with a fixed style (speed,
reaction delay, hand noise, pauses, detours) drawn from `seed`, so a dataset has the spread of
human demonstrations. Implements the Teleoperator interface; it reads the privileged state the
simulation publishes, as a person reads the scene with their eyes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

import sim
from sim.experts.base import OperatorStyle


@dataclass
class ScriptedTeleopConfig:
    type: str = "scripted"
    # Distinct simulated operators; each episode is driven by one, in turn.
    operators: int = 4
    seed: int = 0
    # True: the clean expert (no delay, noise, pauses or detours).
    clean: bool = False
    # A take that has not succeeded by the time limit is re-recorded, as a person would.
    rerecord_failures: bool = True
    # Chance per episode that the operator misjudges the first grasp and tries again (demonstrations with recoveries).
    miss_prob: float = 0.0
    # Chance per step that the operator wanders off for a few steps and resumes from there (play-like coverage).
    play_prob: float = 0.0


def operator_styles(seed: int, count: int) -> list[OperatorStyle]:
    """`count` simulated people drawn from the one operator model (speed, reaction delay, hand noise, pauses, detours):
    the demonstrator and the intervener of an improvement round draw the same people from the same seed."""
    rng = np.random.default_rng(seed)
    return [OperatorStyle.sample(rng) for _ in range(max(1, count))]


def load_expert_class(task: str):
    module, cls = sim.EXPERTS[task].split(":")
    return getattr(importlib.import_module(module), cls)


class SimulatedTeleoperator:
    def __init__(self, robot, config: ScriptedTeleopConfig | None = None):
        self.robot = robot
        self.config = config or ScriptedTeleopConfig()
        self.styles = ([OperatorStyle()] * max(1, self.config.operators) if self.config.clean
                       else operator_styles(self.config.seed, self.config.operators))
        if self.config.miss_prob or self.config.play_prob:
            self.styles = [replace(s, miss_prob=self.config.miss_prob, play_prob=self.config.play_prob) for s in self.styles]
        self.expert_class = load_expert_class(robot.env.config.name)
        self.episode = -1
        self.expert = None
        self._events: dict[str, Any] = {}

    @property
    def operator(self) -> int:
        return self.episode % len(self.styles)

    def connect(self) -> None:
        pass

    def start_episode(self) -> None:
        """A new take: the next operator picks up the controls."""
        self.episode += 1
        style = self.styles[self.operator]
        self.expert = self.expert_class(self.robot.env, style=style, seed=self.config.seed * 100_003 + self.episode)
        self._events = {}

    def get_action(self, observation: dict[str, Any]) -> np.ndarray:
        if self.expert is None:
            self.start_episode()
        return self.expert.act(observation, self.robot.info)

    # The simulated demonstrator never hands control to a policy: the take-over hooks do nothing.
    def moving(self) -> bool:
        return False

    def watch(self, watching: bool) -> None:
        pass

    def meet(self, joints: np.ndarray) -> None:
        pass

    def episode_info(self) -> dict[str, Any]:
        return {"operator": self.operator}

    def get_events(self) -> dict[str, Any]:
        events = dict(self._events)
        self._events = {}
        if self.robot.success:
            events["success"] = True
        elif self.robot.done and self.config.rerecord_failures:
            events["rerecord"] = True
        elif self.robot.done:
            events["failure"] = True
        return events

    def disconnect(self) -> None:
        pass
