"""Query rounds: choose a batch of segment pairs, get the answers, store them, refit the reward, repeat.

The first round's queries are uniform (there is no model yet to disagree); later rounds use the method
configured. Answers go into the dataset's preferences table as soon as a round is answered, so an
interrupted run keeps every answer it got; a rerun resumes with the pairs already labelled excluded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from policies.reward import RewardConfig, RewardModel
from robot_hf.dataset import Preference
from robot_hf.feedback.reward.frames import FramePool
from robot_hf.feedback.reward.queries import QueryConfig, select_queries
from robot_hf.feedback.reward.training import LabelledPairs, RewardTrainConfig, fit_reward
from sim.teachers import ScriptedTeacher

Answer = Callable[[np.ndarray], list[Preference]]


def teacher_answers(pool: FramePool, teacher: ScriptedTeacher, segment: int) -> Answer:
    """Answers to (n, 2) pairs from a scripted teacher reading the pool's true progress."""
    if pool.progress is None:
        raise ValueError("scripted teachers judge by the task's true progress, which this pool has not loaded")

    def answer(pairs: np.ndarray) -> list[Preference]:
        return [pool.preference(int(a), int(b), segment,
                                teacher.answer(pool.progress[a:a + segment], pool.progress[b:b + segment]), teacher.annotator)
                for a, b in pairs]

    return answer


def labelled_starts(pool: FramePool, preferences: list[Preference]) -> set[tuple[int, int]]:
    """The (a, b) first-frame global indices of pairs already answered."""
    return {(int(pool.bounds[p.a_episode_index, 0] + p.a_from_frame), int(pool.bounds[p.b_episode_index, 0] + p.b_from_frame))
            for p in preferences}


def label_rounds(pool: FramePool, answer: Answer, store: Callable[[list[Preference]], None], reward: RewardConfig,
                 query: QueryConfig, train: RewardTrainConfig, schedule: list[int], seed: int = 0,
                 episodes: np.ndarray | None = None, existing: list[Preference] | None = None,
                 model: RewardModel | None = None,
                 report: Callable[[RewardModel, dict], None] | None = None) -> tuple[RewardModel, list[Preference]]:
    """Label until each total in `schedule` (e.g. [50, 100, 200]) is reached, refitting after each; returns the model
    and every preference it learned from (the existing ones first)."""
    rng = np.random.default_rng(seed)
    prefs = list(existing or [])
    for target in schedule:
        need = target - len(prefs)
        if need > 0:
            round_query = query if model is not None else replace(query, method="uniform")
            pairs = select_queries(pool, round_query, need, rng, model, episodes, exclude=labelled_starts(pool, prefs))
            answers = answer(pairs)
            store(answers)
            prefs += answers
        if model is None:
            model = RewardModel(replace(reward, features=pool.features(reward.use_state)))
        result = fit_reward(model, pool, LabelledPairs.from_preferences(pool, prefs), train)
        if report:
            report(model, {"labels": len(prefs), **result})
    if model is None:
        raise ValueError("label: the schedule asks for no labels")
    return model, prefs
