r"""Language corrections benchmark: text-to-motion mapping, response time, obedience, success with on-the-fly
corrections, and learning from corrections over rounds against HG-DAgger and more demos at the same person-seconds.

    MUJOCO_GL=egl python benchmarks/corrections.py --parts mapping latency           # minutes
    MUJOCO_GL=egl python benchmarks/corrections.py --parts obedience success         # 3 training seeds, 50 episodes each
    MUJOCO_GL=egl python benchmarks/corrections.py --parts learning --final-eval-episodes 100

- mapping: the resolver (frozen all-MiniLM-L6-v2 + a head trained on generated paraphrases) on held-out paraphrases
  (a phrasing or sentence frame training never saw) and on held-out nonsense; beside it, raw cosine similarity to the
  motions' own texts (the baseline the head must beat).
- latency: typed lines fed at random moments into a real-time session at the task's rate; from Enter to the first
  changed action, against one control period.
- obedience: from states the policy reaches, a motion commanded for one labelling window; does the path go that way?
- success: a weak hierarchical policy (per training seed) on the same held-out dev seeds autonomously and with the
  simulated corrector, typing held-out paraphrases (each reaches the robot once typed at 4 characters/s) or pressing
  hotkeys (0.15 s a stroke, Enter included); reaction 0.3 s; or typing after pausing the arm (p + Enter: the arm
  holds and the episode's clock stops while the line is typed; the held seconds are a column). Paired tests against
  autonomy.
- learning: 3 rounds of 20 rollouts with the corrector (hotkeys by default) -> fine-tune (the high level on each correction
  where it was given, the demos as the anchor) -> autonomous evaluation; HG-DAgger (take-overs by the
  simulated intervener) from the same start; each with new demos spending its own person-seconds per round.
The policy: 50 scripted demos (the demonstrators misjudge the first grasp in 40% of episodes and recover, and wander
off for a few steps now and then, as people do, so the low level has seen each motion from many states), low-
dimensional state, end-effector actions (CORRECTIONS_ACTION_SPACE, ee_delta: a motion is a direction of the action, as
in RT-H), an MLP low level. What the simulated people see: the scene's ground truth, the scripted expert's plan, and the
policy's motion in force (the corrector), or the task's true progress (the intervener).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")


ACTION_SPACE = os.environ.get("CORRECTIONS_ACTION_SPACE", "ee_delta")
# Task settings of the simulated people beyond the defaults (--slow-near): set once from the command line.
PEOPLE: dict[str, float] = {}


def sim_task(task: str) -> dict:
    return {"name": task, "object_state": True, "cameras": [], "action_space": ACTION_SPACE, **PEOPLE}


def task_overrides(task: str, motions: str = "default") -> list[str]:
    """The task's overrides; `motions`: the motions config the policy is trained and corrected with (configs/motions/)."""
    return [f"task={task}", "task.object_state=true", "task.cameras=[]", f"task.action_space={ACTION_SPACE}",
            *[f"task.{key}={value}" for key, value in PEOPLE.items()],
            *([f"motions={motions}"] if motions != "default" else [])]


def pretrained(checkpoint: Path) -> Path:
    return checkpoint / "pretrained_model" if (checkpoint / "pretrained_model").exists() else checkpoint


def vocabulary(motions: str = "default"):
    from robot_hf.config.compose import compose
    from robot_hf.language.labeling import motions_config
    from robot_hf.language.motions import Vocabulary

    cfg = motions_config(compose("dataset", [f"motions={motions}"]).motions)
    return cfg, Vocabulary.from_config(cfg)


def mapping(per_motion: int = 40, motions: str = "default") -> list[tuple[str, str]]:
    from policies.encoders.language import embed
    from robot_hf.language import paraphrases
    from robot_hf.language.resolver import MotionResolver

    _, vocab = vocabulary(motions)
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
    robot = SimRobot(sim_task("lift"))
    read_end, write_end = os.pipe()
    typed = TypedLines(stream=os.fdopen(read_end))
    actor = CorrectionsActor(Policy.from_pretrained(pretrained(policy_path)), MotionResolver(vocab), hold_steps=10, typed=typed)
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


