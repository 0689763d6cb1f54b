"""The take-over state machine and the rollout loop.

policy --(intervene)--> human --(intervene)--> policy. On take-over a leader arm is first driven to
the follower's pose and an end-effector device starts from the gripper's pose, so control changes
hands without a jump; on hand-back the policy's history and chunk queue are cleared. Every frame is
tagged with its source and intervention flag; the reward column carries RLIF's label (-1 at each
take-over); take-over and hand-back frames go into the episode's metadata, and each take-over
becomes a preference pair (the person's segment over the policy's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from robot_hf.dataset import DatasetWriter
from robot_hf.feedback.preferences import intervention_preferences
from robot_hf.interfaces import (
    EVENT_CORRECTION,
    EVENT_ESTOP,
    EVENT_FAILURE,
    EVENT_INTERVENE,
    EVENT_RERECORD,
    EVENT_STOP,
    EVENT_SUCCESS,
)
from robot_hf.record.loop import StatusLine, frame_from, hold_action
from robot_hf.record.timing import LoopTimer


@dataclass
class TakeoverMachine:
    """Who drives: 'policy' or 'human'; transitions on intervene events (and device motion)."""

    policy: Any
    teleop: Any
    takeover_on_motion: bool = True
    mode: str = "policy"
    takeovers: list[int] = field(default_factory=list)
    handbacks: list[int] = field(default_factory=list)

    def reset(self) -> None:
        self.mode = "policy"
        self.takeovers, self.handbacks = [], []
        self.policy.reset()
        self._watch(True)

    def _watch(self, watching: bool) -> None:
        if hasattr(self.teleop, "watching"):
            self.teleop.watching = watching

    def update(self, events: dict[str, Any], frame: int, observation: dict[str, Any]) -> bool:
        """Apply this step's events; True when control changed hands."""
        toggle = bool(events.get(EVENT_INTERVENE))
        if self.mode == "policy" and self.takeover_on_motion and getattr(self.teleop, "moving", lambda: False)():
            toggle = True
        if not toggle:
            return False
        if self.mode == "policy":
            self.mode = "human"
            self.takeovers.append(frame)
            self._watch(False)
            joints = np.asarray(observation["state"])[:6]
            if hasattr(self.teleop, "move_to"):
                self.teleop.move_to(joints)  # the leader arm meets the follower where it is
            if hasattr(self.teleop, "reset") and hasattr(self.teleop, "ik"):
                self.teleop.reset(joints)  # an end-effector device starts from the gripper's pose
        else:
            self.mode = "policy"
            self.handbacks.append(frame)
            self.policy.reset()  # old observations and queued actions belong to before the take-over
            self._watch(True)
        return True


@dataclass
class RolloutStats:
    episodes: int = 0
    successes: int = 0
    frames: int = 0
    human_frames: int = 0
    takeovers: int = 0
    saved: list[int] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return self.successes / max(1, self.episodes)


def run_rollouts(robot, policy, teleop, writer: DatasetWriter, num_episodes: int, seed: int = 0,
                 max_steps: int | None = None, realtime: bool = False, takeover_on_motion: bool = True,
                 episode_meta: dict[str, Any] | None = None, status: StatusLine | None = None) -> RolloutStats:
    """Episode `ep` starts the scene and the policy's sampling noise from `seed + ep`, so rollouts repeat exactly.

    The torch RNG is forked, so the caller's random state is left as it was.
    """
    cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        return _run_rollouts(robot, policy, teleop, writer, num_episodes, seed, max_steps, realtime, takeover_on_motion,
                             episode_meta, status or StatusLine())


def _run_rollouts(robot, policy, teleop, writer: DatasetWriter, num_episodes: int, seed: int, max_steps: int | None,
                  realtime: bool, takeover_on_motion: bool, episode_meta: dict[str, Any] | None, status: StatusLine) -> RolloutStats:
    machine = TakeoverMachine(policy, teleop, takeover_on_motion)
    timer = LoopTimer(robot.fps, realtime)
    stats = RolloutStats()
    limit = max_steps or getattr(robot, "max_steps", 30 * robot.fps)
    for ep in range(num_episodes):
        torch.manual_seed(seed + ep)
        observation = robot.reset(seed=seed + ep) if hasattr(robot, "reset") else robot.get_observation()
        if hasattr(teleop, "start_episode"):
            teleop.start_episode()
        machine.reset()
        timer.reset()
        intervention_flags, outcome = [], None
        for step in range(limit):
            timer.tick()
            human = machine.mode == "human"
            action = teleop.get_action(observation) if human else policy.select_action(observation)
            if action is None:
                action = hold_action(robot, observation)
            sent = robot.send_action(action)
            onset = human and machine.takeovers and machine.takeovers[-1] == step
            writer.add_frame(frame_from(
                observation, sent, source="human" if human else "policy", intervention=bool(human),
                reward=-1.0 if onset else 0.0, success=bool(getattr(robot, "success", False)),
            ))
            intervention_flags.append(human)
            observation = robot.get_observation()
            events = teleop.get_events()
            if EVENT_CORRECTION in events:
                writer.add_correction(str(events[EVENT_CORRECTION]))
            machine.update(events, step + 1, observation)
            if getattr(robot, "success", False):
                outcome = EVENT_SUCCESS
            outcome = outcome or next((e for e in (EVENT_ESTOP, EVENT_SUCCESS, EVENT_FAILURE, EVENT_STOP, EVENT_RERECORD) if events.get(e)), None)
            if outcome or getattr(robot, "done", False):
                break
            status.update(f"rollout {ep + 1}/{num_episodes} | t={(step + 1) / robot.fps:5.1f}s | "
                          f"{'HUMAN' if machine.mode == 'human' else 'policy'} | take-overs {len(machine.takeovers)}")
            timer.wait()
        n = len(intervention_flags)
        success = outcome == EVENT_SUCCESS
        meta = {"success": success, "takeover_frames": list(machine.takeovers), "handback_frames": list(machine.handbacks),
                "human_frames": int(sum(intervention_flags)), **timer.summary(), **(episode_meta or {})}
        for key in ("seed", "initial_state"):
            value = getattr(robot, key, None)
            if value is not None:
                meta[key] = np.asarray(value).tolist() if key == "initial_state" else int(value)
        reasons = getattr(teleop, "reasons", None)
        if reasons:
            meta["takeover_reasons"] = list(reasons)
        index = writer.save_episode(**meta)
        flags = np.asarray(intervention_flags, dtype=bool)
        prefs = intervention_preferences(flags, np.arange(n), np.full(n, index), annotator=f"intervention:{type(teleop).__name__}")
        if prefs:
            writer.add_preferences(prefs)
        stats.episodes += 1
        stats.successes += int(success)
        stats.frames += n
        stats.human_frames += int(flags.sum())
        stats.takeovers += len(machine.takeovers)
        stats.saved.append(index)
        status.update(f"rollout {ep + 1}: {'success' if success else 'failure'} in {n} steps, "
                      f"{len(machine.takeovers)} take-over(s), {int(flags.sum())} human frames", force=True)
        if outcome in (EVENT_STOP, EVENT_ESTOP):
            break
    return stats
