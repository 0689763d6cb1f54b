r"""Datasets for the preference benchmark: scripted demos mixed with rollouts of weak trained policies, with images.

    MUJOCO_GL=egl python benchmarks/preference_data.py --task lift --out /work/bench-out/prefdata

Per task, each stage through the CLI a user would type, kept when finished (a rerun resumes after it):
1. `robot-hf record teleop=scripted`: demos with images (the operators misjudge some grasps and wander at times);
2. `robot-hf train policy=mlp`: a weak state-only policy on a few of them (short training, fp32: what the datasets
   of the results were made with before bf16 became the CPU default);
3. `robot-hf rollout feedback=none`: its rollouts, recorded with images, from the demos' seeded resets, so segment
   pairs can come from the same scene;
4. `robot-hf dataset merge`: demos + rollouts in one dataset, split later into development and held-out episodes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

# demos, demos the weak policy learns from, its training steps, rollouts; each task's own
PLAN = {
    "lift": {"demos": 60, "policy_demos": 10, "steps": 800, "rollouts": 60, "task": ["task.object_state=true"]},
    "pusht": {"demos": 40, "policy_demos": 10, "steps": 800, "rollouts": 40, "task": []},
}


def run(args: list[str]) -> None:
    print("+ robot-hf " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "robot_hf.cli.main", *args], check=True)


def build(task: str, out: Path) -> Path:
    plan = PLAN[task]
    base = out / task
    demos, rollouts, merged, policy = base / "demos", base / "rollouts", base / "merged", base / "policy"
    common = [f"task={task}", *plan["task"]]
    if not (demos / "meta" / "info.json").exists():
        run(["record", "teleop=scripted", *common, f"dataset.num_episodes={plan['demos']}", f"dataset.root={demos}",
             "record.seed=0", "teleop.miss_prob=0.3", "teleop.play_prob=0.1"])
    if not (policy / "checkpoints").exists():
        run(["train", "policy=mlp", *common, "policy.cameras=[]", f"dataset.root={demos}",
             f"train.episodes=[{','.join(str(i) for i in range(plan['policy_demos']))}]", f"train.steps={plan['steps']}",
             "train.eval_every=0", "train.eval_final=false", "train.save_every=400", "train.precision=fp32", f"run.dir={policy}"])
    if not (rollouts / "meta" / "info.json").exists():
        checkpoint = max((policy / "checkpoints").glob("step_*")) / "pretrained_model"
        run(["rollout", *common, f"policy.path={checkpoint}", "feedback=none",
             f"dataset.num_episodes={plan['rollouts']}", f"dataset.root={rollouts}", "record.seed=0"])
    if not (merged / "meta" / "info.json").exists():
        run(["dataset", "merge", f"sources=[{demos},{rollouts}]", f"output={merged}"])
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(PLAN), nargs="+", default=sorted(PLAN))
    parser.add_argument("--out", type=Path, default=Path("/work/bench-out/prefdata"))
    args = parser.parse_args()
    for task in args.task:
        print(build(task, args.out))


if __name__ == "__main__":
    main()
