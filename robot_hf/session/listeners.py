"""What listens to a session: feedback channels that turn a person's input into dataset tables.

A listener sees every step's events and every saved episode; the episode loop calls them all the
same way, so a new feedback kind plugs in here without touching the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from robot_hf.dataset import DatasetWriter
from robot_hf.feedback.preferences import intervention_preferences
from robot_hf.interfaces import EVENT_CORRECTION, Observation


@dataclass
class SavedEpisode:
    index: int
    length: int
    success: bool
    # Per frame: a person was driving (take-overs), as recorded in the `intervention` column.
    intervention: np.ndarray


class Listener(Protocol):
    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None: ...

    def on_saved(self, writer: DatasetWriter, episode: SavedEpisode) -> None: ...


class CorrectionsChannel:
    """Typed or spoken corrections ("a bit to the left") at the frame they were given."""

    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None:
        if EVENT_CORRECTION in events:
            writer.add_correction(str(events[EVENT_CORRECTION]))

    def on_saved(self, writer: DatasetWriter, episode: SavedEpisode) -> None:
        pass


class TakeoverPreferences:
    """Each take-over as a preference pair: the person's segment over the policy's just before it."""

    def __init__(self, annotator: str):
        self.annotator = annotator

    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None:
        pass

    def on_saved(self, writer: DatasetWriter, episode: SavedEpisode) -> None:
        n = episode.length
        prefs = intervention_preferences(episode.intervention, np.arange(n), np.full(n, episode.index), annotator=self.annotator)
        if prefs:
            writer.add_preferences(prefs)


class EpisodeVideos:
    """An mp4 per episode for the first `limit` episodes, every camera side by side, named by the outcome."""

    def __init__(self, directory: Path, fps: int, limit: int):
        self.directory, self.fps, self.limit = Path(directory), fps, limit
        self.frames: list[np.ndarray] = []
        self.paths: list[str] = []

    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None:
        if len(self.paths) < self.limit and observation["images"]:
            self.frames.append(np.concatenate(list(observation["images"].values()), axis=1))

    def on_saved(self, writer: DatasetWriter, episode: SavedEpisode) -> None:
        frames, self.frames = self.frames, []
        if frames and len(self.paths) < self.limit:
            from robot_hf.dataset.video import VideoSettings, encode_frames

            path = self.directory / f"episode_{len(self.paths):03d}_{'success' if episode.success else 'failure'}.mp4"
            encode_frames(np.stack(frames), path, self.fps, VideoSettings())
            self.paths.append(str(path))
