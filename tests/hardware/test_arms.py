import json
import time

import numpy as np
import pytest

from hardware.arms.arm import ArmFault
from hardware.arms.calibration import ArmCalibration, record_calibration
from hardware.arms.layouts import layout
from hardware.config import DeviceTeleopConfig
from hardware.emulated_arm import HALF_RANGE, MIDDLE, ScriptedLeaderMotion, calibrate_emulated, make_arm
from hardware.emulator import BusEmulator
from hardware.motors.bus import MotorBus
from hardware.teleop.keyboard import KeyboardTeleop
from hardware.teleop.leader import LeaderArmTeleop
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.dataset.validate import validate
from robot_hf.session import TeleoperatorActor, run_session

SO101 = {i: "sts3215" for i in range(1, 7)}


def test_calibration_records_offsets_and_ranges(tmp_path):
    with BusEmulator("feetech", SO101) as emu:
        calibrate_emulated(emu, tmp_path / "cal.json")
    cal = ArmCalibration.load(tmp_path / "cal.json")
    c = cal.motors["elbow_flex"]
    assert c.homing_offset == MIDDLE - 2047
    assert (c.range_min, c.range_max) == (2047 - HALF_RANGE, 2047 + HALF_RANGE)
    assert cal.to_radians("elbow_flex", 2047) == pytest.approx(0.0)
    lo, hi = cal.limits("elbow_flex")
    assert lo == pytest.approx(-HALF_RANGE * 2 * np.pi / 4096) and hi == pytest.approx(-lo)
    assert cal.to_radians("gripper", c.range_min) == pytest.approx(0.0)  # gripper: 0 = closed
    assert json.loads((tmp_path / "cal.json").read_text())["arm"] == "so101"


def test_calibration_refuses_an_offset_the_register_cannot_hold(tmp_path):
    with BusEmulator("feetech", SO101) as emu:
        bus = MotorBus(emu.port, layout("so101", "follower"), timeout_s=0.02)
        bus.connect()
        for i in range(1, 7):
            emu.set_position(i, MIDDLE)
        emu.set_position(3, 4095)  # elbow horn mounted half a turn off: offset 2048 > 2047
        with pytest.raises(ValueError, match=r"homing offset 2048 for motor 'elbow_flex' .*\+-2047"):
            record_calibration(bus, "so101", lambda text: None, lambda: False)
        bus.close()


@pytest.fixture
def follower(tmp_path):
    with BusEmulator("feetech", SO101) as emu:
        calibrate_emulated(emu, tmp_path / "follower.json")
        arm = make_arm(emu, tmp_path / "follower.json", max_step_rad=0.1)
        arm.connect()
        arm.emulator = emu
        yield arm
        arm.disconnect()


def test_arm_reads_radians_and_clips_actions_for_safety(follower):
    obs = follower.get_observation()
    assert obs["state"].shape == (12,)
    np.testing.assert_allclose(obs["state"][:5], 0.0, atol=2e-3)
    sent = follower.send_action(np.array([0.5, -0.05, 9.0, 0.0, 0.0, 0.3], np.float32))
    # max 0.1 rad per command from where the arm is; and never past the calibrated limits
    np.testing.assert_allclose(sent[:5], [0.1, -0.05, 0.1, 0.0, 0.0], atol=1e-6)
    for _ in range(30):
        follower.get_observation()
        sent = follower.send_action(np.array([0.5, -0.05, 9.0, 0.0, 0.0, 0.3], np.float32))
        time.sleep(0.01)
    assert sent[2] == pytest.approx(follower.action_high[2])
    with pytest.raises(ValueError, match="takes 6 joint targets"):
        follower.send_action(np.zeros(5))


def test_torque_off_on_disconnect_and_on_a_bus_failure(follower):
    emu = follower.emulator
    assert all(m.get("Torque_Enable") == 1 for m in emu.motors.values())
    emu.inject("no_reply", 2, count=-1)
    follower.get_observation.__self__._present = None  # force a fresh read
    with pytest.raises(ArmFault, match="so101_follower on .*: sending an action failed .motor 2"):
        follower.send_action(np.zeros(6, np.float32))
    emu.clear_faults()
    assert all(m.get("Torque_Enable") == 0 for m in emu.motors.values())


