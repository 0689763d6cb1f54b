"""Feature declarations (the `features` block of meta/info.json) and per-frame validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

IMAGE_DTYPES = ("video", "image")
# LeRobot's name for the scene's state beside the robot's own (the objects' poses in its sim datasets).
ENVIRONMENT_STATE = "observation.environment_state"

# Columns LeRobot adds to every dataset, in the order it writes them.
DEFAULT_FEATURES: dict[str, dict[str, Any]] = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}

# Who chose a frame's action: the policy, a person driving, or the policy under a person's spoken correction.
SOURCES = ("policy", "human", "correction")

# robot-hf's feedback columns. Declared as ordinary features, so LeRobot loads them as extra keys
# and every other reader can ignore them. What happened after a frame's action goes by LeRobot's own
# names (its PushT and HIL-SERL datasets): `next.reward` is the environment's reward only (0 on a real
# arm), `next.success` the robot's or the person's verdict, `next.done` the episode's last frame. The
# RLIF label (-1 where a person took over) has a column of its own, so no reader mistakes it for reward.
FEEDBACK_FEATURES: dict[str, dict[str, Any]] = {
    "source": {"dtype": "string", "shape": [1], "names": list(SOURCES)},
    "intervention": {"dtype": "bool", "shape": [1], "names": None},
    "rlif_reward": {"dtype": "float32", "shape": [1], "names": None},
    "next.reward": {"dtype": "float32", "shape": [1], "names": None},
    "next.done": {"dtype": "bool", "shape": [1], "names": None},
    "next.success": {"dtype": "bool", "shape": [1], "names": None},
    "instruction": {"dtype": "int64", "shape": [1], "names": None},
}
FLAG_COLUMNS = ("intervention", "next.done", "next.success")
NUMBER_COLUMNS = ("rlif_reward", "next.reward")

# Keys a caller never passes to add_frame: the writer fills them in.
WRITER_FILLED = ("frame_index", "episode_index", "index", "task_index")

_NUMPY_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
}


class FrameError(ValueError):
    """A frame handed to the writer does not match the dataset's declared features."""


def camera_key(name: str) -> str:
    return f"observation.images.{name}"


