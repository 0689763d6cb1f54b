"""Record loop timing at 30 Hz: sim Lift with two 96x96 cameras through the simulated teleoperator, and
an SO-101 follower/leader pair on the emulated Feetech bus (real bytes through a pseudo-terminal) with
two 96x96 cameras.

    MUJOCO_GL=egl python benchmarks/record_loop.py              # 3 episodes per row
    MUJOCO_GL=egl python benchmarks/record_loop.py --episodes 1

Each row is measured twice in this run: recording into a dataset, and the same loop with nothing
recorded (the baseline), so the table shows what recording costs the loop. Save overhead is the time
save_episode() holds the loop up, as a fraction of the episode; encode+commit runs in the background.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

os.environ.setdefault("MUJOCO_GL", "egl")

import robot_hf.dataset.writer as writer_module
from robot_hf.dataset import DatasetWriter, build_features
from robot_hf.session import StatusLine, TeleoperatorActor, run_session

FPS = 30


class _NullWriter:
    """The baseline: the same loop, nothing recorded."""

    episode_length = 0
    pending = 0

    def add_frame(self, frame):
        pass

    def add_correction(self, text):
        pass

    def save_episode(self, **meta):
        return 0

    def discard_episode(self):
        pass


class SyntheticCapture:
    """A camera stand-in for the emulated arm: moving 96x96 frames at 30 fps, like cv2.VideoCapture."""

    def __init__(self, source):
        self.t0, self.n = time.monotonic(), 0

    def isOpened(self):
        return True

    def set(self, *args):
        return True

    def read(self):
        self.n += 1
        time.sleep(1 / 30)
        _y, x = np.mgrid[0:96, 0:96]
        v = (np.sin((x + 3 * self.n) / 7) * 80 + 128).astype(np.uint8)
        return True, np.stack([v, np.roll(v, 5, 0), 255 - v], -1)

    def release(self):
        pass


def _run(robot, teleop, writer, episodes: int, seconds: float, realtime: bool = True) -> dict:
    saves, commits = [], []
    real_save, real_commit = (writer.save_episode, writer_module.commit_episode)

    def timed_save(**meta):
        t0 = time.perf_counter()
        out = real_save(**meta)
        saves.append(time.perf_counter() - t0)
        return out

    def timed_commit(*a, **k):
        t0 = time.perf_counter()
        real_commit(*a, **k)
        commits.append(time.perf_counter() - t0)

    writer.save_episode = timed_save
    writer_module.commit_episode = timed_commit
    periods, overruns = [], 0
    from robot_hf.session import timing

    real_summary = timing.LoopTimer.summary

    def capture(self):
        nonlocal overruns
        periods.extend(self.periods)
        overruns += self.overruns
        return real_summary(self)

    timing.LoopTimer.summary = capture
    try:
        with open(os.devnull, "w") as quiet:
            run_session(robot, TeleoperatorActor(teleop), writer, episodes, person=teleop, max_steps=int(round(seconds * robot.fps)),
                        realtime=realtime, status=StatusLine(quiet))
        if hasattr(writer, "wait"):
            writer.wait()
    finally:
        timing.LoopTimer.summary = real_summary
        writer_module.commit_episode = real_commit
    ms = np.asarray(periods) * 1e3
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)), "overruns": overruns / episodes,
            "save_frac": float(np.mean(saves)) / seconds if saves else 0.0,
            "commit_frac": float(np.mean(commits)) / seconds if commits else 0.0}


def sim_row(root: Path, episodes: int, record: bool) -> dict:
    from sim.robot import SimRobot
    from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator

    class SteadyRobot(SimRobot):
        success = False  # the expert would finish in ~1.5 s: run whole 10 s episodes so timing covers steady recording

    robot = SteadyRobot({"name": "lift", "fps": FPS, "episode_time_s": 10, "cameras": ["front", "wrist"],
                      "image_height": 96, "image_width": 96})
    teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(rerecord_failures=False))
    teleop.get_events = dict
    writer = DatasetWriter.create(root, FPS, build_features(robot.camera_shapes, robot.state_names, robot.action_names)) if record else _NullWriter()
    try:
        return _run(robot, teleop, writer, episodes, 10.0)
    finally:
        if record:
            writer.close()
        robot.disconnect()


def so101_row(root: Path, episodes: int, record: bool) -> dict:
    from hardware.cameras.opencv import OpenCVCamera
    from hardware.config import CameraConfig, DeviceTeleopConfig
    from hardware.emulated_arm import ScriptedLeaderMotion, calibrate_emulated, make_arm
    from hardware.emulator import BusEmulator
    from hardware.teleop.leader import LeaderArmTeleop

    motors = {i: "sts3215" for i in range(1, 7)}
    with BusEmulator("feetech", motors) as fol_emu, BusEmulator("feetech", motors) as lead_emu:
        calibrate_emulated(fol_emu, root.parent / "f.json")
        calibrate_emulated(lead_emu, root.parent / "l.json", role="leader")
        cams = {n: OpenCVCamera(n, CameraConfig(source=n, resize=[96, 96]), capture_factory=SyntheticCapture) for n in ("front", "wrist")}
        follower = make_arm(fol_emu, root.parent / "f.json", max_step_rad=0.5, fps=FPS)
        follower.cameras, follower.camera_shapes = cams, {n: (96, 96) for n in cams}
        leader = LeaderArmTeleop(DeviceTeleopConfig(type="so101_leader"), arm=make_arm(lead_emu, root.parent / "l.json", role="leader"))
        person = ScriptedLeaderMotion(lead_emu)
        real = leader.get_action
        leader.get_action = lambda obs: (person.step(), real(obs))[1]
        follower.connect()
        leader.connect()
        writer = DatasetWriter.create(root, FPS, build_features(follower.camera_shapes, follower.state_names, follower.action_names)) if record else _NullWriter()
        try:
            return _run(follower, leader, writer, episodes, 10.0)
        finally:
            if record:
                writer.close()
            follower.disconnect()
            leader.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=3)
    args = parser.parse_args()
    console = Console(width=160)
    table = Table(title=f"record loop at {FPS} Hz, 2 cameras 96x96, 10 s episodes ({args.episodes} per row)")
    for col in ("setup", "recording", "period p50 ms", "period p99 ms", "overruns / episode", "save blocks loop (frac.)",
                "encode+commit in background (frac.)"):
        table.add_column(col)
    with tempfile.TemporaryDirectory() as tmp:
        for name, row in (("sim Lift, simulated teleoperator", sim_row), ("SO-101 on emulated Feetech bus, leader arm", so101_row)):
            for record in (False, True):
                console.print(f"{name}: {'recording' if record else 'baseline (not recording)'} ...")
                r = row(Path(tmp) / f"{row.__name__}_{record}", args.episodes, record)
                table.add_row(name, "yes" if record else "no (baseline)", f"{r['p50']:.1f}", f"{r['p99']:.1f}", f"{r['overruns']:.1f}",
                              f"{r['save_frac']:.4f}" if record else "-", f"{r['commit_frac']:.3f}" if record else "-")
    console.print(table)


if __name__ == "__main__":
    main()