def obedience(task: str, policy_path: Path, trials: int = 60, seed: int = 0, expert: bool = False,
              motions: str = "default") -> list[tuple[str, str]]:
    """Does the low level do what it is told? From states the policy reaches on its own, command a motion for one
    labelling window and name the end effector's path over it with the labeller. The motion: a random one, or
    (expert=True) the one the simulated corrector would say there."""
    from policies.base import Policy
    from robot_hf.evaluation.protocol import SEED_RANGES
    from robot_hf.language.motions import compatible, describe
    from sim.robot import SimRobot

    cfg, vocab = vocabulary(motions)
    from robot_hf.feedback.config import CorrectorConfig
    from robot_hf.feedback.corrector import SimulatedCorrector

    robot = SimRobot(sim_task(task))
    policy = Policy.from_pretrained(pretrained(policy_path))
    rng = np.random.default_rng(seed)
    corrector = SimulatedCorrector(robot, policy, cfg, CorrectorConfig(), seed=seed)
    obeyed, exact, per_kind = [], [], {}
    for k in range(trials):
        observation = robot.reset(seed=SEED_RANGES["dev_final"].start + 500 + k)
        policy.reset()
        corrector.start_episode()
        for _ in range(int(rng.integers(2, 12))):
            robot.send_action(policy.select_action(observation))
            observation = robot.get_observation()
        motion = corrector.intended() if expert else vocab.texts[int(rng.integers(len(vocab.texts)))]
        policy.command(motion, cfg.window)

        def pose():
            p = robot.info["privileged"]
            return np.array([*p["ee_pos"], p["ee_yaw"], p["joints"][-1]])

        start = pose()
        for _ in range(cfg.window):
            robot.send_action(policy.select_action(observation))
            observation = robot.get_observation()
        delta = pose() - start
        delta[3] = (delta[3] + np.pi) % (2 * np.pi) - np.pi
        did = describe(delta, start[4] < cfg.holding_below, vocab, cfg)
        obeyed.append(compatible(did, motion, vocab))
        exact.append(did == motion)
        kind = "gripper" if "gripper" in motion else "stop" if motion == "stop" else "rotate" if "rotate" in motion else "move"
        per_kind.setdefault(kind, []).append(obeyed[-1])
    robot.disconnect()
    rows = [(f"commands ({'the corrector' if expert else 'random'} motion, one window)", str(trials)), ("path points the commanded way", f"{100 * np.mean(obeyed):.0f}%"),
            ("path names exactly the commanded motion", f"{100 * np.mean(exact):.0f}%")]
    return rows + [(f"  {kind}", f"{100 * np.mean(v):.0f}% of {len(v)}") for kind, v in sorted(per_kind.items())]


def prepare(task: str, args, seed: int) -> tuple[Path, Path]:
    """The demos (shared by the training seeds) and the weak hierarchical policy of training seed `seed` (cached)."""
    from robot_hf.cli.main import main as cli

    data, run = args.out / task / "demos", args.out / task / f"seed_{seed}" / "base"
    if not (data / "meta/info.json").exists():
        assert cli(["record", *task_overrides(task), f"dataset.num_episodes={args.demos}", f"teleop.miss_prob={args.miss_prob}",
                    f"teleop.play_prob={args.play_prob}", f"dataset.root={data}"]) == 0
    if not (run / "checkpoints/last.txt").exists():
        binary = ["policy.gripper_binary=true"] if args.gripper_binary else []
        assert cli(["train", *task_overrides(task, args.motions), "policy=hierarchical", f"policy.low={args.low}", "policy.cameras=[]", *binary,
                    f"dataset.root={data}", f"train.steps={args.steps}", "train.eval_every=0", "train.eval_final=false",
                    f"train.save_every={args.steps}", f"train.precision={args.precision}", f"run.seed={seed}",
                    f"run.dir={run}"]) == 0
    return data, run / "checkpoints" / (run / "checkpoints/last.txt").read_text().strip()


