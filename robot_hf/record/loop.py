"""Record episodes: observe, read the teleoperator, send (with safety clipping), record what was sent."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robot_hf.dataset import DatasetWriter, camera_key
from robot_hf.interfaces import EVENT_CORRECTION, EVENT_ESTOP, EVENT_FAILURE, EVENT_RERECORD, EVENT_STOP, EVENT_SUCCESS
from robot_hf.record.timing import LoopTimer

log = logging.getLogger(__name__)


def hold_action(robot, observation: dict[str, Any]) -> np.ndarray:
    """The action that keeps the robot where it is (when nobody is giving one)."""
    state = np.asarray(observation["state"], dtype=np.float32)
    names = list(robot.action_names)
    if names[:3] == ["dx", "dy", "dz"]:
        hold = np.zeros(len(names), dtype=np.float32)
        if "gripper" in names:
            hold[names.index("gripper")] = state[5]  # the jaw angle, after the five arm joints
        return hold
    return state[: len(names)].copy()


def frame_from(observation: dict[str, Any], action: np.ndarray, **feedback: Any) -> dict[str, Any]:
    """A dataset frame from an observation and the action really sent at the same tick."""
    frame = {camera_key(name): image for name, image in observation["images"].items()}
    frame["observation.state"] = np.asarray(observation["state"], dtype=np.float32)
    frame["action"] = np.asarray(action, dtype=np.float32)
    frame["task"] = observation["task"]
    frame.update(feedback)
    return frame


@dataclass
class RecordResult:
    saved: list[int] = field(default_factory=list)
    discarded: int = 0
    successes: int = 0
    stopped: bool = False
    # Every frame the operator drove, re-recorded takes included: the human effort spent.
    human_frames: int = 0


class StatusLine:
    """One updating line on a terminal; occasional plain lines when headless (logs, CI)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self._last = 0.0

    def update(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + text[:150].ljust(150))
            self.stream.flush()
        elif force or now - self._last > 10:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last = now

    def done(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 150 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()


def record_episodes(
    robot,
    teleop,
    writer: DatasetWriter,
    num_episodes: int,
    episode_time_s: float | None = None,
    reset_time_s: float = 0.0,
    realtime: bool = False,
    seed: int = 0,
    max_takes_per_episode: int = 10,
    on_frame: Callable[[dict[str, Any]], None] | None = None,
    status: StatusLine | None = None,
) -> RecordResult:
    """Record `num_episodes` saved episodes; re-recorded takes are discarded and do not count."""
    status = status or StatusLine()
    fps = robot.fps
    max_steps = int(round(episode_time_s * fps)) if episode_time_s else getattr(robot, "max_steps", 30 * fps)
    timer = LoopTimer(fps, realtime)
    result = RecordResult()
    take = 0
    episode_takes = 0
    while len(result.saved) < num_episodes and not result.stopped:
        reset = getattr(robot, "reset", None)
        if reset is not None:
            observation = reset(seed=seed + take)
        else:
            observation = robot.get_observation()
        if hasattr(teleop, "start_episode"):
            teleop.start_episode()
        timer.reset()
        outcome, steps = None, 0
        for steps in range(1, max_steps + 1):
            timer.tick()
            try:
                action = teleop.get_action(observation)
                if action is None:  # the operator has not moved yet: hold still
                    action = hold_action(robot, observation)
                sent = robot.send_action(action)
            except Exception as error:
                # A bus or camera failure: keep what this take recorded, then stop (the robot's
                # disconnect turns torque off).
                if writer.episode_length:
                    index = writer.save_episode(**_episode_meta(robot, take, timer, False), aborted=f"{type(error).__name__}: {error}")
                    result.saved.append(index)
                    status.done(f"saved the {writer.episode_length or steps - 1} frames recorded before the failure as episode {index}")
                raise
            feedback = {"source": "human", "reward": float(getattr(robot, "reward", 0.0)), "success": bool(getattr(robot, "success", False))}
            writer.add_frame(frame_from(observation, sent, **feedback))
            if on_frame is not None:
                on_frame(observation)
            observation = robot.get_observation()
            events = teleop.get_events()
            if EVENT_CORRECTION in events:
                writer.add_correction(str(events[EVENT_CORRECTION]))
            outcome = next((e for e in (EVENT_ESTOP, EVENT_RERECORD, EVENT_SUCCESS, EVENT_FAILURE, EVENT_STOP) if events.get(e)), None)
            status.update(
                f"episode {len(result.saved) + 1}/{num_episodes} take {episode_takes + 1} | t={steps / fps:5.1f}s | "
                f"{timer.rate_hz:5.1f} Hz | overruns {timer.overruns} | queued saves {writer.pending}"
            )
            if outcome is not None:
                break
            timer.wait()
        take += 1
        episode_takes += 1
        result.human_frames += steps
        if outcome == EVENT_ESTOP:
            writer.save_episode(**_episode_meta(robot, take - 1, timer, False))
            result.stopped = True
            break
        if outcome == EVENT_RERECORD and episode_takes < max_takes_per_episode:
            writer.discard_episode()
            result.discarded += 1
            status.update(f"re-recording episode {len(result.saved) + 1} (take {episode_takes} discarded)", force=True)
        else:
            success = outcome == EVENT_SUCCESS
            index = writer.save_episode(**_episode_meta(robot, take - 1, timer, success))
            result.saved.append(index)
            result.successes += int(success)
            result.stopped = outcome == EVENT_STOP
            episode_takes = 0
            summary = timer.summary()
            status.update(
                f"saved episode {index}: {steps} frames, {'success' if success else 'no success'}, "
                f"loop p50 {summary['loop/period_p50_ms']:.1f} ms p99 {summary['loop/period_p99_ms']:.1f} ms, "
                f"{summary['loop/overruns']} overruns", force=True,
            )
        if reset_time_s > 0 and len(result.saved) < num_episodes:
            time.sleep(reset_time_s)
    return result


def _episode_meta(robot, take: int, timer: LoopTimer, success: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"success": success, **timer.summary()}
    seed = getattr(robot, "seed", None)
    if seed is not None:
        meta["seed"] = int(seed)
    state = getattr(robot, "initial_state", None)
    if state is not None:
        meta["initial_state"] = np.asarray(state, dtype=np.float64).tolist()
    return meta
