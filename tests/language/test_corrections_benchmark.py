"""The corrections benchmark's own pieces (benchmarks/corrections.py and corrections_probes.py): which arms run, on
which seeds, with which settings, and what is kept between runs."""

import json

import pytest
import torch

from robot_hf.config.compose import compose
from robot_hf.language.labeling import motions_config


def test_the_benchmark_pairs_arms_on_the_same_seeds_and_counts_test_reads(hierarchical, tmp_path):
    from tests.benchmark_scripts import load

    bench = load("corrections")
    bench.ACTION_SPACE = "joint"  # the tiny policy's actions
    ledger = tmp_path / "reads.json"
    rows = bench.success("lift", hierarchical[1], 2, tmp_path / "out", seeds="test", ledger=ledger,
                         arms={"autonomous": None, "hotkeys": ["feedback.corrector.input=keys"],
                               "paused": ["feedback.corrector.input=typed", "feedback.corrector.pause=true"]})
    assert [r["arm"] for r in rows] == ["autonomous", "hotkeys", "paused"]
    assert all(r["seed_range"] == "test" and r["episodes"] == 2 and len(r["outcomes"]) == 2 for r in rows)
    assert rows[0]["corrections_per_episode"] == 0 and rows[1]["person_s_per_episode"] >= 0
    assert rows[1]["paused_s_per_episode"] == 0 and rows[2]["corrections_per_episode"] > 0
    assert rows[2]["paused_s_per_episode"] > 0  # the arm held while each line was typed
    assert len(json.loads(ledger.read_text())) == 3  # one counted read per arm


def test_a_rerun_of_the_on_the_fly_part_runs_only_the_arms_a_seed_lacks(tmp_path, monkeypatch, capsys):
    from rich.console import Console

    from tests.benchmark_scripts import load

    bench = load("corrections")
    args = bench.arguments(["--parts", "success", "--train-seeds", "0", "--episodes", "2", "--out", str(tmp_path)])
    kept = [{"arm": arm, "success": 0.5, "episodes": 2, "seed_range": "dev_final", "outcomes": [True, False],
             "corrections_per_episode": 1.0, "person_s_per_episode": 1.0, "watching_s_per_episode": 1.0}
            for arm in ("autonomous", "hotkey corrections")]
    cache = tmp_path / "lift" / "seed_0" / "on_the_fly_dev_final_2.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps(kept))
    asked = []

    def success(task, policy, episodes, out, arms, **kw):
        asked.append(list(arms))
        return [{**kept[0], "arm": arm, "outcomes": [True, True]} for arm in arms]

    monkeypatch.setattr(bench, "prepare", lambda task, args, seed: (None, tmp_path / "policy"))
    monkeypatch.setattr(bench, "success", success)
    bench.success_tables(args, Console())
    assert asked == [["typed corrections", "hotkeys, exact person", "typed, arm paused"]]
    assert [r["arm"] for r in json.loads(cache.read_text())] == ["autonomous", "hotkey corrections", "typed corrections",
                                                                 "hotkeys, exact person", "typed, arm paused"]
    out = capsys.readouterr().out
    assert "hotkeys, exact person vs hotkey corrections" in out and "typed, arm paused vs typed corrections" in out
    bench.success_tables(args, Console())
    assert len(asked) == 1  # every arm is kept now


def test_the_learning_part_gives_the_interventions_rounds_every_setting_they_read():
    """The learning part runs the interventions benchmark's rounds with this benchmark's options: each `args.X` they
    read must be one (a setting added there once broke this benchmark's learning part)."""
    import ast
    import inspect
    import textwrap

    from tests.benchmark_scripts import load

    bench, interventions = load("corrections"), load("interventions")
    args = bench.arguments([])
    read = set()
    for function in (interventions.improve, interventions.train_overrides, interventions.task_overrides,
                     interventions.final_table, interventions.arm_columns, interventions.seed_summary):
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        read |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and getattr(n.value, "id", None) == "args"}
    assert read and read <= set(vars(args)), sorted(read - set(vars(args)))


def test_people_who_slow_near_a_part_reach_every_step_of_the_benchmark():
    """--slow-near sets the simulated people's homing on the task every step builds: the demos' recording and the
    policy's training (task overrides), the on-the-fly robot (sim task) and the learning rounds (the interventions
    benchmark's task overrides)."""
    from tests.benchmark_scripts import load

    bench, interventions = load("corrections"), load("interventions")
    try:
        args = bench.arguments(["--slow-near", "0.02"])
        assert "task.people_slow_near_m=0.02" in bench.task_overrides("pick_place")
        assert bench.sim_task("pick_place")["people_slow_near_m"] == 0.02
        assert "task.people_slow_near_m=0.02" in interventions.task_overrides(args)
        config = compose("train", bench.task_overrides("pick_place")).task
        assert config.people_slow_near_m == 0.02
    finally:
        args = bench.arguments([])
    assert not any("people" in o for o in bench.task_overrides("pick_place") + interventions.task_overrides(args))