ARMS = {"autonomous": None, "typed corrections": ["feedback.corrector.input=typed"],
        "hotkey corrections": ["feedback.corrector.input=keys"],
        "hotkeys, exact person": ["feedback.corrector.input=keys", "feedback.corrector.agree=exact"],
        "typed, arm paused": ["feedback.corrector.input=typed", "feedback.corrector.pause=true"]}
# Besides each arm against autonomy: a person who corrects any motion not the expert's against one who lets a motion
# on the way pass; typing while the arm holds against typing while it goes on.
PAIRS = [("hotkeys, exact person", "hotkey corrections"), ("typed, arm paused", "typed corrections")]


def acting_suffix(acting: dict | None) -> str:
    """What names a run of policies acting otherwise (--acting): its cache and its session folders, apart."""
    return "".join(f"_{k}-{v}" for k, v in sorted((acting or {}).items()))


def success(task: str, policy_path: Path, episodes: int, out: Path, arms: dict | None = None, seed: int = 0,
            seeds: str = "dev_final", ledger: Path | None = None, repick_steps: int | None = None,
            motions: str = "default", acting: dict | None = None) -> list[dict]:
    """Each arm on the same held-out seeds of range `seeds`: autonomous, and with the simulated corrector (people's
    draws: `seed`); reads of the locked test range are counted in `ledger`. `repick_steps`, `acting`: run the policy
    with that `policy.repick_steps`, and those settings of how it acts, instead of its own."""
    from policies.base import Policy
    from robot_hf.config.compose import compose
    from robot_hf.dataset import DatasetWriter, build_features
    from robot_hf.evaluation.protocol import LockedReadLedger, seed_range
    from robot_hf.feedback.kinds import feedback_kind
    from robot_hf.session import PolicyActor, run_session
    from sim.robot import SimRobot

    first = seed_range(seeds).start
    rows = []
    for arm, overrides in (arms or ARMS).items():
        cfg = compose("rollout", [*task_overrides(task, motions), "feedback=corrections", *(overrides or [])])
        robot = SimRobot(sim_task(task))
        policy = Policy.from_pretrained(pretrained(policy_path))
        for key, value in {**(acting or {}), **({} if repick_steps is None else {"repick_steps": repick_steps})}.items():
            setattr(policy.config, key, value)
        kind = feedback_kind(cfg)
        person = kind.person(cfg, robot, policy, seed=seed) if overrides is not None else None
        actor = kind.actor(cfg, policy, person, robot) if person else PolicyActor(policy)
        root = out / f"sessions_{arm.replace(' ', '_')}{acting_suffix(acting)}"
        shutil.rmtree(root, ignore_errors=True)  # each run scores its own episodes
        features = build_features(robot.camera_shapes, robot.state_names, robot.action_names)
        with DatasetWriter.create(root, robot.fps, features) as writer:
            result = run_session(robot, actor, writer, episodes, person=person,
                                 listeners=kind.listeners(cfg, person) if person else (), seed=first)
        robot.disconnect()
        if seeds == "test":
            LockedReadLedger(ledger).record(f"corrections on the fly {out}: {arm}", seed_range(seeds).seeds(episodes))
        n = len(result.saved)
        rows.append({"arm": arm, "success": result.success_rate, "episodes": n, "seed_range": seeds,
                     "outcomes": [bool(ep.get("success")) for ep in result.episodes],
                     "corrections": [ep.get("corrections", 0) for ep in result.episodes],
                     "corrections_per_episode": sum(ep.get("corrections", 0) for ep in result.episodes) / n,
                     "person_s_per_episode": sum(ep.get("correction_seconds", 0.0) for ep in result.episodes) / n,
                     "watching_s_per_episode": result.watching_s / n, "paused_s_per_episode": result.paused_s / n})
    return rows


