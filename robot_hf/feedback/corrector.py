"""A simulated person who corrects a hierarchical policy in words (built on the scripted expert).

It watches the policy's motion in force against the motion the expert would take from the scene (the path the expert's
plan would drive over one labelling window, on a twin of the scene, named by the labeller's rule: so the expert's own
demonstrations would draw no corrections), and when they point different ways (an axis opposite, no axis in common,
the gripper not as it should be; with `agree: exact`, whenever they differ) for longer than its reaction delay it says
the expert's motion: typed, as a paraphrase held out from the resolver's training, which reaches the robot only when
the last character is typed (the robot goes on meanwhile, and nothing else is said until then); or with hotkeys (one
key, or two for a two-axis move, then Enter). With `pause`, it first presses p + Enter, which holds the arm and the
episode's clock until the correction is in. With probability `error_rate` it names a wrong motion instead. It sees
what the intervener sees: the scene's ground truth, the expert's plan, and the motion the policy is on. Effort: each
correction costs the reaction delay plus the typing (or keying) time, and the pause keys where it pauses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robot_hf.feedback.config import CorrectorConfig
from robot_hf.interfaces import EVENT_CORRECTION, EVENT_CORRECTION_BY, EVENT_PAUSE
from robot_hf.language.motions import MotionsConfig, Vocabulary, compatible, describe
from robot_hf.language.paraphrases import sample_phrase
from robot_hf.session.corrections import hotkeys_for
from sim.watcher import ScriptedWatcher

WHO = "simulated corrector"


class SimulatedCorrector(ScriptedWatcher):
    def __init__(self, robot, policy, motions: MotionsConfig, config: CorrectorConfig, seed: int = 0, styles: list | None = None):
        from sim.lookahead import Lookahead

        super().__init__(robot, seed, styles)
        self.policy, self.motions, self.cfg = policy, motions, config
        self.vocab = Vocabulary.from_config(motions)
        self.lookahead = Lookahead(robot)
        self.rng = np.random.default_rng(seed)
        self.start_episode()

    # ---- Teleoperator interface ----------------------------------------------------------------------------------
    def start_episode(self) -> None:
        self.next_expert()
        self.disagree, self.corrections, self.seconds, self.wrong = 0, 0, 0.0, 0
        self.seen: str | None = None  # the motion the person has seen wanted while the policy does otherwise
        self.typing: list[tuple[int, dict[str, Any]]] = []  # what is being keyed: (ticks until Enter, the events then)

    def get_action(self, observation: dict[str, Any]) -> None:
        return None

    def episode_info(self) -> dict[str, Any]:
        return {"correction_seconds": round(self.seconds, 2), "wrong_corrections": self.wrong}

    # ---- watching --------------------------------------------------------------------------------------------------
    def intended(self) -> str:
        """The motion the expert would take now, named as the labeller names a demo: the path its plan drives over one
        labelling window, on a twin of the scene."""
        self.expert.watch(self.robot.info)  # keeps the plan's stage in step with the scene
        path = self.lookahead.path(self.expert, self.motions.window)
        delta = path[-1] - path[0]
        delta[3] = (delta[3] + np.pi) % (2 * np.pi) - np.pi
        return describe(delta, bool(path[0, 4] < self.motions.holding_below), self.vocab, self.motions)

    def lets_pass(self, have: str, want: str) -> bool:
        """Whether the person lets the policy's motion be: on the way to the wanted one, or (agree: exact) the same."""
        return have == want if self.cfg.agree == "exact" else compatible(have, want, self.vocab)

    def get_events(self) -> dict[str, Any]:
        if self.robot.done or self.robot.info.get("success"):
            return {}
        if self.typing:  # still typing: the robot goes on with what it was doing (unless paused)
            return self._keyed()
        if self.corrections >= self.cfg.max_corrections:
            return {}
        want = self.intended()
        have = self.policy.current_motion
        if have is None or self.lets_pass(have, want):
            self.disagree, self.seen = 0, None
            return {}
        # A person reacts to what stays wrong for their reaction time, not to a motion that flickers past.
        self.disagree = self.disagree + 1 if want == self.seen else 1
        self.seen = want
        if self.disagree <= self.cfg.reaction_delay_steps:
            return {}
        self.disagree, self.seen = 0, None
        motion = want
        if self.cfg.error_rate and self.rng.random() < self.cfg.error_rate:
            others = [t for t in self.vocab.texts if t != want]
            motion = others[int(self.rng.integers(len(others)))]
            self.wrong += 1
        keys = hotkeys_for(motion) if self.cfg.input == "keys" else None  # a task's own motions have no keys: typed
        if keys is not None:
            text, saying = motion, (len(keys) + 1) * self.cfg.key_s  # the keys and Enter
        else:
            text = sample_phrase(self.vocab.by_text[motion], self.rng, "heldout", self.vocab.has_small)
            saying = len(text) / self.cfg.chars_per_s
        pausing = 2 * self.cfg.key_s if self.cfg.pause else 0.0  # p and Enter
        self.corrections += 1
        self.seconds += self.cfg.reaction_delay_steps / self.robot.fps + pausing + saying
        self.typing = [(round(pausing * self.robot.fps), {EVENT_PAUSE: True})] if self.cfg.pause else []
        self.typing.append((round(saying * self.robot.fps), {EVENT_CORRECTION: text, EVENT_CORRECTION_BY: WHO}))
        return self._keyed() if self.typing[0][0] <= 0 else {}

    def _keyed(self) -> dict[str, Any]:
        """One tick of keying: the events whose Enter falls on this tick (the first line's steps count down)."""
        left, events = self.typing[0]
        if left > 1:
            self.typing[0] = (left - 1, events)
            return {}
        self.typing.pop(0)
        if self.typing and self.typing[0][0] <= 0:  # the next line is in at once too
            events = {**events, **self.typing.pop(0)[1]}
        return events
