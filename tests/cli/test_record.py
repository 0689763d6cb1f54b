import numpy as np

from robot_hf.cli.main import main
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.validate import validate


def test_record_with_the_simulated_teleoperator(tmp_path, capsys):
    root = tmp_path / "lift"
    code = main(["record", "teleop=scripted", "task=lift", "dataset.num_episodes=2", f"dataset.root={root}",
                 "task.image_height=32", "task.image_width=32"])
    assert code == 0
    r = DatasetReader(root)
    assert r.num_episodes == 2
    assert r.meta.camera_keys == ["observation.images.front", "observation.images.wrist"]
    assert r.features["action"]["names"] == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    for ep in range(2):
        meta = r.meta.episodes[ep]
        assert meta["success"] and meta["loop/period_p99_ms"] > 0 and len(meta["initial_state"]) > 100
        assert r.episode(ep)["next.success"][-1] and r.episode(ep)["next.done"][-1]
    assert validate(root) == []
    out = capsys.readouterr().out
    assert "recorded and committed 2 episodes" in out


def test_recorded_actions_replay_to_the_same_outcome(tmp_path):
    """Actions are recorded as sent: replaying them from the saved initial state reproduces the episode."""
    from sim.robot import SimRobot

    root = tmp_path / "pusht"
    assert main(["record", "task=pusht", "teleop.clean=true", "dataset.num_episodes=1", f"dataset.root={root}",
                 "task.image_height=32", "task.image_width=32"]) == 0
    r = DatasetReader(root)
    ep = r.episode(0)
    robot = SimRobot({"name": "pusht"}, cameras=[])
    obs = robot.reset(state=np.asarray(ep["meta"]["initial_state"]))
    states = [obs["state"]]
    for action in ep["action"]:
        robot.send_action(action)
        states.append(robot.get_observation()["state"])
    np.testing.assert_allclose(np.array(states[:-1]), ep["observation.state"], atol=1e-6)
    assert robot.success
    robot.disconnect()


def test_unknown_group_option_lists_the_valid_ones(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["record", "task=lfit"]) == 2
    err = capsys.readouterr().err
    assert "Could not find 'task/lfit'" in err
    for option in ("insertion", "lift", "pick_place", "pusht"):
        assert option in err
    assert list(tmp_path.iterdir()) == []