def test_leader_follower_recording_on_real_bytes(tmp_path):
    with BusEmulator("feetech", SO101) as fol_emu, BusEmulator("feetech", SO101) as lead_emu:
        calibrate_emulated(fol_emu, tmp_path / "f.json")
        calibrate_emulated(lead_emu, tmp_path / "l.json", role="leader")
        follower = make_arm(fol_emu, tmp_path / "f.json", max_step_rad=0.5, fps=30, task="wave")
        keyboard = KeyboardTeleop(listen=False)
        leader = LeaderArmTeleop(DeviceTeleopConfig(type="so101_leader"), arm=make_arm(lead_emu, tmp_path / "l.json", role="leader"),
                                 keyboard=keyboard)
        person = ScriptedLeaderMotion(lead_emu)
        follower.connect()
        leader.connect()
        steps = {"n": 0}
        original = leader.get_action

        def moving_leader(obs):
            person.step()
            steps["n"] += 1
            if steps["n"] == 25:
                keyboard.press("enter")  # the operator marks success
            return original(obs)

        leader.get_action = moving_leader
        writer = DatasetWriter.create(tmp_path / "ds", 30, build_features({}, follower.state_names, follower.action_names))
        with writer:
            result = run_session(follower, TeleoperatorActor(leader), writer, num_episodes=1, person=leader, max_steps=150, realtime=True)
        assert result.successes == 1
        assert lead_emu.motors[1].get("Torque_Enable") == 0  # a leader stays limp
        follower_goal = fol_emu.motors[1].get("Goal_Position")
        follower.disconnect()
        leader.disconnect()
    r = DatasetReader(tmp_path / "ds")
    ep = r.episode(0)
    assert len(ep["action"]) == 25
    # The leader's shoulder ramped +8 ticks per step; the follower was sent the same angles.
    expected = (np.arange(1, 26) * 8) * 2 * np.pi / 4096
    np.testing.assert_allclose(ep["action"][:, 0], expected, atol=2e-3)
    assert follower_goal == pytest.approx(2047 + 25 * 8, abs=2)
    meta = ep["meta"]
    assert meta["loop/period_p50_ms"] == pytest.approx(1000 / 30, rel=0.25)
    assert meta["loop/overruns"] >= 0
    assert validate(tmp_path / "ds") == []


def test_a_bus_failure_mid_episode_keeps_the_frames_recorded(tmp_path):
    with BusEmulator("feetech", SO101) as fol_emu, BusEmulator("feetech", SO101) as lead_emu:
        calibrate_emulated(fol_emu, tmp_path / "f.json")
        calibrate_emulated(lead_emu, tmp_path / "l.json", role="leader")
        follower = make_arm(fol_emu, tmp_path / "f.json", max_step_rad=0.5)
        leader = LeaderArmTeleop(DeviceTeleopConfig(type="so101_leader"), arm=make_arm(lead_emu, tmp_path / "l.json", role="leader"))
        follower.connect()
        leader.connect()
        calls = {"n": 0}
        original = follower.send_action

        def failing(action):
            calls["n"] += 1
            if calls["n"] == 12:
                fol_emu.inject("overload", 3, count=-1)
                follower._present = None
            return original(action)

        follower.send_action = failing
        writer = DatasetWriter.create(tmp_path / "ds", 30, build_features({}, follower.state_names, follower.action_names))
        with pytest.raises(Exception, match="motor 3 reports overload"), writer:
            run_session(follower, TeleoperatorActor(leader), writer, num_episodes=2, person=leader, max_steps=150, realtime=False)
        assert all(m.get("Torque_Enable") == 0 for m in fol_emu.motors.values())
        follower.disconnect()
        leader.disconnect()
    r = DatasetReader(tmp_path / "ds")
    assert r.num_episodes == 1 and r.num_frames == 11
    assert "overload" in r.meta.episodes[0]["aborted"]
