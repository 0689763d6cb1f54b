import numpy as np
import pytest

from robot_hf.config.compose import compose
from robot_hf.language.labeling import motions_config
from robot_hf.language.motions import Vocabulary, compatible, label_path


def _cfg(*overrides):
    return motions_config(compose("dataset", list(overrides)).motions)


def test_a_scripted_path_is_labelled_with_its_known_moves():
    cfg = _cfg()
    vocab = Vocabulary.from_config(cfg)
    pose, segments = [np.array([0.2, 0.0, 0.1, 0.0, 1.2])], []
    for move, n, name in (([0.01, 0, 0, 0, 0], 20, "move forward"), ([0, 0.01, 0, 0, 0], 20, "move left"),
                          ([0, 0, 0, 0, -0.12], 12, "close the gripper"), ([0, 0, 0.01, 0, 0], 20, "move up"),
                          ([0, -0.01, -0.01, 0, 0], 20, "move right and down"), ([0, 0, 0, 0.05, 0], 20, "rotate left"),
                          ([0, 0, 0, 0, 0], 20, "stop")):
        for _ in range(n):
            pose.append(pose[-1] + move)
        segments.append((len(pose) - n, len(pose), name))
    labels = label_path(np.array(pose), vocab, cfg)
    for lo, hi, name in segments:
        inner = labels[lo + 2: hi - cfg.window]  # the window looks ahead: a label changes a few frames before its move
        assert inner and max(set(inner), key=inner.count) == name, (name, inner)
    assert labels[-1] == "stop"


def test_a_task_adds_its_own_motion_and_it_wins_while_holding():
    cfg = _cfg("+motions.extra=[{text: insert the peg, z: -1, holding: true}]")
    vocab = Vocabulary.from_config(cfg)
    down = np.array([0, 0, -0.05, 0, 0])
    from robot_hf.language.motions import describe

    assert describe(down, True, vocab, cfg) == "insert the peg" and describe(down, False, vocab, cfg) == "move down"
    with pytest.raises(ValueError, match="unknown axes"):
        Vocabulary.from_config(_cfg("+motions.extra=[{text: spin, roll: 1}]"))


def test_label_motions_on_a_lerobot_dataset_keeps_it_valid(tmp_path, lerobot_pusht, capsys):
    import shutil

    from robot_hf.cli.main import main
    from robot_hf.dataset import DatasetReader
    from robot_hf.dataset.validate import validate

    root = tmp_path / "pusht"
    shutil.copytree(lerobot_pusht, root)
    assert main(["dataset", "label-motions", f"dataset.root={root}", "motions.translate=4"]) == 0
    r = DatasetReader(root)
    texts = {r.tasks[i] for i in r.column("instruction")}
    assert texts and texts <= set(Vocabulary.from_config(_cfg()).texts)
    assert r.tasks[0] == "Push the T-shaped block onto the T-shaped target." or r.column("task_index").max() == 0
    assert validate(root) == []
    # a state the labeller cannot read gets one line naming the key and the fix
    assert main(["dataset", "label-motions", f"dataset.root={root}", "motions.end_effector=so101"]) == 2
    assert "motions.end_effector" in capsys.readouterr().err


def test_motions_on_the_way_to_each_other_are_compatible():
    vocab = Vocabulary.from_config(motions_config(compose("dataset").motions))
    assert compatible("move right and down", "move down", vocab) and compatible("stop", "stop", vocab)
    assert not compatible("move left", "move right", vocab)  # an axis opposite
    assert not compatible("move left", "move up", vocab)  # no axis in common
    assert not compatible("move up", "open the gripper", vocab) and not compatible("stop", "move up", vocab)


def test_small_moves_name_a_slow_path_only_where_the_vocabulary_has_them():
    from robot_hf.language.motions import describe

    fine, default = _cfg("motions=fine"), _cfg()
    small_vocab, plain_vocab = Vocabulary.from_config(fine), Vocabulary.from_config(default)
    slow_left, fast_left = np.array([0, 0.005, 0, 0, 0]), np.array([0, 0.02, 0, 0, 0])
    assert describe(slow_left, False, small_vocab, fine) == "move left a little"
    assert describe(slow_left, False, plain_vocab, default) == "stop"  # below `translate`: still, without small moves
    assert describe(fast_left, False, small_vocab, fine) == "move left"
    assert describe(np.array([0, 0.001, 0, 0, 0]), False, small_vocab, fine) == "stop"  # below `small_translate`
    # a slow two-axis path falls back to the larger axis' small move; a rotation still names the rotation
    assert describe(np.array([0.004, -0.006, 0, 0, 0]), False, small_vocab, fine) == "move right a little"
    assert describe(np.array([0, 0.005, 0, 0.3, 0]), False, small_vocab, fine) == "rotate left"
    assert compatible("move left a little", "move left", small_vocab)
    assert not compatible("move left a little", "stop", small_vocab)
    # a labelled path: a slow segment held long enough becomes an instruction
    pose = [np.array([0.2, 0.0, 0.1, 0.0, 1.2])]
    for step in [[0.01, 0, 0, 0, 0]] * 20 + [[0, 0.001, 0, 0, 0]] * 20:
        pose.append(pose[-1] + step)
    labels = label_path(np.array(pose), small_vocab, fine)
    assert labels[5] == "move forward" and labels[30] == "move left a little"
    with pytest.raises(ValueError, match="small moves translate only"):
        Vocabulary.from_config(_cfg("+motions.extra=[{text: open a little, gripper: 1, small: true}]"))
