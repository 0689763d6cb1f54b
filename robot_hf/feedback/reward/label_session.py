"""One person's labeling session: the queue of clip pairs, storing each answer at once, undo, and the clips.

Every answer is committed to the dataset's preferences table before the page hears back, so a crash or a
closed tab loses nothing; a new session on the same dataset counts the annotator's earlier answers and
never asks about a pair they already answered. Queries come in batches: uniform, or by the ensemble's
disagreement when a reward model is given.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from policies.reward import RewardModel
from robot_hf.dataset import DatasetReader, DatasetWriter, Preference
from robot_hf.feedback.reward.frames import FramePool
from robot_hf.feedback.reward.labeling import labelled_starts
from robot_hf.feedback.reward.queries import QueryConfig, select_queries
from robot_hf.training.setup import dataset_cameras

CHOICES = {"left": "a", "right": "b", "equal": "equal", "skip": "skip"}


class RequestError(ValueError):
    """A request the session refuses; nothing was changed. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def require_feedback(reader: DatasetReader) -> None:
    if not reader.meta.has_feedback:
        raise ValueError(f"{reader.root} has no feedback columns (it was not written by robot-hf), so it cannot keep "
                         "answers: label a dataset robot-hf recorded (record, rollout and improve write them)")


@dataclass
class Query:
    id: int
    a: int  # first frame (global index) of the left clip
    b: int  # ... of the right clip


class LabelSession:
    def __init__(self, reader: DatasetReader, writer: DatasetWriter, query: QueryConfig, total: int, batch: int,
                 annotator: str = "person", model: RewardModel | None = None, seed: int = 0,
                 camera_keys: dict[str, str] | None = None):
        query.check()
        require_feedback(reader)
        self.reader, self.writer, self.query, self.total, self.batch = reader, writer, query, total, batch
        self.annotator, self.model = annotator, model
        self.rng = np.random.default_rng(seed)
        self.cameras = list(dataset_cameras(reader, camera_keys).values())
        if not self.cameras:
            raise ValueError(f"{reader.root} has no cameras: there are no clips to compare")
        self.pool = (FramePool.load(reader, model.config.image_size, model.config.cameras, camera_keys) if model
                     else FramePool.load(reader, None, camera_keys=camera_keys))
        self.answers: list[Preference] = [p for p in reader.preferences if p.annotator == annotator]
        self.undoable: list[tuple[Preference, Query]] = []
        self.queue: list[Query] = []
        self.next_id = 0
        self.lock = threading.Lock()
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._refill()  # a dataset with nothing to compare is refused before any page is served

    # ---- the queue ------------------------------------------------------------------------------------------
    @property
    def remaining(self) -> int:
        return max(0, self.total - len(self.answers))

    def _refill(self) -> None:
        if self.queue or self.remaining == 0:
            return
        n = min(self.batch, self.remaining)
        taken = labelled_starts(self.pool, self.answers)
        for a, b in select_queries(self.pool, self.query, n, self.rng, self.model, exclude=taken):
            self.queue.append(Query(self.next_id, int(a), int(b)))
            self.next_id += 1

    def state(self) -> dict:
        with self.lock:
            self._refill()
            current = self.queue[0] if self.queue and self.remaining else None
            return {"remaining": self.remaining, "answered": len(self.answers), "total": self.total,
                    "exhausted": current is None and self.remaining > 0,
                    "can_undo": bool(self.undoable), "fps": self.reader.fps, "segment": self.query.segment,
                    "query": None if current is None else {"id": current.id, **self._describe(current)}}

    def _describe(self, q: Query) -> dict:
        pref = self.pool.preference(q.a, q.b, self.query.segment, "skip", self.annotator)
        tasks = {t for e in (pref.a_episode_index, pref.b_episode_index) for t in self.reader.meta.episodes[e].get("tasks") or []}
        return {"task": " / ".join(sorted(tasks)),
                "left": {"episode": pref.a_episode_index, "from": pref.a_from_frame, "to": pref.a_to_frame},
                "right": {"episode": pref.b_episode_index, "from": pref.b_from_frame, "to": pref.b_to_frame}}

    # ---- answers --------------------------------------------------------------------------------------------
    def answer(self, query_id, choice) -> dict:
        if choice not in CHOICES:
            raise RequestError(f"choice {choice!r} is not one of {sorted(CHOICES)}")
        with self.lock:
            self._refill()
            if not self.queue or self.remaining == 0:
                raise RequestError("there is nothing left to label", status=409)
            current = self.queue[0]
            if not isinstance(query_id, int) or query_id != current.id:
                raise RequestError(f"query {query_id!r} is not the one shown now ({current.id}); reload the page", status=409)
            pref = self.pool.preference(current.a, current.b, self.query.segment, CHOICES[choice], self.annotator)
            self.writer.add_preferences([pref])
            self.writer.wait()  # on disk before the page hears back
            self.answers.append(pref)
            self.undoable.append((pref, self.queue.pop(0)))
        return self.state()

    def undo(self) -> dict:
        with self.lock:
            if not self.undoable:
                raise RequestError("there is no answer of this session to undo", status=409)
            pref, query = self.undoable[-1]
            if not self.writer.remove_last_feedback([pref]):
                raise RequestError("the last answer is no longer the newest stored preference; it was kept", status=409)
            self.undoable.pop()
            self.answers.remove(pref)
            self.queue.insert(0, query)
        return self.state()

    # ---- clips ------------------------------------------------------------------------------------------------
    def _episode_frames(self, episode: int) -> np.ndarray:
        """(T, H, W x cameras, 3): the episode's cameras side by side; the last few episodes stay decoded."""
        if episode not in self._frames:
            self._frames[episode] = np.concatenate([self.reader.camera_frames(k, episode) for k in self.cameras], axis=2)
            while len(self._frames) > 8:
                self._frames.popitem(last=False)
        self._frames.move_to_end(episode)
        return self._frames[episode]

    def clip(self, query_id, side) -> bytes:
        """A JPEG strip of the clip's frames, top to bottom, which the page plays frame by frame."""
        if side not in ("left", "right"):
            raise RequestError(f"side {side!r} must be left or right")
        with self.lock:
            query = next((q for q in self.queue if q.id == query_id), None)
            if query is None:
                raise RequestError(f"query {query_id!r} is not waiting for an answer", status=404)
            start = query.a if side == "left" else query.b
            episode = int(self.pool.episode_of[start])
            first = start - int(self.pool.bounds[episode, 0])
            frames = self._episode_frames(episode)[first:first + self.query.segment]
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(np.concatenate(list(frames), axis=0), cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            raise RequestError("the clip could not be encoded", status=500)
        return data.tobytes()