def test_the_probes_run_a_checkpoint_with_the_repick_asked_and_keep_what_they_measured(hierarchical, tmp_path, monkeypatch):
    from argparse import Namespace

    from tests.benchmark_scripts import load

    probes = load("corrections_probes")
    calls = []

    def success(task, checkpoint, episodes, out, arms, seed, seeds, repick_steps, acting):
        calls.append((checkpoint, repick_steps, seeds, acting))
        return [{"arm": arm, "success": 0.5, "outcomes": [True, False], "corrections": [1, 2]} for arm in arms]

    monkeypatch.setattr(probes.corrections, "success", success)
    args = Namespace(out=tmp_path, episodes=2)
    first = probes.measured("start", hierarchical[1], 1, 0, args)
    assert calls == [(hierarchical[1], 1, "dev_final", None)] and set(first) == {"autonomous", "hotkey corrections"}
    assert probes.measured("start", hierarchical[1], 1, 0, args) == first and len(calls) == 1  # kept, not run again
    probes.measured("start", hierarchical[1], 1, 0, args, margin=0.1)  # another setting: run and kept apart
    assert calls[-1] == (hierarchical[1], 1, "dev_final", {"repick_margin": 0.1}) and len(calls) == 2


def test_the_weight_probe_learns_at_each_weight_from_one_base_and_the_margin_probe_reads_its_runs(tmp_path, monkeypatch, capsys):
    from argparse import Namespace

    from tests.benchmark_scripts import load

    probes = load("corrections_probes")
    learned, measured = [], []

    def improve(task, method, baseline, data, base, out, bench, overrides, tag, seed):
        learned.append((seed, base, tuple(overrides), tag))
        run = tmp_path / "lift" / f"seed_{seed}" / f"{method}{tag}"
        run.mkdir(parents=True)
        result = {"rounds": [{"checkpoint": str(base)}, {"checkpoint": str(run / "after")}]}
        (run / "improve.json").write_text(json.dumps(result))
        return result

    def measure(name, checkpoint, repick, seed, args, margin=0.0):
        measured.append((name, str(checkpoint), repick, margin))
        corrections = [4, 2] if name == "start" else [2, 1]
        return {arm: {"success": 0.5, "outcomes": [True, False], "corrections": corrections,
                      "corrections_per_episode": sum(corrections) / 2} for arm in probes.ARMS}

    monkeypatch.setattr(probes, "linked", lambda args, seed: (None, "data", tmp_path / f"base{seed}"))
    monkeypatch.setattr(probes.interventions, "improve", improve)
    monkeypatch.setattr(probes, "measured", measure)
    args = Namespace(out=tmp_path, train_seeds=[0, 1], correction_weights=[2.0, 5.0], margin=0.1, episodes=2)
    probes.weight_ablation(args)
    assert [(s, t) for s, _, _, t in learned] == [(0, "_weight2"), (0, "_weight5"), (1, "_weight2"), (1, "_weight5")]
    assert {o for _, _, o, _ in learned} == {("feedback.corrector.input=keys", "feedback.correction_weight=2"),
                                            ("feedback.corrector.input=keys", "feedback.correction_weight=5")}
    assert all(b == tmp_path / f"base{s}" for s, b, _, _ in learned)  # every weight from the seed's one base
    out = capsys.readouterr().out
    assert "after, weight 2 / start: 0.50" in out and "after, weight 5 / after, weight 2: 1.00" in out
    measured.clear()
    probes.margin_probe(args)  # the first weight's runs, each checkpoint picking three ways
    assert len(measured) == 2 * 2 * 3
    assert {(n, r, m) for n, _, r, m in measured} == {(n, r, m) for n in ("start", "after_weight2")
                                                      for r, m in ((0, 0.0), (1, 0.0), (1, 0.1))}
    assert "after, repick 1 margin 0.1 / start, repick 1 margin 0.1: 0.50" in capsys.readouterr().out


def test_the_oracle_probe_gives_the_high_level_the_correctors_wanted_motion(hierarchical, monkeypatch):
    from policies.base import Policy
    from policies.hierarchical.policy import HierarchicalPolicy
    from robot_hf.feedback import corrector
    from robot_hf.feedback.config import CorrectorConfig
    from sim.robot import SimRobot
    from tests.benchmark_scripts import load

    monkeypatch.setattr(HierarchicalPolicy, "motion_logits", HierarchicalPolicy.motion_logits)  # restored afterwards
    monkeypatch.setattr(corrector.SimulatedCorrector, "__init__", corrector.SimulatedCorrector.__init__)
    oracle = load("corrections_probes").OracleHighLevel()
    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model")
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    observation = robot.reset(seed=2)
    person = corrector.SimulatedCorrector(robot, policy, motions_config(compose("dataset").motions), CorrectorConfig(), seed=0)
    assert oracle.corrector is person
    wanted = person.intended()
    learned = "move up"  # the high level as trained, stood in for by one that never picks what the person wants
    oracle.learned = lambda p, batch, goals: torch.eye(len(p.texts))[[p.texts.index(learned)]]
    assert learned != wanted
    oracle.active = True
    policy.reset()
    policy.select_action(observation)
    assert policy.current_motion == wanted
    oracle.active = False
    policy.reset()
    policy.select_action(observation)
    assert policy.current_motion == learned


