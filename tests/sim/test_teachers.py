"""Each scripted teacher's answers on constructed segment pairs (B-Pref)."""

import numpy as np
import pytest

from sim.teachers import ScriptedTeacher, TeacherConfig

LOW, HIGH = np.full(10, 0.2), np.full(10, 0.6)


def answers(config: TeacherConfig, a, b, n=2000):
    teacher = ScriptedTeacher(config)
    return [teacher.answer(a, b) for _ in range(n)]


def test_oracle_picks_the_larger_return_and_calls_exact_ties_equal():
    t = ScriptedTeacher(TeacherConfig())
    assert t.answer(HIGH, LOW) == "a" and t.answer(LOW, HIGH) == "b" and t.answer(LOW, LOW) == "equal"
    assert t.annotator == "teacher:oracle"


def test_stochastic_follows_bradley_terry_with_its_rationality():
    a, b = np.full(10, 0.25), np.full(10, 0.2)  # returns 2.5 vs 2.0
    share = np.mean([x == "a" for x in answers(TeacherConfig(name="stochastic", beta=1.0), a, b, 4000)])
    assert share == pytest.approx(1 / (1 + np.exp(-0.5)), abs=0.03)  # 0.62
    assert all(x == "a" for x in answers(TeacherConfig(beta=100.0), a, b, 200))  # beta -> infinity: the oracle


def test_mistaken_flips_with_probability_eps():
    share = np.mean([x == "b" for x in answers(TeacherConfig(name="mistaken", eps=0.1), HIGH, LOW, 4000)])
    assert share == pytest.approx(0.1, abs=0.02)


def test_myopic_weighs_the_late_frames():
    early_good = np.r_[np.full(9, 0.9), 0.0]
    late_good = np.r_[np.zeros(9), 1.0]
    assert ScriptedTeacher(TeacherConfig()).answer(early_good, late_good) == "a"  # sums 8.1 vs 1.0
    assert ScriptedTeacher(TeacherConfig(name="myopic", gamma=0.3)).answer(early_good, late_good) == "b"


def test_skipping_and_equal_thresholds():
    skipper = ScriptedTeacher(TeacherConfig(name="skipping", skip_below=0.3))
    assert skipper.answer(np.full(10, 0.1), np.full(10, 0.25)) == "skip" and skipper.answer(LOW, HIGH) == "b"
    equal = ScriptedTeacher(TeacherConfig(name="equal", equal_within=0.05))
    assert equal.answer(np.full(10, 0.50), np.full(10, 0.52)) == "equal" and equal.answer(LOW, HIGH) == "b"


def test_bad_teacher_settings_are_refused_by_name():
    for bad, field in [({"beta": 0}, "beta"), ({"eps": 0.7}, "eps"), ({"gamma": 0}, "gamma")]:
        with pytest.raises(ValueError, match=f"teacher.{field}"):
            ScriptedTeacher(TeacherConfig(**bad))


def test_every_teacher_preset_composes():
    from robot_hf.config.compose import compose

    for name in ["oracle", "stochastic", "mistaken", "myopic", "skipping", "equal"]:
        cfg = compose("reward", [f"teacher={name}"])
        ScriptedTeacher(TeacherConfig(**cfg.teacher)).config.check()
