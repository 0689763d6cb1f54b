"""Language corrections while a hierarchical policy runs: typed lines, hotkeys, or any teleoperator's `correction` event.

The actor lets the policy's high level pick the motion every chunk; a correction resolved to a motion overrides it from
the next action on (the low level's queue is dropped) and holds for `hold_steps` or until the next correction;
"continue" hands the choice back. Text the resolver cannot map is refused on the status line with the known motions,
and never acted on. Typed lines are read on a thread, so the control loop never waits on the keyboard, and are taken
at the start of a step: the first changed action is the next one the loop sends.

"pause" (the `p` key, or the `pause` event from a person's device) holds the arm while the person types: the loop sends
nothing and records nothing, and the episode's clock stands still, until the next correction, "continue", or
`max_pause_steps` ticks.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from typing import Any, TextIO

from robot_hf.interfaces import EVENT_CORRECTION, EVENT_CORRECTION_BY, EVENT_PAUSE, Observation, Robot
from robot_hf.session.actors import CORRECTED, POLICY, Decision

log = logging.getLogger(__name__)

CONTINUE = ("continue", "go on", "carry on", "resume", "as you were")
PAUSE = ("pause", "hold on", "hang on")  # not "wait": a paraphrase of "stop"
# Keys for the common motions, typed alone on a line (as in `robot-hf rollout feedback=corrections`); two movement keys
# on one line combine ("wa": move forward and left).
HOTKEYS = {"a": "move left", "d": "move right", "w": "move forward", "s": "move backward", "r": "move up", "f": "move down",
           "q": "rotate left", "e": "rotate right", "o": "open the gripper", "c": "close the gripper", "x": "stop",
           "p": "pause", "": "continue"}
AXIS_WORDS = ("forward", "backward", "left", "right", "up", "down")  # x, y, z: the order of a two-axis motion's words
SMALL_KEY, SMALL_SUFFIX = ".", " a little"  # "a.": move left a little (configs/motions/fine.yaml)


def hotkey_text(line: str, hotkeys: dict[str, str] = HOTKEYS) -> str | None:
    """The motion a line of hotkeys names: one key ("a": move left) or two moves on different axes ("wa": move forward
    and left), either followed by "." for the small move ("a.": move left a little); None when the line is not
    hotkeys (it is then read as text)."""
    keys = line.strip().lower()
    if len(keys) > 1 and keys.endswith(SMALL_KEY):
        move = hotkey_text(keys[:-1], hotkeys)
        return move + SMALL_SUFFIX if move and move.startswith("move ") else None
    if keys in hotkeys:
        return hotkeys[keys]
    words = [hotkeys.get(k, "").removeprefix("move ") for k in keys]
    if len(keys) != 2 or not all(w in AXIS_WORDS for w in words):
        return None
    first, second = sorted(words, key=AXIS_WORDS.index)
    if AXIS_WORDS.index(first) // 2 == AXIS_WORDS.index(second) // 2:
        return None
    return f"move {first} and {second}"


def hotkeys_for(motion: str, hotkeys: dict[str, str] = HOTKEYS) -> str | None:
    """The shortest line of hotkeys that names `motion`, or None."""
    singles = [k for k in hotkeys if k]
    lines = [*singles, *(a + b for a in singles for b in singles if a < b)]
    for line in [*lines, *(line + SMALL_KEY for line in lines)]:
        if hotkey_text(line, hotkeys) == motion:
            return line
    return None


class TypedLines:
    """Lines typed in the terminal, read on a daemon thread; each with the time Enter was pressed."""

    def __init__(self, stream: TextIO | None = None, hotkeys: dict[str, str] | None = None):
        self.stream = stream if stream is not None else sys.stdin
        self.hotkeys = dict(HOTKEYS if hotkeys is None else hotkeys)
        self.lines: queue.Queue[tuple[str, float]] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name="typed-corrections", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.stream:
            text = line.strip()
            self.lines.put((hotkey_text(text, self.hotkeys) or text, time.monotonic()))

    def take(self) -> tuple[str, float] | None:
        try:
            return self.lines.get_nowait()
        except queue.Empty:
            return None


class CorrectionsActor:
    """A hierarchical policy that a person corrects in words."""

    def __init__(self, policy, resolver, hold_steps: int, typed: TypedLines | None = None, who: str = "keyboard",
                 max_pause_steps: int = 600):
        self.policy, self.resolver, self.hold_steps, self.typed, self.who = policy, resolver, hold_steps, typed, who
        self.max_pause_steps = max_pause_steps
        self.corrections, self.refused, self.latencies_ms, self.note = 0, 0, [], ""
        self.paused, self.pauses, self.paused_steps = 0, 0, 0  # paused: ticks held so far (0: running)
        self._since: float | None = None

    def start_episode(self, robot: Robot, observation: Observation) -> None:
        self.policy.reset()
        self.corrections, self.refused, self.latencies_ms, self.note = 0, 0, [], ""
        self.paused, self.pauses, self.paused_steps = 0, 0, 0

    def _apply(self, text: str) -> None:
        said = " ".join(text.lower().split())
        if said in PAUSE:
            self.paused, self.pauses = max(self.paused, 1), self.pauses + (not self.paused)
            self.note = "paused: the arm holds; type the correction + Enter (Enter alone: continue)"
            return
        if said in CONTINUE:
            self.paused = 0
            self.policy.command(None)
            self.note = "continue: the policy picks its motions again"
            return
        r = self.resolver.resolve(text)
        if r.motion is None:
            self.refused += 1
            self.note = self.resolver.refusal_line(r)
            log.warning(self.note)
            return  # a pause holds on: the person may say it again
        self.paused = 0
        self.policy.command(r.motion, self.hold_steps)
        self.corrections += 1
        self.note = f"correction {r.motion!r} ({r.confidence:.2f})"

    def act(self, observation: Observation) -> Decision:
        events: dict[str, Any] = {}
        typed = self.typed.take() if self.typed is not None else None
        if typed is not None:
            text, self._since = typed
            pause = " ".join(text.lower().split()) in PAUSE  # not a correction: nothing to store
            events = {EVENT_PAUSE: True} if pause else {EVENT_CORRECTION: text, EVENT_CORRECTION_BY: self.who}
            self._apply(text)
        if self.paused:
            if self.paused > self.max_pause_steps:
                self.paused, self.note = 0, f"pause ended after {self.max_pause_steps} ticks with nothing said"
            else:
                self.paused += 1
                self.paused_steps += 1
                return Decision(None, POLICY, instruction=self.policy.current_motion, events=events, paused=True)
        action = self.policy.select_action(observation)
        if typed is not None:  # from Enter to the changed action, which the loop sends next
            self.latencies_ms.append(1000 * (time.monotonic() - self._since))
        source = CORRECTED if self.policy.override is not None else POLICY
        return Decision(action, source, instruction=self.policy.current_motion, events=events)

    def after_step(self, events: dict[str, Any], frame: int, observation: Observation) -> None:
        """A correction from the person's device (or the simulated corrector) acts from the next step on."""
        text = events.get(EVENT_CORRECTION)
        if events.get(EVENT_PAUSE) and text is None:
            self._apply(PAUSE[0])
        if text is not None and events.get(EVENT_CORRECTION_BY) != self.who:
            self._apply(str(text))

    def status(self) -> str:
        motion = self.policy.current_motion or "-"
        held = " (paused)" if self.paused else " (correction)" if self.policy.override is not None else ""
        return f"motion {motion}{held} | corrections {self.corrections} | {self.note or 'type a correction + Enter'}"

    def episode_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"corrections": self.corrections, "refused_corrections": self.refused}
        if self.pauses:
            info.update(pauses=self.pauses, paused_steps=self.paused_steps)
        if self.latencies_ms:
            info["correction_latency_ms"] = [round(v, 2) for v in self.latencies_ms]
        return info