def camera_keys(features: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [k for k, ft in features.items() if ft["dtype"] in IMAGE_DTYPES]


def video_keys(features: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [k for k, ft in features.items() if ft["dtype"] == "video"]


def numeric_keys(features: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [k for k, ft in features.items() if ft["dtype"] not in (*IMAGE_DTYPES, "string")]


def numpy_dtype(dtype: str) -> np.dtype:
    try:
        return np.dtype(_NUMPY_DTYPES[dtype])
    except KeyError:
        raise ValueError(f"unsupported feature dtype {dtype!r}; use one of {sorted(_NUMPY_DTYPES)}") from None


def build_features(
    cameras: Mapping[str, Sequence[int]],
    state_names: Sequence[str],
    action_names: Sequence[str],
    use_videos: bool = True,
    environment_state_names: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """The user-facing features of a robot dataset: cameras (height, width), state, the scene's state where the robot
    reports one (LeRobot's `observation.environment_state`) and action."""
    features: dict[str, dict[str, Any]] = {}
    for name, (height, width) in cameras.items():
        features[camera_key(name)] = {
            "dtype": "video" if use_videos else "image",
            "shape": [int(height), int(width), 3],
            "names": ["height", "width", "channel"],
        }
    features["observation.state"] = {"dtype": "float32", "shape": [len(state_names)], "names": list(state_names)}
    if environment_state_names:
        features[ENVIRONMENT_STATE] = {"dtype": "float32", "shape": [len(environment_state_names)],
                                       "names": list(environment_state_names)}
    features["action"] = {"dtype": "float32", "shape": [len(action_names)], "names": list(action_names)}
    return features


def robot_features(robot: Any, use_videos: bool = True) -> dict[str, dict[str, Any]]:
    """The features a robot's episodes are recorded with; a robot may name `environment_state_names` (a sim: its
    objects' poses, with `task.environment_state`) besides its own state."""
    return build_features(robot.camera_shapes, robot.state_names, robot.action_names, use_videos,
                          getattr(robot, "environment_state_names", ()))


def complete_features(user_features: Mapping[str, Mapping[str, Any]], feedback: bool = True) -> dict[str, dict]:
    """User features followed by robot-hf's feedback columns and LeRobot's default columns."""
    clash = set(user_features) & (set(DEFAULT_FEATURES) | set(FEEDBACK_FEATURES))
    if clash:
        raise ValueError(f"features {sorted(clash)} are reserved: the writer adds them itself; remove them")
    features = {k: _normalise_spec(k, v) for k, v in user_features.items()}
    if feedback:
        features.update({k: dict(v) for k, v in FEEDBACK_FEATURES.items()})
    features.update({k: dict(v) for k, v in DEFAULT_FEATURES.items()})
    return features


def _normalise_spec(key: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    for field in ("dtype", "shape"):
        if field not in spec:
            raise ValueError(f"feature {key!r} has no {field!r}; every feature needs dtype and shape")
    out = {"dtype": spec["dtype"], "shape": [int(s) for s in spec["shape"]], "names": spec.get("names")}
    if out["dtype"] in IMAGE_DTYPES:
        if len(out["shape"]) != 3 or out["shape"][2] != 3:
            raise ValueError(f"feature {key!r}: camera shape must be [height, width, 3], got {out['shape']}")
    elif out["dtype"] != "string":
        numpy_dtype(out["dtype"])
    if "info" in spec:
        out["info"] = dict(spec["info"])
    return out


class FrameValidator:
    """Checks frames against declared features; precomputed so add_frame stays cheap."""

    def __init__(self, features: Mapping[str, Mapping[str, Any]]):
        self.features = features
        self.required: list[str] = []
        self.optional = {"timestamp", "task"} | (set(FEEDBACK_FEATURES) & set(features))
        self._checks: dict[str, tuple[str, tuple[int, ...], np.dtype | None]] = {}
        for key, ft in features.items():
            if key in DEFAULT_FEATURES or key in FEEDBACK_FEATURES:
                continue
            self.required.append(key)
            shape = tuple(ft["shape"])
            if ft["dtype"] in IMAGE_DTYPES:
                self._checks[key] = ("image", shape, np.dtype(np.uint8))
            elif ft["dtype"] == "string":
                self._checks[key] = ("string", shape, None)
            else:
                self._checks[key] = ("array", shape, numpy_dtype(ft["dtype"]))
        self.allowed = set(self.required) | self.optional

    def __call__(self, frame: Mapping[str, Any]) -> None:
        missing = [k for k in self.required if k not in frame]
        if missing:
            raise FrameError(f"frame is missing feature(s) {missing}; declared features: {self.required}")
        unknown = [k for k in frame if k not in self.allowed]
        if unknown:
            raise FrameError(
                f"frame has unknown key(s) {unknown}; declared features: {self.required}, "
                f"optional: {sorted(self.optional)}"
            )
        for key in self.required:
            kind, shape, dtype = self._checks[key]
            value = frame[key]
            if kind == "string":
                if not isinstance(value, str):
                    raise FrameError(f"feature {key!r}: expected str, got {type(value).__name__}")
                continue
            if not isinstance(value, np.ndarray):
                raise FrameError(
                    f"feature {key!r}: expected numpy array of shape {shape} and dtype {dtype}, "
                    f"got {type(value).__name__}"
                )
            if value.shape != shape or value.dtype != dtype:
                what = "image (height, width, 3) uint8" if kind == "image" else "array"
                raise FrameError(
                    f"feature {key!r}: expected {what} of shape {shape} and dtype {dtype}, "
                    f"got shape {value.shape} and dtype {value.dtype}"
                )
        if "task" in frame and not isinstance(frame["task"], str):
            raise FrameError(f"'task' must be the instruction as a str, got {type(frame['task']).__name__}")
        if "source" in frame and frame["source"] not in SOURCES:
            raise FrameError(f"'source' must be one of {SOURCES}, got {frame['source']!r}")
        for key in FLAG_COLUMNS:
            if key in frame and not isinstance(frame[key], bool | np.bool_):
                raise FrameError(f"{key!r} must be a bool, got {type(frame[key]).__name__}")
        for key in (*NUMBER_COLUMNS, "timestamp"):
            if key in frame and not isinstance(frame[key], int | float | np.floating | np.integer):
                raise FrameError(f"{key!r} must be a number, got {type(frame[key]).__name__}")
        if "instruction" in frame and not isinstance(frame["instruction"], str):
            raise FrameError(
                f"'instruction' must be the instruction text in force (str), got {type(frame['instruction']).__name__}"
            )
