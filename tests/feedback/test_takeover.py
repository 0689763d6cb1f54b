import numpy as np

from hardware.teleop.keyboard import KeyboardTeleop
from robot_hf.dataset import DatasetReader, DatasetWriter, build_features
from robot_hf.dataset.validate import validate
from robot_hf.feedback.labels import rlif_rewards
from robot_hf.session import TakeoverActor, TakeoverPreferences, run_session
from sim.robot import SimRobot


class ScriptedPolicy:
    """Holds the arm still (its last command) and counts resets."""

    def __init__(self):
        self.resets = 0
        self.calls = 0

    def reset(self):
        self.resets += 1

    def select_action(self, observation):
        self.calls += 1
        return np.append(np.asarray(observation["state"][:5]), 1.2).astype(np.float32)


def test_takeover_state_machine_under_key_events():
    robot = SimRobot({"name": "lift"}, cameras=[])
    policy, kb = ScriptedPolicy(), KeyboardTeleop(listen=False)
    machine = TakeoverActor(policy, kb)
    obs = robot.reset(seed=0)
    machine.start_episode(robot, obs)
    assert machine.mode == "policy" and policy.resets == 1
    machine.after_step({}, 1, obs)
    assert machine.mode == "policy"
    machine.after_step({"intervene": True}, 3, obs)
    assert machine.mode == "human"
    machine.after_step({"intervene": True}, 7, obs)
    assert machine.mode == "policy"
    assert policy.resets == 2  # the chunk queue is cleared on hand-back
    assert (machine.takeovers, machine.handbacks) == ([3], [7])
    kb.press("w")  # moving the device takes over, as with a spacemouse or leader arm
    machine.after_step(kb.get_events(), 9, obs)
    assert machine.mode == "human"
    robot.disconnect()


def rollouts(robot, policy, person, writer, num_episodes, **options):
    return run_session(robot, TakeoverActor(policy, person, options.pop("takeover_on_motion", True)), writer, num_episodes,
                       person=person, listeners=[TakeoverPreferences("test")], **options)


def test_frames_are_tagged_across_hand_overs(tmp_path):
    robot = SimRobot({"name": "lift"}, cameras=[], action_space="ee_delta")
    kb = KeyboardTeleop(listen=False)
    policy = ScriptedPolicy()
    script = {3: "t", 6: "t", 9: "t", 11: "t", 13: "enter"}
    original = policy.select_action

    def policy_act(obs):
        return np.zeros(5, np.float32) + np.array([0, 0, 0, 0, 1.2], np.float32)

    policy.select_action = policy_act
    steps = {"n": 0}
    original_events = kb.get_events

    def events():
        steps["n"] += 1
        if steps["n"] in script:
            kb.press(script[steps["n"]])
        return original_events()

    kb.get_events = events
    writer = DatasetWriter.create(tmp_path / "ds", robot.fps, build_features({}, robot.state_names, robot.action_names))
    with writer:
        stats = rollouts(robot, policy, kb, writer, num_episodes=1, takeover_on_motion=False)
    del original
    r = DatasetReader(tmp_path / "ds")
    ep = r.episode(0)
    flags = ep["intervention"]
    assert flags.tolist() == [False] * 3 + [True] * 3 + [False] * 3 + [True] * 2 + [False] * 2
    assert list(ep["source"]) == ["human" if f else "policy" for f in flags]
    assert ep["meta"]["takeover_frames"] == [3, 9] and ep["meta"]["handback_frames"] == [6, 11]
    np.testing.assert_array_equal(ep["rlif_reward"], rlif_rewards(flags, np.zeros(len(flags), int)))
    assert not ep["next.reward"].any()  # the arm never moved towards the cube: no environment reward
    assert ep["next.done"].tolist() == [False] * 12 + [True] and ep["next.success"][-1]
    assert ep["meta"]["success"] and stats.takeovers == 2 and stats.human_frames == 5
    prefs = r.preferences
    assert [(p.a_from_frame, p.a_to_frame, p.b_from_frame, p.b_to_frame) for p in prefs] == [(3, 6, 0, 3), (9, 11, 7, 9)]
    assert validate(tmp_path / "ds") == []  # the preference pairs point at real frames
    robot.disconnect()


class NoisyPolicy(ScriptedPolicy):
    """Acts with torch sampling noise, as a diffusion policy's chunk does."""

    def select_action(self, observation):
        import torch

        hold = super().select_action(observation)
        return hold + 0.05 * torch.randn(hold.shape).numpy() * np.array([1, 1, 1, 1, 1, 0], np.float32)


def test_rollouts_repeat_at_the_same_seed_and_leave_the_callers_rng_alone(tmp_path):
    import torch

    def actions(name, seed):
        robot = SimRobot({"name": "lift"}, cameras=[])
        writer = DatasetWriter.create(tmp_path / name, robot.fps, build_features({}, robot.state_names, robot.action_names))
        with writer:
            rollouts(robot, NoisyPolicy(), KeyboardTeleop(listen=False), writer, num_episodes=2, seed=seed,
                     max_steps=6, takeover_on_motion=False)
        robot.disconnect()
        return DatasetReader(tmp_path / name).column("action")

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = actions("a", seed=5)
    assert torch.equal(torch.rand(1), expected_next)  # the caller's random stream is untouched
    np.testing.assert_array_equal(first, actions("b", seed=5))
    assert not np.allclose(first, actions("c", seed=6))
