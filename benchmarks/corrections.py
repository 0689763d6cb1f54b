r"""Language corrections benchmark: text-to-motion mapping, response time, and success with on-the-fly corrections.

    MUJOCO_GL=egl python benchmarks/corrections.py --parts mapping latency          # minutes
    MUJOCO_GL=egl python benchmarks/corrections.py --parts success --tasks lift     # trains a weak hierarchical policy

- mapping: the resolver (frozen all-MiniLM-L6-v2 + a head trained on generated paraphrases) on held-out paraphrases
  (a phrasing or sentence frame training never saw) and on held-out nonsense; beside it, raw cosine similarity to the
  motions' own texts (the baseline the head must beat).
- latency: typed lines fed at random moments into a real-time session at the task's rate; from Enter to the first
  changed action, against one control period.
- success: a weak hierarchical policy (20 scripted demos, low-dimensional state, MLP low level) on the same held-out
  seeds autonomously and with the simulated corrector (reaction delay 0.3 s, paraphrases held out from the resolver's
  training; it sees the scene's ground truth, the expert's plan and the policy's motion in force): success, corrections
  per episode, and the person's effort in seconds (typing and reaction) and attention (watching).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")


def vocabulary():
    from robot_hf.config.compose import compose
    from robot_hf.language.labeling import motions_config
    from robot_hf.language.motions import Vocabulary

    cfg = motions_config(compose("dataset").motions)
    return cfg, Vocabulary.from_config(cfg)


def mapping(per_motion: int = 40) -> list[tuple[str, str]]:
    from policies.encoders.language import embed
    from robot_hf.language import paraphrases
    from robot_hf.language.resolver import MotionResolver

    _, vocab = vocabulary()
    resolver = MotionResolver(vocab)
    texts, labels = paraphrases.paraphrase_set(vocab.motions, "heldout", per_motion=per_motion, seed=1)
    results = [resolver.resolve(t) for t in texts]
    right = np.mean([r.motion == vocab.texts[k] for r, k in zip(results, labels, strict=True)])
    refused = np.mean([r.motion is None for r in results])
    wrong = 1 - right - refused
    cosine = (embed(texts) @ embed(vocab.texts).T).argmax(-1).numpy()
    junk = paraphrases.nonsense("heldout")
    nonsense_refused = np.mean([resolver.resolve(t).motion is None for t in junk])
    return [("held-out paraphrases", f"{len(texts)} ({len(vocab.texts)} motions)"),
            ("resolver accuracy", f"{100 * right:.1f}%"), ("refused (safe)", f"{100 * refused:.1f}%"),
            ("wrong motion (acted on)", f"{100 * wrong:.1f}%"),
            ("raw cosine similarity accuracy (baseline)", f"{100 * np.mean(cosine == np.array(labels)):.1f}%"),
            ("held-out nonsense refused", f"{100 * nonsense_refused:.0f}% of {len(junk)}")]


def latency(policy_path: Path, corrections: int = 20) -> list[tuple[str, str]]:
    """Typed lines at random moments into a real-time session; Enter -> the changed action."""
    from policies.base import Policy
    from robot_hf.dataset import DatasetWriter, build_features
    from robot_hf.language.resolver import MotionResolver
    from robot_hf.session import run_session
    from robot_hf.session.corrections import CorrectionsActor, TypedLines
    from sim.robot import SimRobot

    _, vocab = vocabulary()
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    read_end, write_end = os.pipe()
    typed = TypedLines(stream=os.fdopen(read_end))
    actor = CorrectionsActor(Policy.from_pretrained(policy_path), MotionResolver(vocab), hold_steps=10, typed=typed)
    writer_out = os.fdopen(write_end, "w")
    rng = np.random.default_rng(0)

    def type_lines():
        for k in range(corrections):
            time.sleep(float(rng.uniform(0.25, 0.6)))
            writer_out.write(["move left", "go higher", "a bit lower", "close the gripper"][k % 4] + "\n")
            writer_out.flush()

    thread = threading.Thread(target=type_lines, daemon=True)
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"corrections_latency_{os.getpid()}"
    with DatasetWriter.create(root, robot.fps, build_features(robot.camera_shapes, robot.state_names, robot.action_names)) as writer:
        thread.start()
        latencies = []
        while thread.is_alive() or not typed.lines.empty():
            run_session(robot, actor, writer, 1, realtime=True, max_steps=50)
            latencies += actor.latencies_ms
    period = 1000 / robot.fps
    lat = np.array(latencies)
    return [("corrections typed", str(len(lat))), ("control period", f"{period:.0f} ms"),
            ("Enter -> changed action, median", f"{np.median(lat):.1f} ms"), ("p95", f"{np.percentile(lat, 95):.1f} ms"),
            ("max", f"{lat.max():.1f} ms"), ("within one control period", f"{100 * np.mean(lat <= period):.0f}%")]


def prepare(out: Path, task: str, demos: int, steps: int, seed: int) -> tuple[Path, Path]:
    from robot_hf.cli.main import main as cli

    low = [f"task={task}", "task.object_state=true", "task.cameras=[]"]
    data, run = out / task / "demos", out / task / f"seed_{seed}"
    if not (data / "meta/info.json").exists():
        assert cli(["record", *low, f"dataset.num_episodes={demos}", f"dataset.root={data}"]) == 0
    if not (run / "checkpoints/last.txt").exists():
        assert cli(["train", *low, "policy=hierarchical", "policy.low=mlp", "policy.cameras=[]", f"dataset.root={data}",
                    f"train.steps={steps}", "train.eval_every=0", "train.eval_final=false", f"train.save_every={steps}",
                    f"run.seed={seed}", f"run.dir={run}"]) == 0
    return data, run / "checkpoints" / (run / "checkpoints/last.txt").read_text().strip() / "pretrained_model"


def success(task: str, policy_path: Path, episodes: int, out: Path) -> list[tuple[str, str]]:
    from policies.base import Policy
    from robot_hf.config.compose import compose
    from robot_hf.dataset import DatasetWriter, build_features
    from robot_hf.evaluation.protocol import SEED_RANGES
    from robot_hf.feedback.kinds import feedback_kind
    from robot_hf.session import PolicyActor, run_session
    from sim.robot import SimRobot

    cfg = compose("rollout", [f"task={task}", "task.object_state=true", "task.cameras=[]", "feedback=corrections"])
    seed = SEED_RANGES["dev_final"].start
    rows = []
    for arm in ("autonomous", "with corrections"):
        robot = SimRobot({"name": task, "object_state": True, "cameras": []})
        policy = Policy.from_pretrained(policy_path)
        kind = feedback_kind(cfg)
        person = kind.person(cfg, robot, policy, seed=0) if arm != "autonomous" else None
        actor = kind.actor(cfg, policy, person, robot) if person else PolicyActor(policy)
        root = out / task / f"sessions_{arm.replace(' ', '_')}"
        features = build_features(robot.camera_shapes, robot.state_names, robot.action_names)
        with DatasetWriter.create(root, robot.fps, features) as writer:
            result = run_session(robot, actor, writer, episodes, person=person,
                                 listeners=kind.listeners(cfg, person) if person else (), seed=seed)
        n = len(result.saved)
        said = sum(ep.get("corrections", 0) for ep in result.episodes)
        typing = sum(ep.get("correction_seconds", 0.0) for ep in result.episodes)
        rows.append((arm, f"{100 * result.success_rate:.0f}% of {n}", f"{said / n:.1f}", f"{typing:.0f}", f"{result.watching_s:.0f}"))
        robot.disconnect()
    return rows


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", nargs="+", default=["mapping", "latency", "success"], choices=["mapping", "latency", "success"])
    parser.add_argument("--tasks", nargs="+", default=["lift"])
    parser.add_argument("--demos", type=int, default=20)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/corrections"))
    args = parser.parse_args()
    console = Console()
    if "mapping" in args.parts:
        table = Table("free text -> motion", "value", title="mapping")
        for row in mapping():
            table.add_row(*row)
        console.print(table)
    for task in args.tasks:
        if not {"latency", "success"} & set(args.parts):
            break
        _, policy = prepare(args.out, task, args.demos, args.steps, args.seed)
        if "latency" in args.parts and task == args.tasks[0]:
            table = Table("response", "value", title=f"typed correction -> changed action (real time, {task})")
            for row in latency(policy):
                table.add_row(*row)
            console.print(table)
        if "success" in args.parts:
            table = Table("arm", "success", "corrections / episode", "person-s (typing + reaction)", "attention-s (watching)",
                          title=f"{task}: weak hierarchical policy, {args.episodes} held-out dev seeds")
            for row in success(task, policy, args.episodes, args.out):
                table.add_row(*row)
            console.print(table)


if __name__ == "__main__":
    main()
