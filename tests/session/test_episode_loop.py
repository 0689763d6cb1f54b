"""The one episode loop: the same recording whoever acts, and nothing recorded is lost however a take ends."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hardware.teleop.keyboard import KeyboardTeleop
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.dataset.validate import validate
from robot_hf.session import PolicyActor, TakeoverActor, TakeoverPreferences, TeleoperatorActor, run_session
from sim.robot import SimRobot
from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator


class HoldPolicy:
    """Holds the arm where it is (end-effector deltas of zero, gripper open)."""

    def __init__(self, fail_at: int | None = None, error: BaseException | None = None):
        self.calls, self.fail_at, self.error = 0, fail_at, error

    def reset(self):
        pass

    def select_action(self, observation):
        self.calls += 1
        if self.calls == self.fail_at:
            raise self.error
        return np.array([0, 0, 0, 0, 1.2], np.float32)


def lift(**overrides):
    return SimRobot({"name": "lift", "cameras": [], "action_space": "ee_delta", **overrides})


def writer_for(robot, root):
    return DatasetWriter.create(root, robot.fps, build_features({}, robot.state_names, robot.action_names))


def test_record_policy_and_takeover_sessions_share_one_recording(tmp_path):
    robot = lift()
    teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(clean=True))
    with writer_for(robot, tmp_path / "demos") as writer:
        demos = run_session(robot, TeleoperatorActor(teleop), writer, 1, person=teleop, seed=3)
    with writer_for(robot, tmp_path / "eval") as writer:
        evaluated = run_session(robot, PolicyActor(HoldPolicy()), writer, 1, seed=3, max_steps=10)
    robot.disconnect()
    assert demos.successes == 1 and demos.human_frames == demos.frames
    assert evaluated.successes == 0 and evaluated.human_frames == 0 and evaluated.frames == 10
    demo, held = DatasetReader(tmp_path / "demos").episode(0), DatasetReader(tmp_path / "eval").episode(0)
    assert set(demo["source"]) == {"human"} and set(held["source"]) == {"policy"}
    assert demo["next.success"][-1] and demo["next.done"][-1] and not demo["next.done"][:-1].any()
    assert demo["next.reward"].max() > 0  # Lift's shaped reward, as the environment gave it
    assert held["next.done"].tolist() == [False] * 9 + [True]  # the time limit the session set
    assert demo["meta"]["seed"] == held["meta"]["seed"] == 3


def test_an_exception_mid_takeover_keeps_the_frames_marked_aborted(tmp_path):
    robot = lift()
    kb = KeyboardTeleop(listen=False)
    policy = HoldPolicy(fail_at=8, error=RuntimeError("policy crashed"))
    steps = {"n": 0}
    events = kb.get_events

    def person_events():
        steps["n"] += 1
        if steps["n"] == 3:
            kb.press("t")  # take over after the third frame; the policy resumes after hand-back at 6
        if steps["n"] == 6:
            kb.press("t")
        return events()

    kb.get_events = person_events
    with pytest.raises(RuntimeError, match="policy crashed"), writer_for(robot, tmp_path / "ds") as writer:
        run_session(robot, TakeoverActor(policy, kb, takeover_on_motion=False), writer, 2, person=kb,
                    listeners=[TakeoverPreferences("test")])
    robot.disconnect()
    r = DatasetReader(tmp_path / "ds")
    ep = r.episode(0)
    assert r.num_episodes == 1 and len(ep["action"]) == 10  # 7 policy calls done, the 8th raised; 3 human frames
    assert ep["intervention"].tolist() == [False] * 3 + [True] * 3 + [False] * 4
    assert "policy crashed" in ep["meta"]["aborted"] and not ep["meta"]["success"]
    assert ep["meta"]["takeover_frames"] == [3] and ep["meta"]["handback_frames"] == [6]
    assert len(r.preferences) == 1 and validate(tmp_path / "ds") == []


def test_a_rollout_killed_by_sigterm_mid_takeover_keeps_its_episode(tmp_path):
    """A real SIGTERM from the OS, sent while a person drives, as `kill` or a container stop sends it."""
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        from hardware.teleop.keyboard import KeyboardTeleop
        from robot_hf.dataset import DatasetWriter, build_features
        from robot_hf.session import TakeoverActor, run_session
        from robot_hf.session.signals import stop_on_signals
        from sim.robot import SimRobot

        robot = SimRobot({{"name": "lift", "cameras": [], "action_space": "ee_delta"}})
        kb = KeyboardTeleop(listen=False)
        kb.press("t")  # the person takes over after the first frame
        steps = {{"n": 0}}
        def drive(observation):
            steps["n"] += 1
            if steps["n"] == 5:
                os.kill(os.getpid(), signal.SIGTERM)
            return np.array([0, 0, 0.01, 0, 1.2], np.float32)
        kb.get_action = drive
        class Hold:
            def reset(self): pass
            def select_action(self, observation): return np.array([0, 0, 0, 0, 1.2], np.float32)
        writer = DatasetWriter.create({str(tmp_path / "ds")!r}, robot.fps, build_features({{}}, robot.state_names, robot.action_names))
        with stop_on_signals(), writer:
            run_session(robot, TakeoverActor(Hold(), kb, takeover_on_motion=False), writer, 3, person=kb)
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")})
    assert done.returncode != 0 and "Terminated: SIGTERM" in done.stderr
    assert "kept the 5 frames recorded before it stopped (terminated by SIGTERM)" in done.stdout
    r = DatasetReader(tmp_path / "ds")
    ep = r.episode(0)
    assert r.num_episodes == 1 and ep["intervention"].tolist() == [False] + [True] * 4
    assert ep["meta"]["aborted"] == "terminated by SIGTERM" and ep["rlif_reward"].tolist() == [0, -1, 0, 0, 0]


def test_rerecord_discards_the_take_and_the_next_take_gets_a_new_scene(tmp_path):
    robot = lift()
    kb = KeyboardTeleop(listen=False)
    takes = {"n": 0}

    def start():
        takes["n"] += 1
        kb.press("backspace" if takes["n"] == 1 else "enter")  # re-record the first take, mark the second a success

    kb.start_episode = start
    with writer_for(robot, tmp_path / "ds") as writer:
        result = run_session(robot, TeleoperatorActor(kb), writer, 1, person=kb, seed=10)
    robot.disconnect()
    r = DatasetReader(tmp_path / "ds")
    assert (result.discarded, len(result.saved), r.num_episodes) == (1, 1, 1)
    assert r.meta.episodes[0]["seed"] == 11 and r.meta.episodes[0]["success"]
    assert result.human_frames == 2  # the discarded take's frame counts as effort


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_stop_on_signals_raises_terminated(signum):
    from robot_hf.session.signals import Terminated, stop_on_signals

    with pytest.raises(Terminated, match=signal.Signals(signum).name), stop_on_signals():
        os.kill(os.getpid(), signum)


def test_an_emergency_stop_lets_go_of_the_robot_at_once(tmp_path):
    robot = lift()
    kb = KeyboardTeleop(listen=False)
    released = []
    kb.press("x")
    with writer_for(robot, tmp_path / "ds") as writer:
        result = run_session(robot, TeleoperatorActor(kb), writer, 3, person=kb,
                             on_abort=lambda: released.append("released"))
    robot.disconnect()
    assert result.stopped and len(result.saved) == 1 and released == ["released"]
    assert DatasetReader(tmp_path / "ds").num_episodes == 1


def test_a_frame_budget_is_spent_exactly_and_the_effort_is_counted_in_person_seconds(tmp_path):
    """The more-demos baseline's budget: whole demos, re-recorded takes counted, the last one cut where it runs out."""
    robot = lift()
    teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(seed=1))
    with writer_for(robot, tmp_path / "ds") as writer:
        result = run_session(robot, TeleoperatorActor(teleop), writer, 1000, person=teleop, max_human_frames=45)
    robot.disconnect()
    r = DatasetReader(tmp_path / "ds")
    assert result.human_frames == 45 and result.driving_s == pytest.approx(45 / robot.fps) and result.watching_s == 0
    assert (r.num_frames == 45) if result.discarded == 0 else (r.num_frames < 45)  # discarded takes cost, are not kept
    last = r.meta.episodes[-1]
    assert not last["success"] and r.episode(r.num_episodes - 1)["next.done"][-1]  # the cut demo: kept, no success


