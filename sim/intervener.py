"""A simulated person watching a policy and taking over when it errs (built on the scripted expert).

While the policy drives, the watcher keeps the expert's plan current and looks for four warning signs:
no progress for a while, the gripper off course from where the expert would be heading, a sudden loss
of progress (a dropped object), and a failure the expert sees coming (fingers about to knock a peg
over). After a reaction delay it takes over (an `intervene` event), drives with the expert until the
task has clearly moved on and any fine work is done, and hands back (`intervene` again). A take-over
that gets nowhere either, or a scene the expert cannot recover (a peg knocked over), ends the episode
as a failure (`failure`). Fine work (aligning a peg) does not count as getting nowhere: it barely moves
the task's progress.
Implements the Teleoperator interface; thresholds come from the feedback config.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.watcher import ScriptedWatcher


class SimulatedIntervener(ScriptedWatcher):
    def __init__(self, robot, config: Any, seed: int = 0, styles: list | None = None):
        super().__init__(robot, seed, styles)
        self.cfg = config
        self.start_episode()

    def start_episode(self) -> None:
        self.next_expert()
        self.in_control = False
        self.takeovers = 0
        self.best = -np.inf
        self.best_step = 0
        self.step = 0
        self.off_course = 0
        self.dropped = 0
        self.last_dist = np.inf
        self.pending = -1  # steps left before a decided take-over happens (reaction delay)
        self.control_steps = 0
        self.progress_to_beat = 0.0
        self.reason = ""
        self.reasons: list[str] = []
        self.gave_up = False
        self.episode_best = 0.0

    def get_action(self, observation: dict[str, Any]) -> np.ndarray:
        return self.expert.act(observation, self.robot.info)

    def get_events(self) -> dict[str, Any]:
        info = self.robot.info
        progress = float(info.get("progress", 0.0))
        self.step += 1
        self.episode_best = max(self.episode_best, progress)
        if progress > self.best + self.cfg.progress_epsilon:
            self.best, self.best_step = progress, self.step
        if self.robot.done or info.get("success"):
            return {}
        if self.in_control:
            self.control_steps += 1
            if self.expert.precise:
                # Fine work in hand (closing on a part, aligning a peg over its hole) barely moves the task's
                # progress, and a person keeps at it; max_takeover_steps still bounds the take-over.
                self.best_step = self.step
            if self.step - self.best_step >= self.cfg.give_up_steps or not self.expert.recoverable(self.robot.info):
                # Driving gets nowhere either (the object is out of reach), or the scene is lost: a person ends the
                # take as a failure rather than spend more of their time on it.
                self.in_control = False
                self.gave_up = True
                return {"failure": True}
            recovered = progress >= self.progress_to_beat + self.cfg.recover_progress
            # Fine work (closing on the object, aligning a peg) is finished before the hand-back.
            settled = recovered and self.control_steps >= self.cfg.min_takeover_steps and not self.expert.precise
            if self.control_steps >= self.cfg.max_takeover_steps or settled:
                self.in_control = False
                self.best, self.best_step, self.off_course, self.last_dist, self.dropped = progress, self.step, 0, np.inf, 0
                return {"intervene": True}
            return {}
        if self.pending >= 0:
            self.pending -= 1
            if self.pending < 0:
                return self._take_over(progress)
            return {}
        if self.takeovers >= self.cfg.max_takeovers:
            return {}
        reason = self._warning(info, progress)
        if reason:
            self.reason = reason
            self.pending = self.cfg.reaction_delay_steps
            if self.pending == 0:
                self.pending = -1
                return self._take_over(progress)
        return {}

    # ---- watching ---------------------------------------------------------------------------------------------
    def _warning(self, info: dict[str, Any], progress: float) -> str:
        if self.step - self.best_step >= self.cfg.no_progress_steps:
            return "no progress"
        # A loss must last: contacts flicker while the fingers close, and a person does not jump at that.
        self.dropped = self.dropped + 1 if self.best - progress >= self.cfg.progress_drop else 0
        if self.dropped >= self.cfg.drop_steps:
            return "progress lost"
        if self.expert.imminent_failure(info):
            return "imminent failure"
        privileged = info.get("privileged", {})
        if "ee_pos" in privileged:
            phase = self.expert.watch(info)  # keeps the expert's plan in step with the scene
            dist = float(np.linalg.norm(np.asarray(privileged["ee_pos"]) - phase.goal[:3]))
            closing = dist < self.last_dist - 0.002
            self.last_dist = dist
            self.off_course = self.off_course + 1 if (dist > self.cfg.off_course_m and not closing) else 0
            if self.off_course >= self.cfg.off_course_steps:
                return "off course"
        return ""

    def _take_over(self, progress: float) -> dict[str, Any]:
        if not self.expert.recoverable(self.robot.info):
            # Nothing the person could do from here (a peg knocked over): the episode is marked failed, no frames spent.
            self.gave_up = True
            self.reasons.append(f"{self.reason}, unrecoverable")
            return {"failure": True}
        self.in_control = True
        self.takeovers += 1
        self.control_steps = 0
        # Recovered means past the best the policy reached, not back to it: hovering again over an object the
        # policy knocked away is not yet a recovery (the policy would fail there the same way).
        self.progress_to_beat = max(progress, self.episode_best)
        self.best, self.best_step = progress, self.step  # give_up_steps counts from the take-over
        self.reasons.append(self.reason)
        self.expert.reset()  # plan afresh from the scene the policy left
        return {"intervene": True}

    def episode_info(self) -> dict[str, Any]:
        info = {"takeover_reasons": list(self.reasons)} if self.reasons else {}
        return {**info, "gave_up": True} if self.gave_up else info

