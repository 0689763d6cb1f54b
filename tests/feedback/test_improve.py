import json

import numpy as np

from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.validate import validate

LOW_DIM = ["task=lift", "task.object_state=true", "task.cameras=[]"]


def test_rollout_and_one_tiny_improve_round(tmp_path, capsys):
    demos, base = tmp_path / "demos", tmp_path / "base"
    assert main(["record", *LOW_DIM, "dataset.num_episodes=3", f"dataset.root={demos}"]) == 0
    assert main(["train", *LOW_DIM, "policy=mlp", "policy.cameras=[]", f"dataset.root={demos}", "train=tiny",
                 "train.steps=40", "train.save_every=40", f"run.dir={base}"]) == 0
    checkpoint = base / "checkpoints" / "step_0000040"

    rollouts = tmp_path / "rollouts"
    assert main(["rollout", *LOW_DIM, f"policy.path={checkpoint}", "feedback=intervention", "feedback.intervener.no_progress_steps=4",
                 "feedback.intervener.reaction_delay_steps=0", "dataset.num_episodes=2", f"dataset.root={rollouts}"]) == 0
    r = DatasetReader(rollouts)
    assert set(r.column("source")) <= {"policy", "human"} and r.column("intervention").any()
    assert validate(rollouts) == []

    run = tmp_path / "improve"
    assert main(["improve", *LOW_DIM, "feedback=sirius", f"policy.path={checkpoint}", f"dataset.root={demos}", "rounds=1",
                 "episodes_per_round=2", "eval_episodes=2", "finetune_steps=10", "train.batch_size=8", "eval.videos=1",
                 f"run.dir={run}"]) == 0
    report = (run / "report.md").read_text()
    assert "| sirius | 1 |" in report and "| more demos (same person-seconds) | 1 |" in report
    assert (run / "success.png").stat().st_size > 1000 and (run / "human_frames.png").exists()
    result = json.loads((run / "improve.json").read_text())
    assert result["rounds"][1]["human_frames"] > 0
    weights = result["rounds"][1]["class_weights"]
    assert weights["demo"] == 1.0 and weights.get("pre_intervention", 0.0) == 0.0 and weights["intervention"] > 1.0
    assert "- round 1 trained on frames (class, count, loss weight): demo " in report
    assert all(0 <= r["progress"] <= 1 for r in result["rounds"] + result["baseline"])
    # Each round keeps its evaluation episodes' outcomes on the same seeds, so two rounds can be paired-tested.
    assert all(len(r["outcomes"]) == 2 and np.mean(r["outcomes"]) == r["success"] for r in result["rounds"] + result["baseline"])
    assert result["baseline"][1]["human_frames"] >= result["rounds"][1]["human_frames"]
    assert result["rounds"][0]["wall_seconds"] is None and all(r[1]["wall_seconds"] > 0 for r in (result["rounds"], result["baseline"]))
    aggregated = DatasetReader(run / "data" / "sirius")
    assert aggregated.num_episodes == 3 + 2 and aggregated.preferences
    assert "report:" in capsys.readouterr().out


def test_quickstart_config_composes_and_stays_small():
    from robot_hf.config.compose import compose

    cfg = compose("quickstart", [])
    assert cfg.task.name == "lift" and cfg.task.object_state and cfg.policy.cameras == []
    assert cfg.train.steps <= 3000 and cfg.demos <= 50 and cfg.policy.name == "hierarchical"
    kinds = [next(o.split("=")[1] for o in r if o.startswith("feedback=")) for r in cfg.feedback_rounds]
    assert kinds == ["hg_dagger", "corrections", "preferences"]


def test_the_intervener_and_the_baseline_demonstrator_are_the_same_people(tmp_path):
    from robot_hf.config.compose import compose
    from robot_hf.feedback.sites import SimSite
    from robot_hf.session import StatusLine
    from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator

    cfg = compose("improve", ["task=lift", "task.cameras=[]", "run.seed=3"])
    site = SimSite(cfg, tmp_path, StatusLine())
    from robot_hf.feedback.kinds import feedback_kind

    robot, intervener = site.open_round(2, None, feedback_kind(cfg))
    demonstrator = SimulatedTeleoperator(robot, ScriptedTeleopConfig(seed=site.people(2), operators=4))
    assert intervener.styles == demonstrator.styles and len(set(map(repr, intervener.styles))) == 4
    robot.disconnect()


