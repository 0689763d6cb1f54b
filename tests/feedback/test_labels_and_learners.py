import re

import numpy as np
import pytest

from robot_hf.feedback.config import FeedbackConfig
from robot_hf.feedback.labels import DEMO, INTERVENTION, POLICY, PRE_INTERVENTION, frame_classes, onsets, rlif_rewards
from robot_hf.feedback.learners import hg_dagger_weights, sirius_weights
from robot_hf.feedback.preferences import intervention_preferences

# episode 0: a demonstration (6 frames); episode 1: policy 0-4, human 5-7, policy 8-9, human 10-11
SOURCE = np.array(["human"] * 6 + ["policy"] * 5 + ["human"] * 3 + ["policy"] * 2 + ["human"] * 2, dtype=object)
INTERVENTION_FLAGS = np.array([False] * 6 + [False] * 5 + [True] * 3 + [False] * 2 + [True] * 2)
EPISODE = np.array([0] * 6 + [1] * 12)
FRAME = np.r_[np.arange(6), np.arange(12)]


def test_frame_classes():
    classes = frame_classes(SOURCE, INTERVENTION_FLAGS, EPISODE, pre_window=2)
    expected = [DEMO] * 6 + [POLICY] * 3 + [PRE_INTERVENTION] * 2 + [INTERVENTION] * 3 + [PRE_INTERVENTION] * 2 + [INTERVENTION] * 2
    assert classes.tolist() == expected


def test_rlif_labels_only_at_onsets():
    rewards = rlif_rewards(INTERVENTION_FLAGS, EPISODE)
    assert np.nonzero(rewards)[0].tolist() == [11, 16]
    assert set(rewards.tolist()) == {0.0, -1.0}
    # A take-over that continues into the next episode's first frame is a new onset there.
    flags = np.array([False, True, True, True])
    assert onsets(flags, np.array([0, 0, 1, 1])).tolist() == [1, 2]


def test_sirius_and_hg_dagger_weights():
    classes = frame_classes(SOURCE, INTERVENTION_FLAGS, EPISODE, pre_window=2)
    cfg = FeedbackConfig(type="sirius")
    cfg.weights.scheme = "fixed"
    cfg.weights.intervention, cfg.weights.pre_intervention, cfg.weights.policy = 3.0, 0.1, 0.5
    w = sirius_weights(classes, cfg)
    assert w[:6].tolist() == [1.0] * 6 and w[6] == 0.5 and w[9] == np.float32(0.1) and w[11] == 3.0
    # Memory: policy frames from rounds older than memory_rounds are trimmed.
    rounds = np.array([0] * 6 + [1] * 12)
    cfg.memory_rounds = 2
    assert sirius_weights(classes, cfg, rounds, current_round=2)[6] == 0.5
    assert sirius_weights(classes, cfg, rounds, current_round=3)[6] == 0.0
    assert sirius_weights(classes, cfg, rounds, current_round=3)[11] == 3.0  # interventions are kept
    assert hg_dagger_weights(classes).tolist() == [1.0] * 6 + [0.0] * 5 + [1.0] * 3 + [0.0] * 2 + [1.0] * 2


def test_sirius_share_weights_give_each_class_its_target_share():
    # 6 demo, 3 policy, 4 pre-intervention and 5 intervention frames
    classes = frame_classes(SOURCE, INTERVENTION_FLAGS, EPISODE, pre_window=2)
    cfg = FeedbackConfig(type="sirius")
    cfg.weights.scheme = "shares"
    cfg.weights.intervention_share, cfg.weights.pre_intervention_share = 0.4, 0.05
    w = sirius_weights(classes, cfg)
    share = {c: w[classes == c].sum() / w.sum() for c in (DEMO, POLICY, PRE_INTERVENTION, INTERVENTION)}
    assert np.isclose(share[DEMO], 6 / 18) and np.isclose(share[INTERVENTION], 0.4)
    assert np.isclose(share[PRE_INTERVENTION], 0.05)
    assert np.isclose(share[POLICY], 1 - 6 / 18 - 0.4 - 0.05)
    assert np.all(w[classes == DEMO] == 1.0)
    # Demos and interventions already fill the signal: the policy's own frames get none (never a negative weight).
    cfg.weights.intervention_share = 0.8
    w = sirius_weights(classes, cfg)
    assert np.all(w[classes == POLICY] == 0.0) and np.all(w >= 0)
    # Memory: the trimmed policy frames leave the pool; with no policy frames left, the demos take their share.
    cfg.weights.intervention_share, cfg.memory_rounds = 0.4, 1
    rounds = np.array([0] * 6 + [1] * 12)
    trimmed = sirius_weights(classes, cfg, rounds, current_round=2)
    assert np.all(trimmed[classes == POLICY] == 0.0)
    assert np.isclose(trimmed[classes == INTERVENTION].sum() / trimmed.sum(), 0.4)
    assert np.isclose(trimmed[classes == DEMO].sum() / trimmed.sum(), 1 - 0.4 - 0.05)


def test_sirius_policy_share_cap_gives_the_rest_to_the_demos():
    classes = frame_classes(SOURCE, INTERVENTION_FLAGS, EPISODE, pre_window=2)
    cfg = FeedbackConfig(type="sirius")
    cfg.weights.scheme = "shares"
    cfg.weights.intervention_share, cfg.weights.pre_intervention_share = 0.4, 0.0
    uncapped = sirius_weights(classes, cfg)
    assert np.isclose(uncapped[classes == POLICY].sum() / uncapped.sum(), 1 - 6 / 18 - 0.4)
    cfg.weights.policy_share_max = 0.1
    w = sirius_weights(classes, cfg)
    share = {c: w[classes == c].sum() / w.sum() for c in (DEMO, POLICY, INTERVENTION)}
    assert np.isclose(share[POLICY], 0.1) and np.isclose(share[INTERVENTION], 0.4)
    assert np.isclose(share[DEMO], 0.5) and np.isclose(w.mean(), 1.0)


@pytest.mark.parametrize("field, value, words", [
    ("scheme", "ratio", "feedback.weights.scheme='ratio'"),
    ("intervention_share", 1.5, "feedback.weights.intervention_share=1.5"),
    ("pre_intervention_share", 0.6, "is over 1"),
    ("policy_share_max", -0.1, "feedback.weights.policy_share_max=-0.1"),
])
def test_sirius_weights_reject_bad_shares(field, value, words):
    cfg = FeedbackConfig(type="sirius")
    setattr(cfg.weights, field, value)
    with pytest.raises(ValueError, match=re.escape(words)):
        sirius_weights(frame_classes(SOURCE, INTERVENTION_FLAGS, EPISODE, pre_window=2), cfg)


def test_intervention_preferences_point_at_real_frames():
    prefs = intervention_preferences(INTERVENTION_FLAGS[6:], FRAME[6:], EPISODE[6:], max_len=20)
    assert [(p.a_from_frame, p.a_to_frame, p.b_from_frame, p.b_to_frame) for p in prefs] == [(5, 8, 2, 5), (10, 12, 8, 10)]
    assert all(p.choice == "a" and p.a_episode_index == 1 for p in prefs)


def test_sirius_pre_window_covers_the_intervener_detection_window():
    """Frames the intervener already judged wrong (before its reaction) must not be imitated as `policy`."""
    from robot_hf.config.compose import compose

    fb = compose("improve", ["feedback=sirius"]).feedback
    detection = max(fb.intervener.no_progress_steps, fb.intervener.off_course_steps) + fb.intervener.reaction_delay_steps
    assert fb.pre_window >= detection
