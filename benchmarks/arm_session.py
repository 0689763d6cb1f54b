r"""The feedback loop on a "real" arm: an SO-101 follower and leader on the emulated Feetech bus (real bytes through
pseudo-terminals), a scripted person at the leader arm and the keyboard, every step through the CLI as a user types it.

    MUJOCO_GL=egl python benchmarks/arm_session.py                       # 5 demos, 5 rollouts, 5 evaluation episodes
    MUJOCO_GL=egl python benchmarks/arm_session.py --episodes 10 --train-steps 2000

The person: moves the leader arm all the time (a slow sway of every joint), so every rollout is taken over as soon as
the policy drives and the leader has moved past the take-over threshold; during evaluation they mark episodes in turn
success (Enter) and failure (n). No sim twin is involved: training holds out episodes and keeps checkpoints by their loss.
Prints each command's wall time and `dataset validate`'s verdict on every dataset written.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

from hardware.emulated_arm import HALF_RANGE, MIDDLE, calibrate_emulated
from hardware.emulator import BusEmulator
from hardware.teleop.keyboard import KeyboardTeleop
from robot_hf.cli.main import main
from robot_hf.dataset.validate import validate

SO101 = {i: "sts3215" for i in range(1, 7)}


class ScriptedPerson:
    """Sways the leader arm's joints and presses keys on every keyboard robot-hf opens, from a thread of its own."""

    def __init__(self, leader: BusEmulator, period_s: float = 3.0, amplitude: float = 0.3 * HALF_RANGE):
        self.leader, self.period, self.amplitude = leader, period_s, amplitude
        self.keyboards: list[KeyboardTeleop] = []
        self.marks: list[str] = []  # keys to press in turn, one every `mark_every_s`
        self.mark_every_s = 0.5
        self._stop = threading.Event()

    def _run(self) -> None:
        t0, next_mark, k = time.monotonic(), time.monotonic() + self.mark_every_s, 0
        while not self._stop.wait(1 / 60):
            phase = 2 * math.pi * (time.monotonic() - t0) / self.period
            for i in range(1, 7):
                self.leader.set_position(i, MIDDLE + self.amplitude * math.sin(phase + i))
            if self.marks and self.keyboards and time.monotonic() >= next_mark:
                self.keyboards[-1].press(self.marks[k % len(self.marks)])
                k, next_mark = k + 1, time.monotonic() + self.mark_every_s

    @contextmanager
    def at_the_arm(self):
        original = KeyboardTeleop.connect

        def connect(keyboard):  # no display here: the person's key presses come through press()
            self.keyboards.append(keyboard)

        KeyboardTeleop.connect = connect
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            KeyboardTeleop.connect = original


def run_session(work: Path, episodes: int, train_steps: int, episode_time_s: float) -> list[dict]:
    """Record demos, train, roll out with take-overs, train HG-DAgger on both, evaluate with marked outcomes, then one
    `improve` round on the arm (rollouts with take-overs, learning, evaluation marked by the person)."""
    rows = []
    with BusEmulator("feetech", SO101) as follower, BusEmulator("feetech", SO101) as leader:
        calibrate_emulated(follower, work / "follower.json")
        calibrate_emulated(leader, work / "leader.json", role="leader")
        arm = ["robot=so101", f"robot.port={follower.port}", f"robot.calibration={work / 'follower.json'}"]
        lead = ["teleop=so101_leader", f"teleop.port={leader.port}", f"teleop.calibration={work / 'leader.json'}"]
        policy = ["policy=mlp", "policy.hidden=[64,64]", "train=tiny", f"train.steps={train_steps}",
                  f"train.save_every={max(1, train_steps // 2)}"]
        demos, rollouts = work / "demos", work / "rollouts"
        person = ScriptedPerson(leader)

        def step(name: str, argv: list[str], dataset: Path | None = None, marks: tuple[str, ...] = ()) -> None:
            person.marks = list(marks)
            t0 = time.perf_counter()
            code = main(argv)
            seconds = time.perf_counter() - t0
            if code != 0:
                raise RuntimeError(f"{name}: `robot-hf {' '.join(argv)}` exited {code}")
            findings = validate(dataset) if dataset is not None else None
            rows.append({"step": name, "seconds": seconds, "dataset": str(dataset.name) if dataset else "-",
                         "validate": "-" if findings is None else ("valid" if not findings else "; ".join(map(str, findings)))})

        with person.at_the_arm():
            step(f"record {episodes} demos (leader arm)",
                 ["record", *arm, *lead, f"dataset.num_episodes={episodes}", f"record.episode_time_s={episode_time_s}",
                  f"dataset.root={demos}"], demos)
            step("train (no sim task)", ["train", *policy, f"dataset.root={demos}", f"run.dir={work / 'base'}"])
            base = work / "base" / "checkpoints" / "best"
            step(f"rollout {episodes} episodes, take-overs",
                 ["rollout", *arm, *lead, "feedback=intervention", f"policy.path={base}", f"dataset.num_episodes={episodes}",
                  f"record.episode_time_s={episode_time_s}", f"dataset.root={rollouts}"], rollouts)
            step("train feedback=hg_dagger on both",
                 ["train", *policy, "feedback=hg_dagger", f"dataset.root=[{demos},{rollouts}]", f"run.dir={work / 'hg'}"],
                 work / "hg" / "dataset")
            step(f"eval {episodes} episodes, outcomes marked",
                 ["eval", *arm, "teleop=keyboard", f"policy.path={work / 'hg' / 'checkpoints' / 'best'}",
                  f"eval.episodes={episodes}", f"eval.max_steps={int(episode_time_s * 30)}", f"run.dir={work / 'eval'}",
                  f"dataset.root={work / 'eval' / 'episodes'}"], work / "eval" / "episodes", marks=("enter", "n"))
            step("improve, 1 round on the arm",
                 ["improve", *arm, *lead, "feedback=hg_dagger", f"policy.path={base}", f"dataset.root={demos}", "rounds=1",
                  f"episodes_per_round={episodes}", f"eval_episodes={episodes}", f"finetune_steps={train_steps}",
                  "baseline=false", f"eval.max_steps={int(episode_time_s * 30)}", "train.batch_size=16",
                  f"run.dir={work / 'improve'}"], work / "improve" / "data" / "hg_dagger", marks=("enter", "n"))
    return rows


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--train-steps", type=int, default=500)
    parser.add_argument("--episode-time-s", type=float, default=3.0)
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    with tempfile.TemporaryDirectory() as tmp:
        rows = run_session(Path(tmp), args.episodes, args.train_steps, args.episode_time_s)
    table = Table(title=f"SO-101 on the emulated Feetech bus: {args.episodes} episodes of {args.episode_time_s} s, "
                        f"{args.train_steps} training steps")
    for col in ("step", "wall s", "dataset", "validate"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["step"], f"{r['seconds']:.1f}", r["dataset"], r["validate"])
    Console(width=160).print(table)


if __name__ == "__main__":
    main_cli()
