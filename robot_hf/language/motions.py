"""Language motions from the end effector's path (RT-H): "move forward and left", "rotate right", "close the gripper".

A motion is a text and a signature: the sign each axis moves by over a short window (x forward, y left, z up, yaw
counter-clockwise seen from above, gripper opening). The vocabulary comes from config (`configs/motions/`), so a task
adds its own motions without code; an entry may also ask for the gripper to be holding (closed), and such an entry
wins over a plain one with the same moves ("insert the peg" over "move down" once the peg is held).

Labelling: the pose `window` frames ahead minus the pose now, each axis thresholded into -1/0/+1; the gripper moving
names the motion alone; otherwise up to `max_axes` translation axes (the largest first) and, without translation, the
rotation; nothing moving is "stop". A vocabulary may hold small moves ("move left a little", `small: true`): a path
that would be "stop" but moves more than `small_translate` is named by them, so a person can steer where the full
moves overshoot (`configs/motions/fine.yaml`). Then a mode filter over `smooth` frames and segments shorter than `min_frames`
merged into the one before, so a label holds long enough to be an instruction a person could follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robot_hf.config.compose import ConfigError

AXES = ("x", "y", "z", "yaw", "gripper")
TRANSLATION = ("x", "y", "z")


@dataclass(frozen=True)
class Motion:
    text: str
    signature: tuple[tuple[str, int], ...]
    # Only while the gripper holds (closed below MotionsConfig.holding_below), e.g. "insert the peg".
    holding: bool = False
    # A slow move: the path moves more than MotionsConfig.small_translate but less than translate.
    small: bool = False

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Motion:
        entry = dict(entry)
        text = entry.pop("text", None)
        if not text or not isinstance(text, str):
            raise ConfigError(f"motions.vocabulary entry {entry} has no text: give each motion a `text` and its axes, "
                             "e.g. {text: move left, y: 1}")
        holding = bool(entry.pop("holding", False))
        small = bool(entry.pop("small", False))
        unknown = sorted(set(entry) - set(AXES))
        if unknown:
            raise ConfigError(f"motions.vocabulary entry {text!r}: unknown axes {unknown}; axes are {list(AXES)} (+holding, small)")
        signs = {}
        for axis, sign in entry.items():
            if sign not in (-1, 1):
                raise ConfigError(f"motions.vocabulary entry {text!r}: {axis}={sign!r} must be 1 or -1")
            signs[axis] = int(sign)
        if small and (not signs or set(signs) - set(TRANSLATION)):
            raise ConfigError(f"motions.vocabulary entry {text!r}: small moves translate only (x, y, z); drop `small` or "
                              "the other axes")
        return cls(text, tuple(sorted(signs.items())), holding, small)


@dataclass
class MotionsConfig:
    """The vocabulary and how the labeller reads a path (thresholds are over `window` frames)."""

    vocabulary: list[Any] = field(default_factory=list)
    # Motions a task adds (or renames): entries like the vocabulary's, matched before it.
    extra: list[Any] = field(default_factory=list)
    window: int = 5
    # Metres for an arm; the state's own units for a Cartesian map (PushT: pixels, try 4).
    translate: float = 0.008
    # A path below `translate` on every axis but above this on one is a small move, where the vocabulary has them.
    small_translate: float = 0.003
    rotate_rad: float = 0.12
    # The gripper's jaw angle (rad) or opening, over the window.
    gripper: float = 0.25
    max_axes: int = 2
    smooth: int = 3
    min_frames: int = 3
    # Where the end effector comes from: auto (the SO-101 sim twin's forward kinematics when the state holds its joints,
    # else Cartesian state names), so101, or a map from axes to state names ({x: x.pos, y: -y.pos}; '-' flips an axis).
    end_effector: Any = "auto"
    # The gripper counts as closed (holding) below this jaw angle (rad): the SO-101 sim opens at 1.2 (a policy's open
    # jaw often stops near 1.0) and holds a Lift cube at about 0.72.
    holding_below: float = 0.85
    # A correction holds for this long (s) unless another one or "continue" comes first. On Lift with a person's
    # reaction and keying lag, 1 s gained more than 2 s (it overshoots) and 0.5 s (it ends before it has done its work).
    hold_s: float = 1.0
    # A person saw the need for a correction this long (s) before it reached the robot (reaction and keying): the high
    # level learns its motion from then on (language/targets.py). 0: from the frame it arrived.
    lead_s: float = 0.0


STOP = "stop"


class Vocabulary:
    """The motions a policy knows, with signature lookup for the labeller."""

    def __init__(self, motions: Sequence[Motion]):
        texts = [m.text for m in motions]
        dupes = sorted({t for t in texts if texts.count(t) > 1})
        if dupes:
            raise ConfigError(f"motions.vocabulary: {dupes} appear twice; each motion text once")
        if STOP not in texts:
            raise ConfigError(f"motions.vocabulary must hold {STOP!r} (the label when nothing moves)")
        self.motions = list(motions)
        self.texts = texts
        self.by_text = {m.text: m for m in self.motions}
        self._plain = {m.signature: m.text for m in reversed(self.motions) if not m.holding and not m.small}
        self._holding = {m.signature: m.text for m in reversed(self.motions) if m.holding and not m.small}
        self._small = {m.signature: m.text for m in reversed(self.motions) if m.small}
        self.has_small = bool(self._small)

    @classmethod
    def from_config(cls, cfg: MotionsConfig | Mapping[str, Any]) -> Vocabulary:
        entries = [*_get(cfg, "extra", []), *_get(cfg, "vocabulary", [])]
        if not entries:
            raise ConfigError("motions.vocabulary is empty: use the default vocabulary (motions=default) or list motions")
        seen, motions = set(), []
        for entry in entries:  # a task's entry shadows the vocabulary's entry of the same text
            motion = Motion.from_entry(entry)
            if motion.text not in seen:
                seen.add(motion.text)
                motions.append(motion)
        return cls(motions)

    def index(self, text: str) -> int:
        return self.texts.index(text)

    def lookup(self, signs: Mapping[str, int], holding: bool, small: bool = False) -> str | None:
        key = tuple(sorted((a, s) for a, s in signs.items() if s))
        if small:
            return self._small.get(key)
        if holding and key in self._holding:
            return self._holding[key]
        return self._plain.get(key)


def _get(cfg: Any, key: str, default: Any) -> Any:
    return cfg.get(key, default) if isinstance(cfg, Mapping) else getattr(cfg, key, default)


def displacement_signs(delta: np.ndarray, cfg: MotionsConfig) -> dict[str, int]:
    """The axes a displacement (x, y, z, yaw, gripper; NaN: axis unknown) names, before choosing among them."""
    thresholds = (cfg.translate, cfg.translate, cfg.translate, cfg.rotate_rad, cfg.gripper)
    ratio = {a: (0.0 if np.isnan(d) else float(d) / t) for a, d, t in zip(AXES, delta, thresholds, strict=True)}
    if abs(ratio["gripper"]) >= 1:
        return {"gripper": int(np.sign(ratio["gripper"]))}
    moving = sorted((a for a in TRANSLATION if abs(ratio[a]) >= 1), key=lambda a: -abs(ratio[a]))[: cfg.max_axes]
    if moving:
        return {a: int(np.sign(ratio[a])) for a in moving}
    if abs(ratio["yaw"]) >= 1:
        return {"yaw": int(np.sign(ratio["yaw"]))}
    return {}


def small_signs(delta: np.ndarray, cfg: MotionsConfig) -> dict[str, int]:
    """The translation axes a displacement below `translate` moves by more than `small_translate` (the largest first)."""
    ratio = {a: (0.0 if np.isnan(d) else float(d) / cfg.small_translate) for a, d in zip(TRANSLATION, delta[:3], strict=True)}
    moving = sorted((a for a in TRANSLATION if abs(ratio[a]) >= 1), key=lambda a: -abs(ratio[a]))[: cfg.max_axes]
    return {a: int(np.sign(ratio[a])) for a in moving}


def compatible(a: str, b: str, vocab: Vocabulary) -> bool:
    """Whether two motions point the same way: no axis opposite, the gripper the same, and a moving axis in common
    (or both still). "move right and down" is on the way to "move down"; "move left" is not. A small move points the
    way its full move does."""
    if a == b:
        return True
    sa, sb = dict(vocab.by_text[a].signature), dict(vocab.by_text[b].signature)
    if sa.get("gripper") != sb.get("gripper"):
        return False
    if any(sa[k] != sb[k] for k in sa.keys() & sb.keys()):
        return False
    return bool(sa.keys() & sb.keys()) or (not sa and not sb)


def describe(delta: np.ndarray, holding: bool, vocab: Vocabulary, cfg: MotionsConfig) -> str:
    """The motion a displacement over one window is: the closest vocabulary entry (fewer axes when a pair is missing);
    a small move where it would otherwise be "stop" and the vocabulary has them."""
    signs, small = displacement_signs(delta, cfg), False
    if not signs and vocab.has_small:
        signs, small = small_signs(delta, cfg), True
    while signs:
        text = vocab.lookup(signs, holding, small)
        if text is not None:
            return text
        signs = dict(list(signs.items())[:-1])  # drop the smallest axis
    return STOP


def label_path(pose: np.ndarray, vocab: Vocabulary, cfg: MotionsConfig) -> list[str]:
    """Per frame, the motion in force along an episode's end-effector path (N, 5): x, y, z, yaw, gripper."""
    pose = np.asarray(pose, dtype=np.float64)
    n = len(pose)
    if n == 0:
        return []
    ahead = np.minimum(np.arange(n) + cfg.window, n - 1)
    delta = pose[ahead] - pose
    delta[:, 3] = (delta[:, 3] + np.pi) % (2 * np.pi) - np.pi
    holding = np.nan_to_num(pose[:, 4], nan=np.inf) < cfg.holding_below
    labels = [describe(d, bool(h), vocab, cfg) for d, h in zip(delta, holding, strict=True)]
    return merge_short(mode_filter(labels, cfg.smooth), cfg.min_frames)


def mode_filter(labels: list[str], width: int) -> list[str]:
    if width <= 1:
        return list(labels)
    half, out = width // 2, []
    for i in range(len(labels)):
        window = labels[max(0, i - half): i + half + 1]
        best = max(set(window), key=lambda t: (window.count(t), t == labels[i]))
        out.append(best)
    return out


def merge_short(labels: list[str], min_frames: int) -> list[str]:
    """Segments shorter than min_frames take the label before them (the first one, the label after it)."""
    out = list(labels)
    segments, start = [], 0
    for i in range(1, len(out) + 1):
        if i == len(out) or out[i] != out[start]:
            segments.append((start, i))
            start = i
    for k, (lo, hi) in enumerate(segments):
        if hi - lo < min_frames and len(segments) > 1:
            fill = out[lo - 1] if lo > 0 else out[segments[k + 1][0]]
            out[lo:hi] = [fill] * (hi - lo)
    return out