def test_an_improvement_run_cut_off_mid_round_resumes_to_the_same_result(tmp_path, monkeypatch):
    """Killed during round 2's learning (its rollouts recorded): the rerun drops them, redoes round 2, and ends where an
    uninterrupted run ends."""
    import pytest

    from robot_hf.config.compose import compose
    from robot_hf.feedback import improve as improve_module

    demos, base = tmp_path / "demos", tmp_path / "base"
    assert main(["record", *LOW_DIM, "dataset.num_episodes=3", f"dataset.root={demos}"]) == 0
    assert main(["train", *LOW_DIM, "policy=mlp", "policy.cameras=[]", f"dataset.root={demos}", "train=tiny",
                 "train.steps=20", "train.save_every=20", f"run.dir={base}"]) == 0
    args = [*LOW_DIM, "feedback=hg_dagger", f"policy.path={base / 'checkpoints' / 'step_0000020'}", f"dataset.root={demos}",
            "rounds=2", "episodes_per_round=2", "eval_episodes=2", "finetune_steps=5", "train.batch_size=8", "eval.videos=0",
            "feedback.intervener.no_progress_steps=4", "feedback.intervener.reaction_delay_steps=0"]
    assert main(["improve", *args, f"run.dir={tmp_path / 'whole'}"]) == 0

    real, calls = improve_module.Improver._finetune, []

    def killed_in_round_two(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(improve_module.Improver, "_finetune", killed_in_round_two)
    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        improve_module.Improver(compose("improve", [*args, f"run.dir={cut}"])).run()
    assert DatasetReader(cut / "data" / "hg_dagger").num_episodes == 3 + 2 + 2  # round 2's rollouts were recorded
    monkeypatch.setattr(improve_module.Improver, "_finetune", real)
    assert main(["improve", *args, f"run.dir={cut}"]) == 0
    whole, resumed = (json.loads((d / "improve.json").read_text()) for d in (tmp_path / "whole", cut))
    for key in ("success", "human_frames", "cumulative_human_frames", "takeovers", "classes", "outcomes"):
        assert [r[key] for r in resumed["rounds"] + resumed["baseline"]] == [r[key] for r in whole["rounds"] + whole["baseline"]], key
    assert DatasetReader(cut / "data" / "hg_dagger").num_episodes == 3 + 2 + 2
    assert main(["improve", *args, "finetune_steps=6", f"run.dir={cut}"]) == 1  # other settings: refused, not mixed


def improver_recording_finetunes(tmp_path, monkeypatch, overrides: list[str]):
    """An Improver on a sim site whose fine-tunes record the train config they were given instead of training."""
    from types import SimpleNamespace

    from robot_hf.config.compose import compose
    from robot_hf.feedback import improve as improve_module

    cfg = compose("improve", [*LOW_DIM, *overrides, f"run.dir={tmp_path}", f"policy.path={tmp_path / 'ckpt'}",
                              f"dataset.root={tmp_path / 'data'}"])
    seen = []

    class Workspace:
        def __init__(self, train_cfg, **_):
            seen.append(train_cfg)

        def run(self):
            return SimpleNamespace(last=tmp_path)

    monkeypatch.setattr(improve_module, "TrainWorkspace", Workspace)
    improver = improve_module.Improver(cfg)
    improver.site = SimpleNamespace(has_sim=True)
    return improver, seen


def test_a_round_fine_tunes_with_the_runs_own_train_section(tmp_path, monkeypatch):
    """train.* given to improve (precision, speed switches, batch size) reach every round's fine-tune; the round's own
    schedule (steps, lr, no mid-run evaluation, no resume) goes on top."""
    improver, seen = improver_recording_finetunes(tmp_path, monkeypatch, [
        "train.precision=fp32", "train.channels_last=false", "train.batch_size=16", "train.resume=true", "finetune_steps=7",
        "finetune_lr=3e-5"])
    improver._finetune(tmp_path / "ckpt", tmp_path / "data", None, tmp_path / "round")
    train = seen[0].train
    assert (train.precision, train.channels_last, train.batch_size) == ("fp32", False, 16)
    assert (train.steps, train.lr, train.save_every, train.eval_every, train.resume) == (7, 3e-5, 7, 0, False)


def test_the_more_demos_baseline_clones_its_demos_whatever_the_learners_objective(tmp_path, monkeypatch):
    """improve objective=dpo: the learner's rounds train with DPO; the baseline's new demos hold no preference pairs,
    so its rounds are behaviour cloning (before, its first fine-tune stopped the run: no pairs to read)."""
    improver, seen = improver_recording_finetunes(tmp_path, monkeypatch, [
        "feedback=hg_dagger", "objective=dpo", "objective.sources=[intervention]"])
    improver._finetune(tmp_path / "ckpt", tmp_path / "data", None, tmp_path / "round")
    improver._finetune(tmp_path / "ckpt", tmp_path / "data", None, tmp_path / "baseline", learner=False)
    assert (seen[0].objective.name, list(seen[0].objective.sources)) == ("dpo", ["intervention"])
    assert seen[1].objective.name == "bc"