def test_watching_the_policy_counts_as_attention(tmp_path):
    robot = lift()
    kb = KeyboardTeleop(listen=False)
    with writer_for(robot, tmp_path / "ds") as writer:
        result = run_session(robot, TakeoverActor(HoldPolicy(), kb, takeover_on_motion=False), writer, 1, person=kb, max_steps=20)
    robot.disconnect()
    assert result.watching_s == pytest.approx(20 / robot.fps) and result.driving_s == 0


class PausingActor:
    """Holds still; after 3 steps it pauses for the person until they say something."""

    def __init__(self):
        self.acted, self.paused, self.resumed = 0, False, False

    def start_episode(self, robot, observation):
        pass

    def act(self, observation):
        from robot_hf.session.actors import POLICY, Decision

        if self.acted == 3 and not self.resumed:
            self.paused = True
        if self.paused:
            return Decision(None, POLICY, paused=True)
        self.acted += 1
        return Decision(np.array([0, 0, 0, 0, 1.2], np.float32), POLICY)

    def after_step(self, events, frame, observation):
        if self.paused and events.get("correction"):
            self.paused, self.resumed = False, True

    def status(self):
        return "paused" if self.paused else "running"

    def episode_info(self):
        return {}


class SaysAfter(KeyboardTeleop):
    """A person who says `events` on their `at`-th look."""

    def __init__(self, at: int, events: dict):
        super().__init__(listen=False)
        self.at, self.said, self.looks = at, events, 0

    def get_events(self):
        self.looks += 1
        return dict(self.said) if self.looks == self.at else {}


@pytest.mark.parametrize("said", [{"correction": "move up"}, {"failure": True}])
def test_a_pause_holds_the_arm_and_the_episodes_clock_until_the_person_speaks(tmp_path, said):
    robot = lift()
    sent = []
    send = robot.send_action
    robot.send_action = lambda action: sent.append(action) or send(action)
    person = SaysAfter(3 + 5, said)  # three steps, then the fifth look while paused
    with writer_for(robot, tmp_path / "ds") as writer:
        result = run_session(robot, PausingActor(), writer, 1, person=person, max_steps=10)
    robot.disconnect()
    r = DatasetReader(tmp_path / "ds")
    if "correction" in said:  # nothing sent or recorded while paused, and the budget of 10 steps is spent in full
        assert len(sent) == r.num_frames == 10 and result.paused_s == pytest.approx(5 / robot.fps)
        assert [(c.frame_index, c.text) for c in r.corrections] == [(3, "move up")]  # with the next frame recorded
    else:  # the person ends the episode while paused: one last frame, holding still, carries the verdict
        assert len(sent) == r.num_frames == 4 and result.paused_s == pytest.approx(4 / robot.fps)
        assert r.episode(0)["next.done"].tolist() == [False] * 3 + [True] and not result.successes
