"""The preference benchmark's episode split and table."""

import numpy as np

from tests.benchmark_scripts import load


def test_split_is_fixed_disjoint_and_a_quarter_held_out():
    bench = load("preferences")
    dev, test = bench.split_episodes(120)
    again_dev, again_test = bench.split_episodes(120)
    assert np.array_equal(dev, again_dev) and np.array_equal(test, again_test)
    assert len(test) == 30 and not set(dev) & set(test) and len(dev) + len(test) == 120


def test_table_reports_mean_and_spread_per_checkpoint():
    bench = load("preferences")
    rows = [{"task": "lift", "teacher": "oracle", "method": "uniform", "seed": s, "labels": n, "test_accuracy": acc + s / 100,
             "clear_accuracy": 0.95, "spearman": 0.8, "success_auc": 0.9, "fit_seconds": n / 10}
            for s in (0, 1) for n, acc in zip(bench.CHECKPOINTS, [0.8, 0.85, 0.9, 0.92], strict=True)]
    table = bench.table(rows)
    line = next(x for x in table.splitlines() if x.startswith("| lift"))
    assert "| 2 |" in line and "80.5% ±0.5" in line and "92.5% ±0.5" in line and "| 10 |" in line
    header, rule = table.splitlines()[:2]
    assert header.count("|") == rule.count("|") == line.count("|")  # a markdown table: one rule cell per column
