"""The interventions benchmark's tables follow the learners it ran (`--methods`, `--no-baseline`)."""

import io
from argparse import Namespace

from rich.console import Console

from tests.benchmark_scripts import load


def load_benchmark():
    return load("interventions")


def rounds(*points: tuple[float, int]) -> list[dict]:
    return [{"success": s, "ci95": [max(0.0, s - 0.1), s + 0.1], "progress": 0.5, "cumulative_human_frames": f} for s, f in points]


def run_tables(methods: list[str], no_baseline: bool) -> str:
    bench = load_benchmark()
    results = {"lift": {
        "sirius": {"rounds": rounds((0.1, 0), (0.3, 1000)), "baseline": rounds((0.1, 0), (0.2, 1100))},
        "hg_dagger": {"rounds": rounds((0.1, 0), (0.5, 2000)), "baseline": rounds((0.1, 0), (0.4, 2000))},
    }}
    results["lift"] = {m: results["lift"][m] for m in methods}
    args = Namespace(methods=methods, no_baseline=no_baseline, eval_episodes=50, images=False, demos=20)
    out = io.StringIO()
    console = Console(file=out, width=250)
    bench.print_rounds(results, args, console)
    return out.getvalue()


def test_both_learners_each_with_its_own_baseline(capsys):
    table = run_tables(["sirius", "hg_dagger"], no_baseline=False)
    assert "more demos (Sirius's frames)" in table and "more demos (HG-DAgger's frames)" in table
    gains = capsys.readouterr().out.splitlines()
    assert gains == ["lift Sirius: +20 points over 1 rounds, +20.0 points per 1000 human frames",
                     "lift HG-DAgger: +40 points over 1 rounds, +20.0 points per 1000 human frames",
                     "lift more demos (Sirius's frames): +10 points over 1 rounds, +9.1 points per 1000 human frames",
                     "lift more demos (HG-DAgger's frames): +30 points over 1 rounds, +15.0 points per 1000 human frames"]


def test_one_learner_without_the_baseline(capsys):
    table = run_tables(["hg_dagger"], no_baseline=True)
    assert "HG-DAgger" in table and "Sirius" not in table and "more demos" not in table
    assert capsys.readouterr().out.splitlines() == ["lift HG-DAgger: +40 points over 1 rounds, +20.0 points per 1000 human frames"]


def test_paired_claims_compare_every_learner_with_the_start_and_the_baseline():
    bench = load_benchmark()
    n = 50
    start = [False] * n
    learner = [True] * 12 + [False] * (n - 12)
    demos = [True] * 10 + [False] * (n - 10)
    rows = [{"arm": "start (round 0)", "outcomes": start}, {"arm": "hg_dagger", "outcomes": learner},
            {"arm": "more demos (effort of hg_dagger)", "outcomes": demos}]
    rows.append({"arm": "more demos (effort of sirius)", "outcomes": [True] * n})  # another arm's baseline: not compared
    lines = bench.paired_claims(rows)
    assert lines[0].startswith("hg_dagger beats start (round 0): +24 points")
    assert lines[1].startswith("hg_dagger vs more demos (effort of hg_dagger): no supported difference, +4 points")
    assert len(lines) == 2


def test_gains_are_reported_per_training_seed_and_across_them():
    bench = load_benchmark()
    results = {f"lift/seed {s}": {"hg_dagger": {"rounds": rounds((0.1, 0), (g, 1000)), "baseline": rounds((0.1, 0), (0.2, 1000))}}
               for s, g in ((0, 0.3), (1, 0.5), (2, 0.4))}
    args = Namespace(methods=["hg_dagger"], no_baseline=False)
    assert bench.seed_summary(results, args) == [
        "lift HG-DAgger: +30 points (sd 10) over 3 training seed(s): +20, +40, +30",
        "lift more demos (HG-DAgger's frames): +10 points (sd 0) over 3 training seed(s): +10, +10, +10",
    ]