def success_tables(args, console) -> None:
    """Per training seed, then pooled over (training seed, evaluation seed) pairs with paired tests against autonomy."""
    import numpy as np
    from rich.table import Table

    from robot_hf.evaluation.protocol import compare, write_results

    for task in args.tasks:
        pooled: dict[str, list[bool]] = {}
        table = Table("training seed", "arm", "success", "corrections / episode", "person-s / episode (reaction + typing)",
                      "attention-s / episode (watching)", "arm paused, s / episode",
                      title=f"{task}: weak hierarchical policy ({args.low} low level, {args.demos} demos), "
                            f"{args.episodes} seeds of the {args.final_seeds} range each")
        for seed in args.train_seeds:
            cache = args.out / task / f"seed_{seed}" / f"on_the_fly_{args.final_seeds}_{args.episodes}{acting_suffix(args.acting)}.json"
            # A finished arm is kept: a pooled rerun reads it, and runs only the arms it lacks.
            rows = json.loads(cache.read_text()) if cache.exists() else []
            missing = {arm: o for arm, o in ARMS.items() if arm in args.arms and arm not in {r["arm"] for r in rows}}
            if missing:
                _, policy = prepare(task, args, seed)
                rows += success(task, policy, args.episodes, args.out / task / f"seed_{seed}", arms=missing, seed=seed,
                                seeds=args.final_seeds, ledger=args.ledger, motions=args.motions, acting=args.acting)
                write_results(cache, rows)
            for r in (r for r in rows if r["arm"] in args.arms):
                table.add_row(str(seed), r["arm"], f"{100 * r['success']:.0f}% of {r['episodes']}",
                              f"{r['corrections_per_episode']:.1f}", f"{r['person_s_per_episode']:.1f}",
                              f"{r['watching_s_per_episode']:.1f}", f"{r.get('paused_s_per_episode', 0.0):.1f}")
                pooled.setdefault(r["arm"], []).extend(r["outcomes"])
        console.print(table)
        where = f"{task} [{args.final_seeds} seeds, {len(args.train_seeds)} training seed(s)] "
        for arm, outcomes in pooled.items():
            if arm != "autonomous" and "autonomous" in pooled:
                print(where + compare(arm, np.array(outcomes), "autonomous", np.array(pooled["autonomous"])))
        for a, b in (pair for pair in PAIRS if set(pair) <= set(pooled)):
            print(where + compare(a, np.array(pooled[a]), b, np.array(pooled[b])))


def learning(args, console) -> None:
    """3 rounds of learning from corrections against HG-DAgger, each with its more-demos baseline at the same
    person-seconds (the interventions benchmark's rounds and final paired evaluation, on a hierarchical policy)."""
    import interventions
    from rich.table import Table

    interventions.NAMES.setdefault("corrections", "corrections")
    lead = [f"motions.lead_s={args.lead_s}"] if args.lead_s is not None else []
    motions = [f"motions={args.motions}"] if args.motions != "default" else []
    overrides = {"corrections": [f"feedback.corrector.input={args.input}", *lead, *motions], "hg_dagger": motions}
    for task in args.tasks:
        table = Table("training seed", "arm", "round", "success (95% CI)", "corrections / rollout episode", "take-overs",
                      "human frames", "person-s", "attention-s",
                      title=f"{task}: learning rounds, autonomous success on {args.eval_episodes} held-out dev seeds")
        for seed in args.train_seeds:
            data, base = prepare(task, args, seed)
            for method in args.methods:
                result = interventions.improve(task, method, True, data, base, args.out, args, overrides[method], "", seed)
                for arm, rows in ((method, result["rounds"]), (f"more demos ({method}'s person-s)", result["baseline"])):
                    for r in rows:
                        lo, hi = r["ci95"]
                        table.add_row(str(seed), arm, str(r["round"]), f"{100 * r['success']:.0f} ({100 * lo:.0f}-{100 * hi:.0f})",
                                      f"{r.get('corrections_per_episode', 0):.1f}", str(r.get("takeovers", 0)),
                                      str(r["human_frames"]), f"{r.get('person_seconds', 0):.0f}",
                                      f"{r.get('attention_seconds', 0):.0f}")
        console.print(table)
    if args.final_eval_episodes:
        interventions.final_table(args, console)
        corrected_again(args, console)


