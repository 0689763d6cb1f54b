"""benchmarks/diffusion_budget.py: every variant composes into a train config that carries its change, and variants
that leave a step's cost alone share the baseline's probe (equal steps)."""

import argparse
import json
from pathlib import Path

import pytest

from robot_hf.config.compose import compose
from tests.benchmark_scripts import load


def _args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(out=tmp_path, batch_size=64, probe_threads=2)


@pytest.mark.parametrize("variant", list(load("diffusion_budget").VARIANTS) + ["obs1+sample"])
def test_every_variant_composes_and_carries_its_overrides(tmp_path, variant):
    bench = load("diffusion_budget")
    overrides = bench.row_overrides("lift", variant, tmp_path / "data", _args(tmp_path))
    cfg = compose("train", overrides)
    assert cfg.policy.name == "diffusion" and cfg.policy.denoiser == "unet"
    assert list(cfg.task.cameras) and cfg.task.image_height == 64
    for name in variant.split("+"):
        for override in bench.VARIANTS[name]:
            key, value = override.split("=")
            node = cfg
            for part in key.split("."):
                node = node[part]
            try:
                assert float(node) == float(value), override
            except ValueError:
                assert str(node).lower() == value.lower(), override


def test_variants_of_equal_step_cost_reuse_the_baselines_probe(tmp_path):
    bench = load("diffusion_budget")
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "lift_baseline.json").write_text(json.dumps({"steps_per_s": 4.0, "threads": 2}))
    (tmp_path / "probe" / "lift_obs1.json").write_text(json.dumps({"steps_per_s": 5.0, "threads": 2}))
    args = _args(tmp_path)
    assert bench.probe("lift", "sample", args) == 4.0
    assert bench.probe("lift", "lr1e-3+t16", args) == 4.0
    assert bench.probe("lift", "obs1+sample", args) == 5.0