def test_the_benchmark_runs_the_policy_with_the_repick_asked(hierarchical, tmp_path, monkeypatch):
    from robot_hf.feedback import kinds
    from tests.benchmark_scripts import load

    bench = load("corrections")
    bench.ACTION_SPACE = "joint"  # the tiny policy's actions
    seen = []

    class Enough(Exception):
        pass

    def person(self, cfg, robot, policy, seed, styles=None):  # the arm's person is made from the policy as run
        seen.append(policy.config.repick_steps)
        raise Enough

    monkeypatch.setattr(kinds.Corrections, "person", person)
    with pytest.raises(Enough):
        bench.success("lift", hierarchical[1], 1, tmp_path, arms={"keys": ["feedback.corrector.input=keys"]}, repick_steps=3)
    assert seen == [3]


def test_the_on_the_fly_part_runs_the_arms_asked_with_the_motions_asked(tmp_path, monkeypatch, capsys):
    from rich.console import Console

    from tests.benchmark_scripts import load

    bench = load("corrections")
    args = bench.arguments(["--parts", "success", "--train-seeds", "0", "--episodes", "2", "--out", str(tmp_path),
                            "--arms", "autonomous", "hotkey corrections", "--motions", "fine",
                            "--acting", "repick_steps=2"])
    asked = []

    def success(task, policy, episodes, out, arms, motions="default", acting=None, **kw):
        asked.append((list(arms), motions, acting))
        return [{"arm": arm, "success": 0.5, "episodes": 2, "seed_range": "dev_final", "outcomes": [True, False],
                 "corrections_per_episode": 1.0, "person_s_per_episode": 1.0, "watching_s_per_episode": 1.0}
                for arm in arms]

    monkeypatch.setattr(bench, "prepare", lambda task, args, seed: (None, tmp_path / "policy"))
    monkeypatch.setattr(bench, "success", success)
    bench.success_tables(args, Console())
    assert asked == [(["autonomous", "hotkey corrections"], "fine", {"repick_steps": 2})]
    assert (tmp_path / "lift/seed_0/on_the_fly_dev_final_2_repick_steps-2.json").exists()  # cached apart
    with pytest.raises(SystemExit, match="--acting"):
        bench.arguments(["--acting", "no_such_setting=1"])
    assert bench.arguments(["--acting", "high_weight=0.5", "repick_steps=1"]).acting == {"high_weight": 0.5, "repick_steps": 1}
    assert "motions=fine" in bench.task_overrides("lift", "fine") and not any(
        o.startswith("motions=") for o in bench.task_overrides("lift"))
    assert "hotkey corrections vs autonomous" in capsys.readouterr().out  # the pairs of arms not run are left out
    args.arms = ["hotkey corrections"]  # one arm, from the cache: nothing to compare it with, and no error
    bench.success_tables(args, Console())
    assert len(asked) == 1 and " vs " not in capsys.readouterr().out


def test_gripper_binary_bases_are_trained_so(tmp_path, monkeypatch):
    """--gripper-binary trains the bases with policy.gripper_binary=true, so every arm and round acts so."""
    from tests.benchmark_scripts import load

    bench = load("corrections")
    calls = []

    def cli(argv):
        calls.append(argv)
        if argv[0] == "record":
            (tmp_path / "lift/demos/meta").mkdir(parents=True)
            (tmp_path / "lift/demos/meta/info.json").write_text("{}")
        else:
            (tmp_path / "lift/seed_0/base/checkpoints").mkdir(parents=True)
            (tmp_path / "lift/seed_0/base/checkpoints/last.txt").write_text("step_0000001")
        return 0

    monkeypatch.setattr("robot_hf.cli.main.main", cli)
    bench.prepare("lift", bench.arguments(["--gripper-binary", "--out", str(tmp_path)]), 0)
    assert [c[0] for c in calls] == ["record", "train"] and "policy.gripper_binary=true" in calls[1]
    assert "policy.gripper_binary=true" not in calls[0]  # the demos are the same people's either way
    calls.clear()
    (tmp_path / "lift/seed_0").rename(tmp_path / "old")
    bench.prepare("lift", bench.arguments(["--out", str(tmp_path)]), 0)
    assert [c[0] for c in calls] == ["train"] and "policy.gripper_binary=true" not in calls[0]