def corrected_again(args, console) -> None:
    """The measure of learning from corrections: the start and the last checkpoint of the corrections arm, each run
    with the hotkey corrector on the same `--episodes` seeds of the final range; corrections an episode (paired, the
    ratio after/before) and success with them."""
    from rich.table import Table

    from robot_hf.evaluation.protocol import compare, paired_ratio, write_results

    for task in args.tasks:
        table = Table("training seed", "policy", "success with corrections", "corrections / episode", "person-s / episode",
                      title=f"{task}: corrections needed before and after {args.rounds} rounds of learning from them "
                            f"({args.episodes} seeds of the {args.final_seeds} range, hotkeys)")
        pooled: dict[str, dict[str, list]] = {}
        for seed in args.train_seeds:
            here = args.out / task / f"seed_{seed}"
            rounds = json.loads((here / "corrections" / "improve.json").read_text())["rounds"]
            for name, checkpoint in (("start", rounds[0]["checkpoint"]), (f"after {len(rounds) - 1} rounds", rounds[-1]["checkpoint"])):
                cache = here / f"corrected_again_{name.replace(' ', '_')}_{args.final_seeds}_{args.episodes}.json"
                if cache.exists():
                    row = json.loads(cache.read_text())[0]
                else:
                    row = success(task, Path(checkpoint), args.episodes, here / f"again_{name.replace(' ', '_')}",
                                  arms={"hotkey corrections": ["feedback.corrector.input=keys"]}, seed=seed,
                                  seeds=args.final_seeds, ledger=args.ledger, motions=args.motions)[0]
                    write_results(cache, [row])
                table.add_row(str(seed), name, f"{100 * row['success']:.0f}%", f"{row['corrections_per_episode']:.2f}",
                              f"{row['person_s_per_episode']:.1f}")
                arm = pooled.setdefault(name, {"corrections": [], "outcomes": []})
                arm["corrections"] += row["corrections"]
                arm["outcomes"] += row["outcomes"]
        console.print(table)
        (before, b), (after, a) = pooled.items()
        ratio, lo, hi = paired_ratio(np.array(a["corrections"]), np.array(b["corrections"]))
        label = f"{task} [{args.final_seeds} seeds, {len(args.train_seeds)} training seed(s)]"
        print(f"{label} corrections an episode {after} / {before}: {ratio:.2f} (95% CI {lo:.2f} to {hi:.2f}), "
              f"{np.mean(a['corrections']):.2f} vs {np.mean(b['corrections']):.2f} over {len(a['corrections'])} paired episodes")
        print(f"{label} with corrections: " + compare(after, np.array(a["outcomes"]), before, np.array(b["outcomes"])))


