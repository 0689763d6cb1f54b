"""The one episode loop: recording, rollouts with take-overs, and evaluation on a single robot.

Each step: observe, let the actor decide (a teleoperator, a policy, or the take-over machine), send the
action (the robot clips it), record what was really sent, read the person's events, let the listeners
(corrections, preferences, ...) take what they need, and decide whether the episode is over. The loop
owns timing, the status line and saving; it has no branch for a robot, a policy or a feedback kind.

However an episode ends, what was recorded is kept: a person's verdict (success, failure, stop, e-stop)
or the robot's (the sim's success check or time limit) saves it, a re-record discards the take, and an
exception or Ctrl-C saves the frames so far, marked `aborted`, before it propagates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from robot_hf.dataset import DatasetWriter, camera_key
from robot_hf.dataset.features import ENVIRONMENT_STATE
from robot_hf.interfaces import (
    EVENT_ESTOP,
    EVENT_FAILURE,
    EVENT_RERECORD,
    EVENT_STOP,
    EVENT_SUCCESS,
    Observation,
    Robot,
    Teleoperator,
)
from robot_hf.session.actors import HUMAN, Actor, Decision
from robot_hf.session.listeners import CorrectionsChannel, Listener, SavedEpisode
from robot_hf.session.signals import Terminated
from robot_hf.session.status import StatusLine
from robot_hf.session.timing import LoopTimer

log = logging.getLogger(__name__)

# Which verdict wins when a person gives several at once.
OUTCOMES = (EVENT_ESTOP, EVENT_RERECORD, EVENT_SUCCESS, EVENT_FAILURE, EVENT_STOP)


def frame_from(observation: Observation, decision: Decision, sent: np.ndarray, robot: Robot, outcome: str | None,
               last: bool) -> dict[str, Any]:
    """A dataset frame: the observation, the action really sent at the same tick, who sent it, what followed."""
    frame = {camera_key(name): image for name, image in observation["images"].items()}
    frame["observation.state"] = np.asarray(observation["state"], dtype=np.float32)
    if "environment_state" in observation:
        frame[ENVIRONMENT_STATE] = np.asarray(observation["environment_state"], dtype=np.float32)
    frame["action"] = np.asarray(sent, dtype=np.float32)
    frame["task"] = observation["task"]
    frame["instruction"] = decision.instruction or observation["task"]
    frame["source"] = decision.source
    frame["intervention"] = bool(decision.intervention)
    frame["rlif_reward"] = -1.0 if decision.takeover_onset else 0.0
    frame["next.reward"] = float(robot.reward)
    frame["next.success"] = bool(robot.success) or outcome == EVENT_SUCCESS
    frame["next.done"] = bool(last)
    return frame


def episode_verdict(success: bool, outcome: str | None, meta: dict[str, Any]) -> str:
    """How an episode ended, in words: a person who gave up on it says so, with the reason."""
    verdict = "success" if success else {EVENT_ESTOP: "emergency stop", EVENT_STOP: "stopped"}.get(outcome, "no success")
    if meta.get("gave_up"):
        reasons = meta.get("takeover_reasons") or []
        verdict += f" (the person gave up{': ' + reasons[-1] if reasons else ''})"
    return verdict


@dataclass
class SessionResult:
    saved: list[int] = field(default_factory=list)
    discarded: int = 0
    successes: int = 0
    stopped: bool = False
    # Frames in saved episodes.
    frames: int = 0
    # Every frame a person drove, re-recorded takes included: the human effort spent.
    human_frames: int = 0
    # The same effort in person-seconds at the robot's rate (a person drives in real time, however fast a sim runs),
    # and the attention a person spent watching the policy drive, ready to take over or to mark the outcome.
    driving_s: float = 0.0
    watching_s: float = 0.0
    # Seconds the arm held for the person (paused to type a correction), outside the episodes' step budgets.
    paused_s: float = 0.0
    takeovers: int = 0
    # Per saved episode: index, success, length, and what the actor noted (take-over frames ...).
    episodes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return self.successes / max(1, len(self.saved))


@dataclass
class _Take:
    decisions: list[Decision] = field(default_factory=list)
    outcome: str | None = None


class EpisodeLoop:
    def __init__(self, robot: Robot, actor: Actor, writer: DatasetWriter, *, person: Teleoperator | None = None,
                 listeners: Sequence[Listener] = (), seed: int = 0, max_steps: int | None = None, realtime: bool = False,
                 max_takes_per_episode: int = 10, reset_time_s: float = 0.0, episode_meta: dict[str, Any] | None = None,
                 status: StatusLine | None = None, label: str = "episode", on_abort: Callable[[], None] | None = None,
                 max_human_frames: int | None = None):
        self.robot, self.actor, self.writer, self.person = robot, actor, writer, person
        # A typed correction is never dropped: a session without a corrections channel of its own gets a plain one.
        own = any(isinstance(listener, CorrectionsChannel) for listener in listeners)
        self.listeners: list[Listener] = [*([] if own else [CorrectionsChannel()]), *listeners]
        self.seed, self.realtime, self.max_takes, self.reset_time_s = seed, realtime, max_takes_per_episode, reset_time_s
        self.max_steps = max_steps or robot.max_steps
        self.episode_meta = dict(episode_meta or {})
        self.status, self.label = status or StatusLine(), label
        # Called when the robot must be let go of at once (an error, a signal, an emergency stop), after the take's frames
        # are queued: the CLI releases the robot here, so an arm's torque goes off before queued episodes finish saving.
        self.on_abort = on_abort
        # A budget of the person's driving frames: the take that reaches it ends there (kept, without success) and the
        # session stops, so an effort-matched arm never spends more than its budget.
        self.max_human_frames = max_human_frames
        self.timer = LoopTimer(robot.fps, realtime)

    def run(self, num_episodes: int) -> SessionResult:
        """Record `num_episodes` saved episodes; take k starts the scene and the policy's noise from seed + k.

        The torch RNG is forked, so the caller's random state is left as it was.
        """
        cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=cuda):
            return self._run(num_episodes)

    def _run(self, num_episodes: int) -> SessionResult:
        result = SessionResult()
        take, episode_takes = 0, 0
        while len(result.saved) < num_episodes and not result.stopped and not self._spent(result):
            torch.manual_seed(self.seed + take)
            done = self._take(take, len(result.saved), num_episodes, episode_takes, result)
            take += 1
            episode_takes += 1
            if done.outcome == EVENT_RERECORD and episode_takes < self.max_takes:
                self.writer.discard_episode()
                result.discarded += 1
                self.status.update(f"re-recording {self.label} {len(result.saved) + 1} (take {episode_takes} discarded)", force=True)
            else:
                self._save(done, result)
                episode_takes = 0
                if done.outcome == EVENT_ESTOP and self.on_abort is not None:
                    self.on_abort()  # an emergency stop lets go of the robot now, not after the saves finish
            if self.reset_time_s > 0 and len(result.saved) < num_episodes and not result.stopped:
                time.sleep(self.reset_time_s)
        return result

    def _spent(self, result: SessionResult) -> bool:
        return self.max_human_frames is not None and result.human_frames >= self.max_human_frames

    def _take(self, take: int, saved: int, num_episodes: int, episode_takes: int, result: SessionResult) -> _Take:
        robot, writer, timer = self.robot, self.writer, self.timer
        current = _Take()
        observation = robot.reset(seed=self.seed + take)
        if self.person is not None:
            self.person.start_episode()
        self.actor.start_episode(robot, observation)
        timer.reset()
        step, heard = 0, {}  # heard: the person's events while paused, for the listeners at the next frame
        try:
            while step < self.max_steps:
                timer.tick()
                decision = self.actor.act(observation)
                if decision.paused and self._paused_tick(decision, step, observation, heard, result):
                    timer.wait()
                    continue
                action = decision.action if decision.action is not None and not decision.paused else robot.hold_action(observation)
                sent = robot.send_action(action)
                events = {**decision.events, **(self.person.get_events() if self.person is not None else {})}
                current.outcome = next((e for e in OUTCOMES if events.get(e) or heard.get(e)), None)
                if current.outcome is None and robot.success:
                    current.outcome = EVENT_SUCCESS
                if decision.source == HUMAN:
                    result.human_frames += 1
                    result.driving_s += 1 / robot.fps
                elif self.person is not None:
                    result.watching_s += 1 / robot.fps
                last = current.outcome is not None or robot.done or step + 1 == self.max_steps or self._spent(result)
                current.decisions.append(decision)
                writer.add_frame(frame_from(observation, decision, sent, robot, current.outcome, last))
                for listener in self.listeners:
                    listener.on_step(writer, observation, {**heard, **events})
                heard = {}
                if last:
                    break
                step += 1
                observation = robot.get_observation()
                self.actor.after_step(events, step, observation)
                self.status.update(
                    f"{self.label} {saved + 1}/{num_episodes} take {episode_takes + 1} | t={step / robot.fps:5.1f}s | "
                    f"{timer.rate_hz:5.1f} Hz | overruns {timer.overruns} | {self.actor.status()} | queued saves {writer.pending}")
                timer.wait()
        except BaseException as error:  # an arm's bus, a camera, the policy, Ctrl-C: keep what was recorded
            try:
                self._keep_aborted(current, error, result)
            finally:
                if self.on_abort is not None:
                    self.on_abort()
            raise
        return current

    def _paused_tick(self, decision: Decision, step: int, observation: Observation, heard: dict[str, Any],
                     result: SessionResult) -> bool:
        """A tick the actor holds for the person: nothing sent or recorded, the step budget unspent; the person's
        events reach the actor now and the listeners with the next frame. False when the person ends the episode
        meanwhile (the step is then taken, holding still, so the episode's last frame carries the verdict)."""
        events = {**decision.events, **(self.person.get_events() if self.person is not None else {})}
        heard.update(events)
        if any(events.get(e) for e in OUTCOMES):
            return False
        result.paused_s += 1 / self.robot.fps
        self.actor.after_step(events, step, observation)
        self.status.update(f"{self.label} paused at t={step / self.robot.fps:5.1f}s | {self.actor.status()}")
        return True

    def _meta(self, success: bool) -> dict[str, Any]:
        meta: dict[str, Any] = {"success": success, **self.timer.summary(), **self.actor.episode_info()}
        if self.person is not None:
            meta.update(self.person.episode_info())
        if self.robot.seed is not None:
            meta["seed"] = int(self.robot.seed)
        if self.robot.initial_state is not None:
            meta["initial_state"] = np.asarray(self.robot.initial_state, dtype=np.float64).tolist()
        meta.update(self.episode_meta)
        return meta

    def _save(self, take: _Take, result: SessionResult, **extra: Any) -> int:
        success = take.outcome == EVENT_SUCCESS
        meta = {**self._meta(success), **extra}
        index = self.writer.save_episode(**meta)
        flags = np.array([d.intervention for d in take.decisions], dtype=bool)
        episode = SavedEpisode(index, len(take.decisions), success, flags, np.array([d.source for d in take.decisions]))
        for listener in self.listeners:
            listener.on_saved(self.writer, episode)
        takeovers = len(meta.get("takeover_frames", []))
        result.saved.append(index)
        result.successes += int(success)
        result.frames += episode.length
        result.takeovers += takeovers
        result.stopped = result.stopped or take.outcome in (EVENT_STOP, EVENT_ESTOP)
        result.episodes.append({"index": index, "success": success, "length": episode.length,
                                **{k: meta[k] for k in ("seed", "takeover_frames", "human_frames", "corrections", "correction_seconds")
                                   if k in meta}})
        summary = self.timer.summary()
        verdict = episode_verdict(success, take.outcome, meta)
        self.status.update(
            f"queued {self.label} {index} for saving: {episode.length} frames, {verdict}"
            f"{f', {takeovers} take-over(s), {int(flags.sum())} human frames' if takeovers else ''}, "
            f"loop p50 {summary['loop/period_p50_ms']:.1f} ms p99 {summary['loop/period_p99_ms']:.1f} ms, "
            f"{summary['loop/overruns']} overruns", force=True)
        return index

    def _keep_aborted(self, take: _Take, error: BaseException, result: SessionResult) -> None:
        if not self.writer.episode_length:
            return
        if isinstance(error, Terminated):
            reason = f"terminated by {error}"
        elif isinstance(error, KeyboardInterrupt):
            reason = "interrupted"
        else:
            reason = f"{type(error).__name__}: {error}"
        take.outcome = None
        take.decisions = take.decisions[: self.writer.episode_length]
        try:
            index = self._save(take, result, aborted=reason)
        except Exception:  # the writer itself failed: its own error handling keeps the raw frames
            log.exception("could not keep the episode cut off by %s", reason)
            return
        self.status.done(f"kept the {len(take.decisions)} frames recorded before it stopped ({reason}) as {self.label} {index}, "
                         "marked aborted")


def run_session(robot: Robot, actor: Actor, writer: DatasetWriter, num_episodes: int, **options: Any) -> SessionResult:
    """Run `num_episodes` saved episodes of one session (see EpisodeLoop for the options)."""
    return EpisodeLoop(robot, actor, writer, **options).run(num_episodes)
