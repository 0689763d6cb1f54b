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
from robot_hf.interfaces import EVENT_CORRECTION, EVENT_CORRECTION_BY, Observation


@dataclass
class SavedEpisode:
    index: int
    length: int
    success: bool
    # Per frame: a person was driving (take-overs), as recorded in the `intervention` column.
    intervention: np.ndarray
    # Per frame: who chose the action (the `source` column).
    sources: np.ndarray | None = None


class Listener(Protocol):
    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None: ...

    def on_saved(self, writer: DatasetWriter, episode: SavedEpisode) -> None: ...


class CorrectionsChannel:
    """Typed or spoken corrections ("a bit to the left") at the frame they were given, with the motion each was taken
    to mean when a resolver is given (the same cached resolution the acting policy got)."""

    def __init__(self, resolver=None):
        self.resolver = resolver

    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None:
        if EVENT_CORRECTION in events:
            text = str(events[EVENT_CORRECTION])
            who = str(events.get(EVENT_CORRECTION_BY, "person"))
            if self.resolver is None:
                writer.add_correction(text, who=who)
            else:
                r = self.resolver.resolve(text)
                writer.add_correction(text, motion=r.motion or "", confidence=r.confidence, who=who)

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


class CorrectionPreferences:
    """Each correction as a preference pair: the corrected continuation over the policy's own frames before it."""

    def __init__(self, annotator: str):
        self.annotator = annotator

    def on_step(self, writer: DatasetWriter, observation: Observation, events: dict[str, Any]) -> None:
        pass

    def on_saved(self, writer: DatasetWriter, episode: SavedEpisode) -> None:
        if episode.sources is None:
            return
        n = episode.length
        corrected = episode.sources == "correction"
        prefs = intervention_preferences(corrected, np.arange(n), np.full(n, episode.index), annotator=self.annotator)
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
