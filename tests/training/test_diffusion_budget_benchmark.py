"""benchmarks/diffusion_budget.py: every variant composes into a train config that carries its change, and variants
that leave a step's cost alone share the baseline's probe (equal steps)."""

import argparse
import json
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from robot_hf.config.compose import compose
from tests.benchmark_scripts import load


def _args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(out=tmp_path, batch_size=64, probe_threads=2, probe_against="", probe_repeats=3)


@pytest.mark.parametrize("variant", list(load("diffusion_budget").VARIANTS) + ["obs1+sample"])
def test_every_variant_composes_and_carries_its_overrides(tmp_path, variant):
    bench = load("diffusion_budget")
    overrides = bench.row_overrides("lift", variant, tmp_path / "data", _args(tmp_path))
    cfg = compose("train", overrides)
    assert cfg.policy.name == "diffusion"
    assert cfg.policy.denoiser == ("transformer" if "transformer" in variant.split("+") else "unet")
    image = bench.row_image(variant)
    if bench.row_lowdim(variant):  # the objects' exact pose in the state, no camera, in training and evaluation alike
        assert cfg.task.object_state and not list(cfg.task.cameras) and cfg.policy.cameras == []
        assert bench.eval_task("lift", variant) == {"name": "lift", "object_state": True, "cameras": []}
    else:
        assert list(cfg.task.cameras) and cfg.task.image_height == image and cfg.task.image_width == image
        assert bench.eval_task("lift", variant) == {"name": "lift", "image_height": image, "image_width": image}
    for name in variant.split("+"):
        for override in bench.VARIANTS[name]:
            key, value = override.split("=")
            node = OmegaConf.select(cfg, key)
            node = OmegaConf.to_container(node) if OmegaConf.is_config(node) else node
            expected = yaml.safe_load(value)
            assert node == (float(expected) if isinstance(node, float) else expected), override


def test_an_image_size_variant_records_and_evaluates_at_its_own_size(tmp_path):
    bench = load("diffusion_budget")
    assert bench.row_image("obs1+img96") == 96 and bench.row_image("obs1") == bench.CPU_IMAGE
    assert bench.data_dir(tmp_path, "pusht", "obs1+img96") != bench.data_dir(tmp_path, "pusht", "obs1")
    cfg = compose("train", bench.row_overrides("pusht", "obs1+img96", tmp_path / "d", _args(tmp_path)))
    assert list(cfg.policy.vision.crop) == [84, 84]


def test_a_shift_variant_sets_the_crop_from_its_image_size(tmp_path):
    bench = load("diffusion_budget")
    for variant, crop in (("obs1", 56), ("obs1+shift2", 60), ("obs1+img80", 70), ("obs1+img80+shift2", 76), ("obs1+img96+shift2", 92)):
        cfg = compose("train", bench.row_overrides("pusht", variant, tmp_path / "d", _args(tmp_path)))
        assert list(cfg.policy.vision.crop) == [crop, crop], variant


def test_a_recording_variant_records_its_own_demos_with_its_settings(tmp_path, monkeypatch):
    import robot_hf.cli.main

    bench = load("diffusion_budget")
    calls = []
    monkeypatch.setattr(robot_hf.cli.main, "main", lambda argv: calls.append(argv) or 0)
    root = bench.record_demos(tmp_path, "pusht", "obs1+clean", bench.DEMOS)
    assert root == tmp_path / "data" / "pusht_clean" != bench.data_dir(tmp_path, "pusht", "obs1")
    assert "teleop.clean=true" in calls[0] and f"dataset.root={root}" in calls[0]
    bench.record_demos(tmp_path, "pusht", "obs1", bench.DEMOS)
    assert "teleop.clean=true" not in calls[1]
    assert bench.data_dir(tmp_path, "pusht", "obs1+img96+clean", 200).name == "pusht_96px_clean_200demos"
    assert bench.data_dir(tmp_path, "pusht", "obs1+lowdim+clean").name == "pusht_lowdim_clean"
    # The objects' poses recorded beside the demos, for the variant that trains on them as targets.
    root = bench.record_demos(tmp_path, "pusht", "obs1+clean+poses", bench.DEMOS)
    assert root.name == "pusht_clean_poses"
    assert "task.environment_state=true" in calls[2] and "teleop.clean=true" in calls[2]


def test_variants_of_equal_step_cost_reuse_the_baselines_probe(tmp_path):
    bench = load("diffusion_budget")
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "lift_baseline.json").write_text(json.dumps({"steps_per_s": 4.0, "threads": 2}))
    (tmp_path / "probe" / "lift_obs1.json").write_text(json.dumps({"steps_per_s": 5.0, "threads": 2}))
    args = _args(tmp_path)
    assert bench.probe("lift", "sample", args) == 4.0
    assert bench.probe("lift", "lr1e-3+t16", args) == 4.0
    assert bench.probe("lift", "obs1+sample", args) == 5.0
    assert bench.probe("lift", "obs1+poses", args) == 5.0  # a linear head on the features: the same step