def _acting(item: str) -> tuple[str, object]:
    from policies.hierarchical.config import HierarchicalConfig

    key, _, value = item.partition("=")
    if key not in HierarchicalConfig.__dataclass_fields__ or not value:
        raise SystemExit(f"--acting {item!r}: give KEY=VALUE with a field of the hierarchical policy's config")
    try:  # numbers and true/false as such, anything else as text
        return key, json.loads(value.lower() if value.lower() in ("true", "false") else value)
    except json.JSONDecodeError:
        return key, value


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parts = ["mapping", "latency", "obedience", "success", "learning"]
    parser.add_argument("--parts", nargs="+", default=parts, choices=parts)
    parser.add_argument("--tasks", nargs="+", default=["lift"])
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--demos", type=int, default=50)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--low", default="mlp", help="the hierarchical policy's low level (policy.low)")
    parser.add_argument("--episodes", type=int, default=50, help="episodes per arm in the on-the-fly success part")
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS), help="the on-the-fly success part's arms")
    parser.add_argument("--miss-prob", type=float, default=0.4,
                        help="the demonstrators' chance per episode to misjudge the first grasp and recover (teleop.miss_prob)")
    parser.add_argument("--play-prob", type=float, default=0.05,
                        help="the demonstrators' chance per step to wander off a few steps and resume (teleop.play_prob)")
    parser.add_argument("--input", choices=["typed", "keys"], default="keys", help="how the corrector says it while learning")
    parser.add_argument("--lead-s", type=float, default=None,
                        help="motions.lead_s of the fine-tunes: how long before a correction arrived its motion is taught "
                             "to the high level (default: the motions config's)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--episodes-per-round", type=int, default=20)
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--finetune-steps", type=int, default=1000)
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--final-eval-episodes", type=int, default=0)
    parser.add_argument("--precision", choices=["fp32", "auto", "bf16"], default="fp32",
                        help="train.precision of the base and every fine-tune (fp32: what the development runs were tuned with)")
    parser.add_argument("--final-seeds", choices=["dev_final", "test"], default="dev_final",
                        help="the seeds of the on-the-fly success part and the final evaluation: dev_final (tuned on) or "
                             "the locked test range (each read counted in --ledger)")
    parser.add_argument("--ledger", type=Path, default=Path("benchmarks/results/test_seed_reads.json"))
    parser.add_argument("--acting", nargs="+", default=[], metavar="KEY=VALUE",
                        help="run the on-the-fly part's policies with these settings of the hierarchical policy's config "
                             "(e.g. repick_steps=2), cached apart")
    parser.add_argument("--motions", default="default",
                        help="the motions config (configs/motions/) the policies are trained and corrected with; "
                             "fine adds small moves. Give a run with another one its own --out")
    parser.add_argument("--gripper-binary", action="store_true",
                        help="train the bases with policy.gripper_binary=true (the gripper sent open or closed, never "
                             "between), so every arm and round acts so; give it its own --out")
    parser.add_argument("--slow-near", type=float, default=0.0, metavar="M",
                        help="the simulated people (demonstrators, corrector, intervener) slow down within M metres of "
                             "a goal, as people homing in on a part (task.people_slow_near_m); give it its own --out")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/corrections"))
    args = parser.parse_args(argv)
    PEOPLE.clear()
    if args.slow_near:
        PEOPLE["people_slow_near_m"] = args.slow_near
    args.task_settings = dict(PEOPLE)
    args.acting = dict(_acting(item) for item in args.acting)
    args.action_space = ACTION_SPACE
    # What the interventions benchmark's rounds (which the learning part runs) read beyond the options above.
    args.images, args.methods, args.no_baseline = False, ["corrections", "hg_dagger"], False
    args.benchmark = "corrections final evaluation"  # how its test reads are named in the ledger
    return args


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    args = arguments()
    console = Console(width=200)
    if "mapping" in args.parts:
        table = Table("free text -> motion", "value", title="mapping")
        for row in mapping(motions=args.motions):
            table.add_row(*row)
        console.print(table)
    first = args.tasks[0]
    if {"latency", "obedience"} & set(args.parts):
        _, policy = prepare(first, args, args.train_seeds[0])
        if "latency" in args.parts:
            table = Table("response", "value", title=f"typed correction -> changed action (real time, {first})")
            for row in latency(policy):
                table.add_row(*row)
            console.print(table)
        if "obedience" in args.parts:
            table = Table("low level", "value", title=f"{first}: does the low level follow a commanded motion?")
            for row in obedience(first, policy, motions=args.motions) + obedience(first, policy, expert=True, motions=args.motions):
                table.add_row(*row)
            console.print(table)
    if "success" in args.parts:
        success_tables(args, console)
    if "learning" in args.parts:
        learning(args, console)


if __name__ == "__main__":
    main()
