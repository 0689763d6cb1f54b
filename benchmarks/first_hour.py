r"""The first hour as a user: a fresh clone and venv following README from the top, then record -> train -> eval ->
rollout -> improve on Lift with the shortest commands README gives, each with its wall time and exit code.

    python benchmarks/first_hour.py                      # everything, in a temporary folder
    python benchmarks/first_hour.py --skip-quickstart    # the install and the five commands only

The clone is of this checkout's HEAD (commit what you want measured). The install is README's first command as
written; MUJOCO_GL is left unset for the five commands, as on a machine where nobody set it. Each command's output
goes to <work>/logs/<n>.log; the table goes to stdout and --results.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_first_command(readme: Path) -> str:
    """The first command README shows: the install and the quickstart."""
    block = readme.read_text().split("```bash", 1)[1].split("```", 1)[0]
    return next(line for line in block.splitlines() if line.strip() and not line.startswith("#"))


def run(label: str, command: str, cwd: Path, env: dict[str, str], logs: Path, rows: list) -> str:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{len(rows) + 1:02d}.log"
    t0 = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    seconds = time.perf_counter() - t0
    rows.append((label, command, rc, seconds))
    print(f"{label:<12} rc={rc:<4} {seconds:7.1f} s  {command}", flush=True)
    return log.read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=None, help="where the clone goes (default: a new temporary folder)")
    parser.add_argument("--skip-quickstart", action="store_true", help="install only, without the quickstart")
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results" / "first_hour.txt")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="first_hour_"))
    clone, logs = work / "robot-hf", work / "logs"
    rows: list = []
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MUJOCO_GL", "PYOPENGL_PLATFORM")}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    run("clone", f"git clone -q {REPO} {clone}", work, env, logs, rows)
    run("venv", "python3 -m venv .venv", clone, env, logs, rows)
    venv = {**env, "VIRTUAL_ENV": str(clone / ".venv"), "PATH": f"{clone / '.venv/bin'}:{env['PATH']}"}
    install = readme_first_command(clone / "README.md")
    if args.skip_quickstart:
        install = install.split("&& MUJOCO_GL=egl robot-hf quickstart")[0].rstrip(" &")
    run("README #1", install, clone, venv, logs, rows)

    # The loop, with the commands README's table gives and only the keys it shows.
    run("record", "robot-hf record teleop=scripted task=lift dataset.num_episodes=20 dataset.root=data/lift", clone, venv, logs, rows)
    out = run("train", "robot-hf train train=tiny dataset.root=data/lift", clone, venv, logs, rows)
    found = re.search(r"policy\.path=(\S+) picks best", out)
    policy = found.group(1) if found else "<train printed no run folder>"
    run("eval", f"robot-hf eval policy.path={policy} eval.episodes=10", clone, venv, logs, rows)
    run("rollout", f"robot-hf rollout policy.path={policy} dataset.root=data/lift_rollouts dataset.num_episodes=3",
        clone, venv, logs, rows)
    run("improve", f"robot-hf improve policy.path={policy} dataset.root=data/lift rounds=1 episodes_per_round=3 "
                   "eval_episodes=5 finetune_steps=50", clone, venv, logs, rows)
    run("validate", "robot-hf dataset validate data/lift", clone, venv, logs, rows)

    lines = [(f"# python benchmarks/first_hour.py{' --skip-quickstart' if args.skip_quickstart else ''}   "
              f"(commit {commit}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()}-core CPU, MUJOCO_GL unset for the loop)"),
             f"{'step':<12}{'rc':>4}{'wall s':>9}  command"]
    lines += [f"{label:<12}{rc:>4}{seconds:>9.1f}  {command}" for label, command, rc, seconds in rows]
    lines.append(f"logs: {logs}")
    print("\n".join(lines))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    with args.results.open("a") as f:
        f.write("\n".join(lines) + "\n\n")
    sys.exit(max(1 if rc else 0 for _, _, rc, _ in rows))


if __name__ == "__main__":
    main()
