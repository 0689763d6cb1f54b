"""A simulated person who corrects a hierarchical policy in words (built on the scripted expert).

It watches the policy's motion in force against the motion the expert would take from the scene (what the expert's
plan says: its next goal and gripper, seen as a displacement over one labelling window and named by the labeller's
rule), and when they differ for longer than its reaction delay it types the expert's motion, as a paraphrase held
out from the resolver's training; with probability `error_rate` it names a wrong motion instead. It sees what the
intervener sees: the scene's ground truth, the expert's plan, and the motion the policy is on.
Effort: each correction costs the reaction delay plus the typing time of its text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robot_hf.feedback.config import CorrectorConfig
from robot_hf.interfaces import EVENT_CORRECTION, EVENT_CORRECTION_BY
from robot_hf.language.motions import MotionsConfig, Vocabulary, describe
from robot_hf.language.paraphrases import sample_phrase

WHO = "simulated corrector"


class SimulatedCorrector:
    def __init__(self, robot, policy, motions: MotionsConfig, config: CorrectorConfig, seed: int = 0, styles: list | None = None):
        from sim.teleop import load_expert_class

        self.robot, self.policy, self.motions, self.cfg = robot, policy, motions, config
        self.vocab = Vocabulary.from_config(motions)
        self.by_text = {m.text: m for m in self.vocab.motions}
        self.expert_class = load_expert_class(robot.env.config.name)
        self.styles, self.seed, self.episode = styles, seed, -1
        self.rng = np.random.default_rng(seed)
        self.start_episode()

    # ---- Teleoperator interface ----------------------------------------------------------------------------------
    def connect(self) -> None:
        pass

    def disconnect(self) -> None:
        pass

    def start_episode(self) -> None:
        self.episode += 1
        style = self.styles[self.episode % len(self.styles)] if self.styles else None
        self.expert = self.expert_class(self.robot.env, style=style, seed=self.seed * 7919 + self.episode)
        self.disagree, self.corrections, self.seconds, self.wrong = 0, 0, 0.0, 0

    def get_action(self, observation: dict[str, Any]) -> None:
        return None

    def moving(self) -> bool:
        return False

    def watch(self, watching: bool) -> None:
        pass

    def meet(self, joints: np.ndarray) -> None:
        pass

    def episode_info(self) -> dict[str, Any]:
        return {"correction_seconds": round(self.seconds, 2), "wrong_corrections": self.wrong}

    # ---- watching --------------------------------------------------------------------------------------------------
    def intended(self) -> str:
        """The motion the expert would take now: its plan's next goal over one labelling window."""
        info = self.robot.info
        p = info["privileged"]
        phase = self.expert.watch(info)
        ee = np.append(p["ee_pos"], p["ee_yaw"])
        reach = self.expert.speed_m_s * self.motions.window / self.robot.fps
        move = phase.goal[:3] - ee[:3]
        dist = float(np.linalg.norm(move))
        if dist > reach:
            move *= reach / dist
        dyaw = float((phase.goal[3] - ee[3] + np.pi) % (2 * np.pi) - np.pi)
        grip = float(p["joints"][-1])
        delta = np.array([*move, dyaw, phase.gripper - grip])
        return describe(delta, grip < self.motions.holding_below, self.vocab, self.motions)

    def get_events(self) -> dict[str, Any]:
        if self.robot.done or self.robot.info.get("success") or self.corrections >= self.cfg.max_corrections:
            return {}
        want = self.intended()
        have = self.policy.current_motion
        if have is None or have == want:
            self.disagree = 0
            return {}
        self.disagree += 1
        if self.disagree <= self.cfg.reaction_delay_steps:
            return {}
        self.disagree = 0
        motion = want
        if self.cfg.error_rate and self.rng.random() < self.cfg.error_rate:
            others = [t for t in self.vocab.texts if t != want]
            motion = others[int(self.rng.integers(len(others)))]
            self.wrong += 1
        text = sample_phrase(self.by_text[motion], self.rng, "heldout")
        self.corrections += 1
        self.seconds += self.cfg.reaction_delay_steps / self.robot.fps + len(text) / self.cfg.chars_per_s
        return {EVENT_CORRECTION: text, EVENT_CORRECTION_BY: WHO}
