"""Feedback kinds as plug-ins of the one episode loop: who the person is, who acts, what listens, how it is learned.

`rollout` and `improve` ask the kind named by `feedback.type`; neither has a branch for a kind. A learner's `weights`
gets the round's site and policy too, for what it may record after the rollouts (preference branches in sim).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf


class NoFeedback:
    def person(self, cfg: DictConfig, robot, policy, seed: int, styles=None):
        return None

    def actor(self, cfg: DictConfig, policy, person, robot):
        from robot_hf.session import PolicyActor

        return PolicyActor(policy)

    def listeners(self, cfg: DictConfig, person) -> list:
        return []


class Interventions:
    """A person may take over (the simulated intervener in sim); HG-DAgger or Sirius learn from it."""

    def person(self, cfg: DictConfig, robot, policy, seed: int, styles=None):
        if cfg.teleop.type == "scripted":
            from sim.intervener import SimulatedIntervener
            from sim.robot import SimRobot

            if not isinstance(robot, SimRobot):
                raise ValueError("teleop=scripted (the simulated intervener) watches simulated robots only")
            return SimulatedIntervener(robot, cfg.feedback.intervener, seed=seed, styles=styles)
        from robot_hf.factory import make_teleop

        return make_teleop(cfg, robot)

    def actor(self, cfg: DictConfig, policy, person, robot):
        from robot_hf.session import TakeoverActor

        return TakeoverActor(policy, person, cfg.feedback.takeover_on_motion)

    def listeners(self, cfg: DictConfig, person) -> list:
        from robot_hf.session import TakeoverPreferences

        return [TakeoverPreferences(annotator=f"intervention:{type(person).__name__}")]

    def weights(self, reader, cfg: DictConfig, round_index: int, site=None, policy=None) -> tuple[np.ndarray, dict]:
        from robot_hf.feedback.learners import dataset_weights

        return dataset_weights(reader, cfg.feedback.type, cfg.feedback, current_round=round_index)


class Corrections:
    """A person corrects a hierarchical policy in words (the simulated corrector in sim, typed lines everywhere)."""

    def __init__(self):
        self._resolver = None

    def motions(self, cfg: DictConfig):
        from robot_hf.language.labeling import motions_config

        return motions_config(cfg.motions)

    def resolver(self, cfg: DictConfig):
        if self._resolver is None:
            from robot_hf.language.motions import Vocabulary
            from robot_hf.language.resolver import MotionResolver

            self._resolver = MotionResolver(Vocabulary.from_config(self.motions(cfg)), cfg.feedback.min_confidence)
        return self._resolver

    def person(self, cfg: DictConfig, robot, policy, seed: int, styles=None):
        if not hasattr(policy, "command"):
            raise ValueError("feedback=corrections needs a hierarchical policy (train one with policy=hierarchical): "
                             f"{type(policy).__name__} has no motion a correction could replace")
        if cfg.teleop.type == "scripted":
            from robot_hf.feedback.config import CorrectorConfig
            from robot_hf.feedback.corrector import SimulatedCorrector

            corrector = CorrectorConfig(**OmegaConf.to_container(cfg.feedback.corrector, resolve=True))
            return SimulatedCorrector(robot, policy, self.motions(cfg), corrector, seed=seed, styles=styles)
        from robot_hf.factory import make_teleop

        return make_teleop(cfg, robot)

    def actor(self, cfg: DictConfig, policy, person, robot):
        from robot_hf.session.corrections import CorrectionsActor, TypedLines

        typed = TypedLines() if sys.stdin is not None and sys.stdin.isatty() else None
        hold = max(1, int(round(self.motions(cfg).hold_s * robot.fps)))
        return CorrectionsActor(policy, self.resolver(cfg), hold, typed)

    def listeners(self, cfg: DictConfig, person) -> list:
        from robot_hf.session.listeners import CorrectionPreferences, CorrectionsChannel

        return [CorrectionsChannel(self.resolver(cfg)), CorrectionPreferences(annotator=f"correction:{type(person).__name__}")]

    def weights(self, reader, cfg: DictConfig, round_index: int, site=None, policy=None) -> tuple[np.ndarray, dict]:
        """Demos (and take-overs) 1, frames that ran under a correction or that a correction named (from its lead on)
        `correction_weight`, the policy's own 0. The hierarchy's targets decide what each level learns there: the high
        level the spoken motion, the low level nothing (`language/targets.py`)."""
        from robot_hf.language.motions import Vocabulary
        from robot_hf.language.targets import spoken_motions

        source = reader.column("source")
        table = {"human": 1.0, "correction": float(cfg.feedback.correction_weight), "policy": 0.0}
        weights = np.array([table.get(s, 0.0) for s in source], dtype=np.float32)
        motions = self.motions(cfg)
        spoken = spoken_motions(reader, len(source), Vocabulary.from_config(motions), motions.window,
                                round(motions.lead_s * reader.fps))
        lead = (spoken >= 0) & (source == "policy")  # the policy's frames just before a correction named them
        weights[lead] = table["correction"]
        frames = {k: int(np.sum(source == k) - (lead.sum() if k == "policy" else 0)) for k in table}
        frames["correction lead"] = int(lead.sum())
        return weights, {"learner": "corrections", "frames": frames,
                         "class_weights": {**table, "correction lead": table["correction"]}}


class Preferences(NoFeedback):
    """The policy runs alone; a scripted teacher compares clips of the recordings; a reward learned from the answers
    picks the rollouts to imitate (RAFT), or the answers train the policy directly (DPO, CPL)."""

    def weights(self, reader, cfg: DictConfig, round_index: int, site=None, policy=None) -> tuple[np.ndarray, dict]:
        from robot_hf.feedback.reward.improvement import learn_from_preferences

        return learn_from_preferences(reader, cfg, round_index, site, policy)


KINDS: dict[str, Any] = {"none": NoFeedback, "intervention": Interventions, "hg_dagger": Interventions,
                         "sirius": Interventions, "corrections": Corrections, "preferences": Preferences}


def feedback_kind(cfg: DictConfig):
    kind = cfg.feedback.type if cfg.get("feedback") is not None else "none"
    if kind not in KINDS:
        raise ValueError(f"feedback={kind} is not a feedback kind; use one of {sorted(KINDS)}")
    return KINDS[kind]()
