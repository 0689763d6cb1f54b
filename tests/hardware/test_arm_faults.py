"""Arms are safe on every exit: a dead line, a silent servo, SIGTERM. The follower's torque goes off, the frames
recorded so far are kept, and the person is told which arm failed in one line."""

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from hardware.arms.arm import ArmFault
from hardware.emulated_arm import calibrate_emulated, make_arm
from hardware.emulator import BusEmulator
from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.session import PolicyActor, run_session

SO101 = {i: "sts3215" for i in range(1, 7)}


def arm_args(follower, leader, tmp_path):
    return ["robot=so101", f"robot.port={follower.port}", f"robot.calibration={tmp_path / 'f.json'}",
            "teleop=so101_leader", f"teleop.port={leader.port}", f"teleop.calibration={tmp_path / 'l.json'}"]


def test_an_unplugged_leader_ends_recording_with_the_follower_limp_and_the_take_kept(tmp_path, capsys):
    with BusEmulator("feetech", SO101) as follower, BusEmulator("feetech", SO101) as leader:
        calibrate_emulated(follower, tmp_path / "f.json")
        calibrate_emulated(leader, tmp_path / "l.json", role="leader")
        unplug = threading.Timer(1.0, leader.stop)  # the leader's adapter goes away mid-episode
        unplug.start()
        code = main(["record", *arm_args(follower, leader, tmp_path), "dataset.num_episodes=2",
                     "record.episode_time_s=5", f"dataset.root={tmp_path / 'ds'}"])
        unplug.join()
        torque = [follower.motors[i].get("Torque_Enable") for i in SO101]
    err = capsys.readouterr().err
    assert code == 1 and torque == [0] * 6
    message = [line for line in err.splitlines() if line.startswith("robot-hf record: error:")]
    assert len(message) == 1 and "so101_leader" in message[0] and "Traceback" not in err
    r = DatasetReader(tmp_path / "ds")
    assert r.num_episodes == 1 and r.num_frames > 0 and r.meta.episodes[0]["aborted"].startswith("ArmFault")


class Hold:
    def reset(self):
        pass

    def select_action(self, observation):
        return observation["state"][:6].copy()


def test_a_follower_servo_that_stops_answering_stops_the_arm_and_keeps_the_frames(tmp_path):
    with BusEmulator("feetech", SO101) as emu:
        calibrate_emulated(emu, tmp_path / "f.json")
        arm = make_arm(emu, tmp_path / "f.json")
        arm.connect()
        calls = {"n": 0}
        observe = arm._observe

        def observing():
            calls["n"] += 1
            if calls["n"] == 8:
                emu.inject("no_reply", 3, count=-1)  # the elbow's servo goes silent
            return observe()

        arm._observe = observing
        writer = DatasetWriter.create(tmp_path / "ds", arm.fps, build_features({}, arm.state_names, arm.action_names))
        with pytest.raises(ArmFault, match=r"so101_follower on .*: observing failed \(motor 3"), writer:
            run_session(arm, PolicyActor(Hold()), writer, 1, max_steps=50)
        assert [emu.motors[i].get("Torque_Enable") for i in (1, 2, 4, 5, 6)] == [0] * 5
        with pytest.raises(ArmFault, match="stopped after an earlier failure"):
            arm.send_action(Hold().select_action({"state": arm._present.tolist() * 2}))
        arm.disconnect()
    r = DatasetReader(tmp_path / "ds")
    assert r.num_frames == 7 and "motor 3" in r.meta.episodes[0]["aborted"]  # a frame for each observation before the 8th


def test_sigterm_during_recording_turns_the_follower_off_and_keeps_the_take(tmp_path):
    """`kill`, a container stop or a service manager: the process is asked to stop, not killed outright."""
    script = textwrap.dedent(f"""
        import json, os, signal, sys, threading
        from pathlib import Path
        from hardware.emulated_arm import calibrate_emulated
        from hardware.emulator import BusEmulator
        from hardware.teleop.leader import LeaderArmTeleop
        from robot_hf.cli.main import main

        connect = LeaderArmTeleop.connect

        def connect_then_kill_soon(self):  # the signal comes once the session is under way
            connect(self)
            threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()

        LeaderArmTeleop.connect = connect_then_kill_soon

        tmp = Path({str(tmp_path)!r})
        motors = {{i: "sts3215" for i in range(1, 7)}}
        with BusEmulator("feetech", motors) as follower, BusEmulator("feetech", motors) as leader:
            calibrate_emulated(follower, tmp / "f.json")
            calibrate_emulated(leader, tmp / "l.json", role="leader")
            code = main(["record", "robot=so101", f"robot.port={{follower.port}}", f"robot.calibration={{tmp / 'f.json'}}",
                         "teleop=so101_leader", f"teleop.port={{leader.port}}", f"teleop.calibration={{tmp / 'l.json'}}",
                         "dataset.num_episodes=2", "record.episode_time_s=5", f"dataset.root={{tmp / 'ds'}}"])
            print(json.dumps({{"code": code, "torque": [follower.motors[i].get("Torque_Enable") for i in motors]}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")})
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 143, "torque": [0] * 6}, done.stderr
    assert "stopped by SIGTERM" in done.stderr and "Traceback" not in done.stderr
    r = DatasetReader(tmp_path / "ds")
    assert r.num_episodes == 1 and r.meta.episodes[0]["aborted"] == "terminated by SIGTERM" and r.num_frames > 0
