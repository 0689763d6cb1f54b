import struct
import time

import numpy as np
import pytest

from hardware.cameras.opencv import CameraError, OpenCVCamera
from hardware.config import CameraConfig, DeviceTeleopConfig
from hardware.teleop.gamepad import GamepadTeleop
from hardware.teleop.keyboard import KeyboardTeleop
from hardware.teleop.spacemouse import SpaceMouseTeleop
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.record.ee_adapter import EndEffectorAdapter
from robot_hf.session import TeleoperatorActor, run_session
from sim.robot import SimRobot


def test_keyboard_keys_move_the_gripper_and_mark_episodes():
    kb = KeyboardTeleop(DeviceTeleopConfig(type="keyboard", step_m=0.01, yaw_step=0.1), listen=False)
    kb.press("w")
    kb.press("a")
    kb.press("q")
    np.testing.assert_allclose(kb.get_action()[:4], [0.01, 0.01, 0.0, 0.1])
    kb.release("a")
    kb.press("space")
    action = kb.get_action()
    assert action[1] == 0.0 and action[4] < 0  # gripper closed
    kb.press("enter")
    kb.press("t")
    assert kb.get_events() == {"success": True, "intervene": True}
    assert kb.get_events() == {}


def test_keyboard_drives_the_sim_arm_in_end_effector_space(tmp_path):
    robot = SimRobot({"name": "lift"}, cameras=[], action_space="ee_delta")
    kb = KeyboardTeleop(listen=False)
    robot.reset(seed=0)
    kb.press("w")
    for _ in range(5):
        robot.send_action(kb.get_action())
    assert robot.info["privileged"]["ee_pos"][0] > robot.env.home_pose[0] + 0.03
    robot.disconnect()


def test_keyboard_through_ik_on_a_joint_space_arm_and_the_record_loop(tmp_path):
    """A delta device drives a joint-space arm via IK on the sim twin; Enter ends the take as a success."""
    robot = SimRobot({"name": "lift"}, cameras=[])
    kb = KeyboardTeleop(listen=False)
    adapter = EndEffectorAdapter(kb)
    steps = {"n": 0}
    original = kb.get_action

    def operator(obs=None):
        steps["n"] += 1
        if steps["n"] == 3:
            kb.press("r")  # lift up
        if steps["n"] == 9:
            kb.press("enter")
        return original(obs)

    kb.get_action = operator
    writer = DatasetWriter.create(tmp_path / "ds", robot.fps, build_features({}, robot.state_names, robot.action_names))
    with writer:
        result = run_session(robot, TeleoperatorActor(adapter), writer, num_episodes=1, person=adapter)
    assert result.successes == 1
    ep = DatasetReader(tmp_path / "ds").episode(0)
    assert len(ep["action"]) == 9
    # Going up: the shoulder lifts back and the wrist follows, as IK on the twin says.
    assert not np.allclose(ep["action"][-1, :5], ep["action"][0, :5])
    robot.disconnect()


def test_gamepad_axes_and_button_edges():
    pad = GamepadTeleop(DeviceTeleopConfig(type="gamepad", step_m=0.02, yaw_step=0.1))
    pad.feed([0.0, -1.0, 0.05, 0.5], {0})
    action = pad.get_action()
    np.testing.assert_allclose(action[:4], [0.02, 0.0, -0.01, 0.0])  # stick up = forward; small axes are dead zone
    assert pad.get_events() == {"success": True}
    pad.feed([0, 0, 0, 0], {0})  # still held: no second event
    assert pad.get_events() == {}
    pad.feed([0, 0, 0, 0], {2})
    assert pad.get_action()[4] < 0  # X toggled the gripper closed
    pad.feed([0, 0, 0, 0], {1, 3})
    assert pad.get_events() == {"rerecord": True, "intervene": True}


def test_spacemouse_reports():
    mouse = SpaceMouseTeleop(DeviceTeleopConfig(type="spacemouse", step_m=0.01, yaw_step=0.1))
    mouse.feed_report(bytes([1]) + struct.pack("<hhh", 0, 350, 0) + struct.pack("<hhh", 0, 0, -175))
    np.testing.assert_allclose(mouse.get_action()[:4], [0.01, 0.0, 0.0, 0.05], atol=1e-6)
    assert mouse.moving()
    mouse.feed_report(bytes([3, 0b01]))
    assert mouse.get_action()[4] < 0
    mouse.feed_report(bytes([3, 0b11]))
    assert mouse.get_events() == {"intervene": True}


class FakeCapture:
    def __init__(self, source, fail_after=None):
        self.n, self.fail_after = 0, fail_after

    def isOpened(self):
        return True

    def set(self, *args):
        return True

    def read(self):
        self.n += 1
        if self.fail_after is not None and self.n > self.fail_after:
            return False, None
        time.sleep(0.005)
        return True, np.full((48, 64, 3), self.n % 255, np.uint8)

    def release(self):
        pass


def test_camera_latest_frame_never_blocks_and_loss_is_reported():
    cam = OpenCVCamera("front", CameraConfig(source="0", width=64, height=48, resize=[24, 32]), capture_factory=FakeCapture,
                       lost_after_s=0.2)
    cam.connect()
    frame, _stamp = cam.read_latest()
    assert frame.shape == (24, 32, 3)
    t0 = time.perf_counter()
    for _ in range(100):
        cam.read_latest()
    assert (time.perf_counter() - t0) / 100 < 0.002
    cam.disconnect()
    broken = OpenCVCamera("wrist", CameraConfig(source="1"), capture_factory=lambda s: FakeCapture(s, fail_after=3),
                          lost_after_s=0.1)
    broken.connect()
    time.sleep(0.3)
    with pytest.raises(CameraError, match="camera 'wrist' .* stopped delivering frames"):
        broken.read_latest()
    broken.disconnect()
