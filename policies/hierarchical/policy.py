"""A hierarchical policy: the high level picks a language motion every chunk, the low level acts on it.

High level (YAY Robot's instructor, on our observation encoder): the observation window's features and the task's
embedding -> an MLP -> a command embedding, scored by cosine similarity against the motions' embeddings over a
learned temperature, trained with cross-entropy on the motion a person chose. Low level: any policy, conditioned on
the motion's text and the task through its language input. `command(motion)` is a correction: it replaces the high level's pick
at once (the low level's queued actions are dropped) and holds for `hold_steps` or until the next command.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from policies import policy_class
from policies.base import Policy
from policies.encoders.language import EMBED_DIM, embed
from policies.hierarchical.config import HierarchicalConfig


class HierarchicalPolicy(Policy):
    name: ClassVar[str] = "hierarchical"
    config_class: ClassVar[type] = HierarchicalConfig

    def __init__(self, config: HierarchicalConfig, stats: dict[str, dict[str, Any]] | None = None):
        super().__init__(config, stats)
        self.texts = config.motion_texts()
        if not self.texts:
            raise ValueError("a hierarchical policy needs a motion vocabulary (motions=default); none was given")
        low = config.low_config()
        self.low = policy_class(low.name)(low, stats)
        self.register_buffer("motion_embeddings", embed(self.texts))
        self.goal_proj = nn.Sequential(nn.Linear(EMBED_DIM, 64), nn.ReLU())
        layers, width = [], self.encoder.out_dim * config.n_obs_steps + 64
        for h in config.high_hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, EMBED_DIM))
        self.high = nn.Sequential(*layers)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.override: str | None = None
        self.hold = 0
        self.current: list[str] | None = None
        self.since_pick = 0
        # A correction that does not name the gripper leaves it as it was ("move left" is not "move left and let go"):
        # the gripper's action dimensions (a position target on every arm here) keep their value from before it.
        entries = [*config.motions.get("extra", []), *config.motions.get("vocabulary", [])]
        self.grip_motions = {e["text"] for e in entries if "gripper" in e}
        self.last_action: np.ndarray | None = None
        self.kept_gripper: np.ndarray | None = None

    # ---- the high level ----------------------------------------------------------------------------------------
    def motion_logits(self, batch: dict[str, Any], goals: list[str]) -> torch.Tensor:
        feats = self.observation_features(batch)[:, : self.config.n_obs_steps].flatten(1)
        command = F.normalize(self.high(torch.cat([feats, self.goal_proj(embed(goals, self.device))], dim=-1)), dim=-1)
        return self.logit_scale.exp().clamp(max=100) * command @ self.motion_embeddings.T

    def low_language(self, motions: list[str], goals: list[str]) -> torch.Tensor:
        """The low level's language input: the motion in force and the task side by side (RT-H's pi(a | s, task,
        motion)). Summed into one vector instead, the motions drew closer and the low level obeyed less (Lift: 73%
        of the corrector's commands against 87%)."""
        return torch.cat([embed(motions, self.device), embed(goals, self.device)], dim=-1)

    def compute_loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        motion = batch["motion"].long()
        motions = [self.texts[int(m)] for m in motion.clamp_min(0)]
        language = self.low_language(motions, list(batch["goal"]))
        imitate = (motion >= 0).float()  # frames the low level has a target on (not those that ran under a correction)
        weight = batch["weight"].float() * imitate if "weight" in batch else imitate
        low = self.low.compute_loss({**batch, "task": motions, "language": language, "weight": weight})["loss"]
        target = batch["high_target"].long().to(self.device)
        chosen = target >= 0
        out = {"low_loss": low.detach()}
        # Scored even when no frame has a target (the loss is then 0): under DistributedDataParallel every parameter
        # must get a gradient each step.
        logits = self.motion_logits(batch, list(batch["goal"]))
        per_sample = F.cross_entropy(logits, target.clamp_min(0), reduction="none") * chosen
        weight = batch.get("weight", torch.ones_like(per_sample)).to(per_sample) * chosen
        high = (per_sample * weight).sum() / weight.sum().clamp_min(1e-8)
        if chosen.any():
            out["high_loss"] = high.detach()
            out["high_accuracy"] = ((logits.argmax(-1) == target) & chosen).sum().float().detach() / chosen.sum()
        out["loss"] = low + self.config.high_weight * high
        return out

    # ---- acting --------------------------------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.low.reset()
        self.override, self.hold, self.current, self.since_pick = None, 0, None, 0
        self.last_action = self.kept_gripper = None

    def command(self, motion: str | None, hold_steps: int = 0) -> None:
        """A person's correction: act on `motion` from the next action on, for hold_steps (0: until the next command);
        None ("continue") hands the choice back to the high level."""
        if motion is not None and motion not in self.texts:
            raise ValueError(f"{motion!r} is not a motion of this policy; its motions: {self.texts}")
        self.override, self.hold = motion, (hold_steps if motion is not None else 0)
        self.low._action_queue.clear()
        keep = motion is not None and motion not in self.grip_motions and self.last_action is not None
        self.kept_gripper = self.last_action[..., self.gripper_dims].copy() if keep else None

    def pick(self, batch: dict[str, Any], mid_chunk: bool) -> list[str]:
        """The high level's motion per sample; mid-chunk, the one in force stays unless another leads it by
        `repick_margin` in probability."""
        probs = self.motion_logits(batch, batch["task"]).softmax(-1)
        best = probs.argmax(-1)
        if mid_chunk and self.current is not None and self.config.repick_margin > 0:
            now = torch.tensor([self.texts.index(m) for m in self.current], device=probs.device)
            rows = torch.arange(len(best), device=probs.device)
            best = torch.where(probs[rows, best] - probs[rows, now] < self.config.repick_margin, now, best)
        return [self.texts[int(k)] for k in best]

    @property
    def current_motion(self) -> str | None:
        return self.current[0] if self.current else None

    @torch.no_grad()
    def select_action(self, observation: dict[str, Any]) -> np.ndarray:
        batch, single = self._window(observation)
        self._last_batch = batch
        self.since_pick += 1
        repick = self.override is None and self.config.repick_steps > 0 and self.since_pick >= self.config.repick_steps
        if not self.low._action_queue or repick:
            n = len(batch["task"])
            picks = [self.override] * n if self.override is not None else \
                self.pick(batch, mid_chunk=bool(self.low._action_queue))
            if picks != self.current:
                self.low._action_queue.clear()
            self.current, self.since_pick = picks, 0
        language = self.low_language(list(self.current), list(batch["task"])).cpu().numpy()
        action = self.to_robot(self.low.select_action({**observation, "task": self.current[0] if single else list(self.current),
                                                       "language": language[0] if single else language}))
        if self.override is not None and self.kept_gripper is not None:
            action = action.copy()
            action[..., self.gripper_dims] = self.kept_gripper
        self.last_action = action
        if self.override is not None and self.hold > 0:
            self.hold -= 1
            if self.hold == 0:  # the correction has run its time: the high level chooses again now
                self.command(None)
        return action