def test_a_row_probed_against_another_takes_its_kept_rate_times_the_median_interleaved_ratio(tmp_path, monkeypatch):
    bench = load("diffusion_budget")
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "pusht_obs1.json").write_text(json.dumps({"steps_per_s": 6.0, "threads": 2}))
    timings = iter([0.10, 0.05, 0.12, 0.08, 0.10, 0.04])  # reference, row, reference, row, ...: ratios 2, 1.5, 2.5
    order = []
    monkeypatch.setattr(bench, "probe_seconds_per_step", lambda overrides, run_dir: order.append(run_dir.name) or next(timings))
    args = argparse.Namespace(**{**vars(_args(tmp_path)), "probe_against": "obs1"})
    assert bench.probe("pusht", "obs1+unet_half", args) == pytest.approx(12.0)
    assert order == ["pusht_obs1_ref0", "pusht_obs1+unet_half_rep0", "pusht_obs1_ref1", "pusht_obs1+unet_half_rep1",
                     "pusht_obs1_ref2", "pusht_obs1+unet_half_rep2"]
    kept = json.loads((tmp_path / "probe" / "pusht_obs1+unet_half.json").read_text())
    assert kept["steps_per_s"] == pytest.approx(12.0) and "median of 3" in kept["timed"]
    assert bench.probe("pusht", "obs1+unet_half", args) == pytest.approx(12.0)  # kept: not timed again


def _row(out: Path, name: str, successes: list[bool], rewards: list[float]) -> None:
    final = {"success_rate": sum(successes) / len(successes), "ci95": [0.0, 1.0], "mean_max_reward": sum(rewards) / len(rewards),
             "mean_max_progress": 0.0, "episodes": len(successes), "successes": successes, "max_rewards": rewards}
    (out / "runs" / name).mkdir(parents=True)
    (out / "runs" / name / "row.json").write_text(json.dumps({"task": "pusht", "final": final}))


def test_paired_lines_add_the_rewards_difference_only_where_it_says_more_than_success(tmp_path, monkeypatch):
    bench = load("diffusion_budget")
    monkeypatch.setattr(bench, "final_evaluation", lambda *a: pytest.fail("a row with its outcomes is not evaluated again"))
    _row(tmp_path, "graded_a", [False] * 4, [0.6, 0.5, 0.7, 0.6])
    _row(tmp_path, "graded_b", [False] * 4, [0.4, 0.5, 0.5, 0.4])
    _row(tmp_path, "binary_a", [True, True, False, True], [1.0, 1.0, 0.0, 1.0])
    _row(tmp_path, "binary_b", [True, False, False, True], [1.0, 0.0, 0.0, 1.0])
    graded = bench.paired_lines(tmp_path, [("graded_a", "graded_b")])
    assert len(graded) == 2 and "mean max reward graded_a - graded_b: +0.150" in graded[1]
    assert len(bench.paired_lines(tmp_path, [("binary_a", "binary_b")])) == 1


def test_a_graded_row_without_its_rewards_is_evaluated_again_and_keeps_its_result(tmp_path, monkeypatch):
    bench = load("diffusion_budget")
    _row(tmp_path, "graded_a", [False] * 2, [0.6, 0.5])
    _row(tmp_path, "old", [False] * 2, [0.4, 0.5])
    path = tmp_path / "runs" / "old" / "row.json"
    row = json.loads(path.read_text())
    del row["final"]["max_rewards"]
    path.write_text(json.dumps(row))
    fresh = {**row["final"], "max_rewards": [0.4, 0.5]}
    calls = []
    monkeypatch.setattr(bench, "final_evaluation", lambda run_dir, task, episodes: calls.append(run_dir.name) or fresh)
    assert "+0.100" in bench.paired_lines(tmp_path, [("graded_a", "old")])[1]
    assert calls == ["old"] and json.loads(path.read_text())["final"]["max_rewards"] == [0.4, 0.5]
    assert "final_in_training" not in json.loads(path.read_text())  # it had been loaded afresh already


