"""Every command refuses bad values before it runs: one line naming the field and the fix, exit code 2, nothing written."""

import pytest

from robot_hf.cli.main import main

# (command, overrides): edge values a person types by mistake (0, negative, empty, a file for a folder, a typo'd +key).
CASES = [
    ("record", ["dataset.num_episodes=0"]), ("record", ["dataset.num_episodes=-3"]), ("record", ["record.episode_time_s=-1"]),
    ("record", ["record.reset_time_s=-0.5"]), ("record", ["dataset.fps=0"]), ("record", ["dataset.root={file}"]),
    ("record", ["run.dir={file}"]), ("record", ["+datset.num_episodes=3"]), ("record", ["+record.sed=3"]),
    ("train", ["train.steps=0"]), ("train", ["train.batch_size=0"]), ("train", ["train.lr=-1e-4"]),
    ("train", ["train.val_fraction=1"]), ("train", ["train.save_every=0"]), ("train", ["train.log_every=-1"]),
    ("train", ["train.keep_last=0"]), ("train", ["dataset.root={file}"]), ("train", ["dataset.root="]),
    ("train", ["+train.stepz=10"]), ("train", ["eval.episodes=0"]),
    ("train", ["objective=dpo", "objective.sources=[teachers]"]), ("train", ["objective=dpo", "objective.dpo_loss=hinge"]),
    ("eval", []), ("eval", ["policy.path={dir}", "eval.episodes=0"]), ("eval", ["policy.path={dir}", "eval.num_envs=0"]),
    ("eval", ["policy.path={dir}", "eval.max_steps=0"]), ("eval", ["policy.path={dir}", "eval.videos=-1"]),
    ("rollout", []), ("rollout", ["policy.path={dir}", "dataset.num_episodes=0"]),
    ("improve", ["policy.path={dir}", "rounds=0"]), ("improve", ["policy.path={dir}", "episodes_per_round=-2"]),
    ("improve", ["policy.path={dir}", "finetune_steps=0"]), ("improve", ["policy.path={dir}", "eval_episodes=0"]),
    ("improve", ["policy.path={dir}", "feedback=preferences", "feedback.branches.k=1"]),
    ("improve", ["policy.path={dir}", "feedback=preferences", "feedback.method=dpo", "objective=cpl"]),
    ("improve", ["policy.path={dir}", "robot=so101", "feedback=preferences", "feedback.branches.states=4"]),
    ("improve", ["policy.path={dir}", "feedback=preferences", "feedback.branches.states=-1"]),
    ("quickstart", ["demos=0"]), ("replay", ["episode=-1"]),
]


@pytest.mark.parametrize(("command", "overrides"), CASES, ids=[f"{c}:{' '.join(o) or 'defaults'}" for c, o in CASES])
def test_bad_values_are_refused_with_one_line_and_exit_2(command, overrides, tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    out = tmp_path / "out"
    values = [o.format(file=a_file, dir=tmp_path) for o in overrides]
    defaults = [f"run.dir={out / 'run'}"] + ([f"dataset.root={out / 'ds'}"] if command != "quickstart" else [])
    given = {v.split("=", 1)[0].lstrip("+") for v in values}
    argv = [command, *[d for d in defaults if d.split("=", 1)[0] not in given], *values]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid config" in err[0] and "Traceback" not in err[0]
    field = (values[-1] if values else "policy.path").split("=", 1)[0].lstrip("+")
    assert field.split(".")[-1] in err[0] or field in err[0], err[0]
    assert not out.exists()  # nothing written


def test_adding_a_camera_to_an_arm_as_readme_writes_it_is_allowed():
    from robot_hf.config.checks import check_config
    from robot_hf.config.compose import compose

    overrides = ["robot=so101", '+robot.cameras={front: {source: "0"}}']
    cfg = compose("record", overrides)
    check_config("record", cfg, overrides)  # a mapping takes new entries
    assert cfg.robot.cameras.front.source == "0"


def test_episodes_the_dataset_does_not_hold_are_refused(lerobot_pusht, tmp_path, capsys):
    assert main(["train", "policy=mlp", "train=tiny", f"dataset.root={lerobot_pusht}", "train.episodes=[99]",
                 f"run.dir={tmp_path / 'run'}"]) == 2
    assert "train.episodes: [99] are not episodes" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert main(["train", "policy=mlp", "train=tiny", f"dataset.root={lerobot_pusht}", "train.action_lag=-2",
                 f"run.dir={tmp_path / 'run'}"]) == 2
    assert "train.action_lag: -2 is negative" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("name", "content", "says"), [
    ("info.json", "{not json", "not valid JSON"),
    ("info.json", '{"codebase_version": "v3.0", "fps": "ten", "features": {}, "total_episodes": 1, "total_frames": 1}',
     "fps must be a positive integer"),
    ("stats.json", '{"action": [1, 2]}', "not valid stats"),
])
def test_a_damaged_meta_file_is_named_in_one_line(lerobot_pusht, tmp_path, capsys, name, content, says):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(lerobot_pusht, root)
    (root / "meta" / name).write_text(content)
    for argv in (["dataset", "info", f"dataset.root={root}"],
                 ["train", "policy=mlp", "train=tiny", f"dataset.root={root}", f"run.dir={tmp_path / 'run'}"]):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and f"meta/{name}" in err[0], err
    assert not (tmp_path / "run").exists()


def test_acting_a_checkpoint_cannot_take_is_refused_in_one_line(tmp_path, capsys):
    from policies import policy_class
    from tests.policies.conftest import STATS, small_config

    policy_class("mlp")(small_config("mlp"), STATS).save_pretrained(tmp_path / "mlp")
    for setting, says in (("policy.num_inference_steps=5", "policy.num_inference_steps: a mlp checkpoint can be told only n_action_steps"),
                          ("policy.n_action_steps=20", "policy.horizon (8) is shorter than policy.n_action_steps (20)")):
        assert main(["eval", f"policy.path={tmp_path / 'mlp'}", setting, f"run.dir={tmp_path / 'run'}"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], err
    assert not (tmp_path / "run").exists()
