"""Overruns in the record loop are counted, and never shift actions against the frames they were sent from."""

import time
from typing import ClassVar

import numpy as np

from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.session import TeleoperatorActor, run_session
from tests.session_doubles import PersonDouble, RobotDouble


class SlowRobot(RobotDouble):
    """A 2-joint robot whose state is a tick counter; every third send_action takes three periods."""

    fps = 20
    max_steps = 12
    state_names: ClassVar[list[str]] = ["tick", "last_command"]
    action_names: ClassVar[list[str]] = ["a", "b"]

    def reset(self, seed=0):
        self.tick, self.last = 0, -1.0
        return self.get_observation()

    def get_observation(self):
        return {"images": {}, "state": np.array([self.tick, self.last], np.float32), "task": "count"}

    def send_action(self, action):
        if self.tick % 3 == 2:
            time.sleep(3 / self.fps)
        self.last = float(action[0])
        self.tick += 1
        return np.asarray(action, np.float32)


class EchoTeleop(PersonDouble):
    """Commands the tick it observed, so a recorded action must equal its frame's observed tick."""

    def get_action(self, observation):
        return np.array([observation["state"][0], 7.0], np.float32)


def test_overruns_are_counted_and_frames_stay_aligned(tmp_path):
    robot = SlowRobot()
    features = build_features({}, robot.state_names, robot.action_names)
    with DatasetWriter.create(tmp_path / "ds", robot.fps, features) as writer:
        teleop = EchoTeleop()
        run_session(robot, TeleoperatorActor(teleop), writer, 1, person=teleop, realtime=True)
    r = DatasetReader(tmp_path / "ds")
    state, action = r.column("observation.state"), r.column("action")
    assert len(state) == 12
    np.testing.assert_array_equal(action[:, 0], state[:, 0])  # the action sent from each frame's observation
    np.testing.assert_array_equal(state[1:, 1], action[:-1, 0])  # and the next frame sees it executed
    np.testing.assert_array_equal(state[:, 0], np.arange(12))  # no frame dropped or repeated
    np.testing.assert_allclose(r.column("timestamp"), np.arange(12) / robot.fps, atol=1e-6)
    meta = r.meta.episodes[0]
    # The slow sends at ticks 2, 5 and 8 each stretch one period; the one at tick 11 ends the episode
    assert meta["loop/overruns"] >= 3  # (scheduler jitter on a loaded machine may add one)
    assert meta["loop/period_p99_ms"] > 2.5 * 1000 / robot.fps > meta["loop/period_p50_ms"]
