"""LeRobot v3.0 datasets with robot-hf's feedback columns and tables."""

from robot_hf.dataset.features import FrameError, build_features, camera_key, robot_features
from robot_hf.dataset.feedback import Correction, Preference
from robot_hf.dataset.metadata import DatasetFormatError, DatasetMeta
from robot_hf.dataset.reader import DatasetReader
from robot_hf.dataset.video import VideoSettings
from robot_hf.dataset.writer import DatasetWriter

__all__ = [
    "Correction",
    "DatasetFormatError",
    "DatasetMeta",
    "DatasetReader",
    "DatasetWriter",
    "FrameError",
    "Preference",
    "VideoSettings",
    "build_features",
    "camera_key",
    "robot_features",
]