def test_a_comparison_on_test_seeds_reads_each_run_once_on_the_locked_range_and_counts_it(tmp_path, monkeypatch):
    bench = load("diffusion_budget")
    _row(tmp_path, "a", [False] * 2, [0.6, 0.5])
    _row(tmp_path, "b", [False] * 2, [0.4, 0.5])
    on_test = {"a": [0.8, 0.7], "b": [0.5, 0.5]}
    calls = []

    def evaluated(run_dir, task, episodes, acting=None, seed=0):
        calls.append((run_dir.name, episodes, seed))
        rewards = on_test[run_dir.name]
        return {"success_rate": 0.0, "ci95": [0.0, 1.0], "mean_max_reward": sum(rewards) / 2, "mean_max_progress": 0.0,
                "episodes": 2, "successes": [False, False], "max_rewards": rewards}

    monkeypatch.setattr(bench, "final_evaluation", evaluated)
    ledger = tmp_path / "reads.json"
    lines = bench.paired_lines(tmp_path, [("a", "b")], test_episodes=2, ledger=ledger)
    assert "(2 locked test seeds)" in lines[0] and "mean max reward a - b: +0.250" in lines[1]
    assert calls == [("a", 2, 900_000), ("b", 2, 900_000)]
    assert len(json.loads(ledger.read_text())) == 2
    bench.paired_lines(tmp_path, [("a", "b")], test_episodes=2, ledger=ledger)
    assert len(calls) == 2 and len(json.loads(ledger.read_text())) == 2  # kept: read once
    assert "+0.100" in bench.paired_lines(tmp_path, [("a", "b")])[1]  # the dev seeds' results are untouched


def test_more_demos_are_the_default_recording_topped_up_where_the_teleoperator_left_off(tmp_path, monkeypatch):
    import robot_hf.cli.main

    bench = load("diffusion_budget")
    base = bench.data_dir(tmp_path, "pusht", "obs1")
    (base / "meta").mkdir(parents=True)
    (base / "meta" / "info.json").write_text("{}")
    (base / "meta" / "episodes.parquet").write_text("the first 100")
    calls, found = [], []

    def fake_record(argv):
        calls.append(argv)
        root = Path(next(a for a in argv if a.startswith("dataset.root=")).split("=", 1)[1])
        found.append((root.name, (root / "meta" / "episodes.parquet").read_text()))  # what it appends to
        (root / "meta" / "episodes.parquet").write_text("200")
        return len(calls) - 1  # the first top-up succeeds, the second fails

    monkeypatch.setattr(robot_hf.cli.main, "main", fake_record)
    root = bench.record_demos(tmp_path, "pusht", "obs1", 200)
    assert root.name == "pusht_200demos" and (root / "meta" / "episodes.parquet").read_text() == "200"
    assert "dataset.resume=true" in calls[0] and "dataset.num_episodes=100" in calls[0]
    assert not any(a.startswith("record.seed") for a in calls[0])  # the seed sequence goes on from the recording's
    assert (base / "meta" / "episodes.parquet").read_text() == "the first 100"  # the default recording is untouched
    assert bench.record_demos(tmp_path, "pusht", "obs1", 200) == root and len(calls) == 1  # kept
    with pytest.raises(SystemExit, match="topping up"):
        bench.record_demos(tmp_path, "pusht", "obs1", 300)
    assert "dataset.num_episodes=100" in calls[1]  # 100 more on a copy of the 200, not 200 more on the first 100
    assert found == [("pusht_200demos.partial", "the first 100"), ("pusht_300demos.partial", "200")]
    assert not bench.data_dir(tmp_path, "pusht", "obs1", 300).exists()  # a failed top-up is never a dataset
    assert bench.run_name("pusht", "obs1", 0, 15.0, 200) == "pusht_obs1_200demos"
    assert bench.run_name("pusht", "obs1", 0, 15.0, bench.DEMOS) == "pusht_obs1"


def test_a_run_acting_otherwise_is_evaluated_once_and_paired_with_its_own_final(tmp_path, monkeypatch):
    bench = load("diffusion_budget")
    _row(tmp_path, "pusht_obs1", [False] * 4, [0.5, 0.5, 0.6, 0.4])
    row = json.loads((tmp_path / "runs" / "pusht_obs1" / "row.json").read_text())
    (tmp_path / "runs" / "pusht_obs1" / "row.json").write_text(json.dumps({**row, "variant": "obs1"}))
    calls = []

    def evaluated(run_dir, task, episodes, acting):
        calls.append(acting)
        assert task == {"name": "pusht", "image_height": bench.CPU_IMAGE, "image_width": bench.CPU_IMAGE}
        return {"success_rate": 0.25, "ci95": [0, 1], "mean_max_reward": 0.6, "mean_max_progress": 0.6, "episodes": 4,
                "successes": [True, False, False, False], "max_rewards": [0.6, 0.6, 0.7, 0.5]}

    monkeypatch.setattr(bench, "final_evaluation", evaluated)
    (line,) = bench.acting_lines(tmp_path, ["pusht_obs1:n_action_steps=4,num_inference_steps=20"], 4)
    assert calls == [{"n_action_steps": 4, "num_inference_steps": 20}]
    assert "success 25% against 0%" in line and "paired +0.100" in line
    assert bench.acting_lines(tmp_path, ["pusht_obs1:n_action_steps=4,num_inference_steps=20"], 4) == [line]
    assert len(calls) == 1  # kept in acting.json, not evaluated again
