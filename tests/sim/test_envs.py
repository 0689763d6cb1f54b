import gymnasium as gym
import numpy as np
import pytest

import sim
from sim.arm import DLSIK, planar_guess
from sim.robot import make_env

TASKS = ["lift", "pick_place", "insertion", "pusht"]


@pytest.mark.parametrize("task", TASKS)
def test_registered_and_seeded_resets_reproduce_the_scene(task):
    env_id = sim.TASKS[task][0]
    env = gym.make(env_id, image_height=32, image_width=32)
    a, _info_a = env.reset(seed=7)
    state_a = env.unwrapped.get_state()
    b, _ = env.reset(seed=8)
    c, _ = env.reset(seed=7)
    np.testing.assert_array_equal(state_a, env.unwrapped.get_state())
    for cam in a["images"]:
        np.testing.assert_array_equal(a["images"][cam], c["images"][cam])
    assert not np.array_equal(env.unwrapped.get_state(), env.unwrapped.get_state() * 0) and a["task"] == c["task"]
    assert any(not np.array_equal(a["images"][k], b["images"][k]) for k in a["images"])
    env.close()


@pytest.mark.parametrize("task", TASKS)
def test_saved_state_restores_the_episode_exactly(task):
    env = make_env({"name": task}, image_height=24, image_width=24)
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        env.step(env.action_space.sample() * 0 + env.action_space.low + rng.random(env.action_space.shape) * 0.1)
    saved = env.get_state()
    actions = [env.action_space.low + rng.random(env.action_space.shape) * (env.action_space.high - env.action_space.low) * 0.2
               for _ in range(4)]
    first = [env.step(a)[0]["state"] for a in actions]
    env.reset(seed=99)
    _obs, _ = env.reset(options={"state": saved})
    second = [env.step(a)[0]["state"] for a in actions]
    np.testing.assert_array_equal(np.array(first), np.array(second))
    env.close()


def test_ik_reaches_targets_within_tolerance():
    env = make_env({"name": "lift"}, cameras=[])
    ik = DLSIK(env.model)
    rng = np.random.default_rng(0)
    for _ in range(40):
        r, a = rng.uniform(0.12, 0.25), rng.uniform(-0.7, 0.7)
        target = np.array([r * np.cos(a), r * np.sin(a), rng.uniform(0.01, 0.09)])
        yaw = rng.uniform(-1.4, 1.4)
        q, pos_err, rot_err = ik.solve(planar_guess(np.array([0.15, 0, 0.09]), 0.0), target, yaw)
        pos, _ = ik.forward(q)
        assert np.linalg.norm(pos - target) < 1.5e-3 and rot_err < 0.02, (target, yaw, pos_err, rot_err)
    env.close()


def test_ee_delta_actions_move_the_gripper_and_respect_the_workspace():
    env = make_env({"name": "lift"}, cameras=[], action_space="ee_delta")
    _, info = env.reset(seed=0)
    start = info["privileged"]["ee_pos"]
    for _ in range(8):
        _, _, _, _, info = env.step(np.array([0.01, 0.0, 0.0, 0.0, 1.0], np.float32))
    moved = info["privileged"]["ee_pos"] - start
    assert 0.06 < moved[0] < 0.09 and abs(moved[1]) < 0.01
    for _ in range(20):  # push down through the table: the workspace floor stops the target
        _, _, _, _, info = env.step(np.array([0.0, 0.0, -0.03, 0.0, 1.0], np.float32))
    assert info["privileged"]["ee_target"][2] >= env.config.workspace[4] - 1e-9
    assert info["action_sent"][2] > -0.03  # the clipped delta is what gets recorded
    env.close()


def test_images_are_not_empty_and_change_when_the_arm_moves():
    env = make_env({"name": "lift"}, image_height=48, image_width=48)
    obs, _ = env.reset(seed=1)
    for cam in ("front", "wrist"):
        img = obs["images"][cam]
        assert img.shape == (48, 48, 3) and img.dtype == np.uint8 and img.std() > 5
    q = obs["state"][:6].copy()
    q[0] += 0.6
    for _ in range(5):
        moved, *_ = env.step(q)
    for cam in ("front", "wrist"):
        assert np.abs(moved["images"][cam].astype(int) - obs["images"][cam]).mean() > 2
    env.close()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"cameras": ["front", "ceiling"]}, r"unknown camera\(s\) \['ceiling'\].*available"),
        ({"fps": 0}, "fps must be a positive integer"),
        ({"fps": -10}, "fps must be a positive integer"),
        ({"action_space": "torque"}, "action_space must be one of"),
        ({"frame_rate": 10}, r"unknown task config key\(s\) \['frame_rate'\]"),
        ({"randomization": {"colour": True}}, r"unknown randomization key\(s\) \['colour'\]"),
    ],
)
def test_bad_config_values_fail_clearly(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_env({"name": "lift", **overrides})


def test_pusht_has_only_its_own_cameras():
    with pytest.raises(ValueError, match=r"unknown camera\(s\) \['wrist'\].*\['top', 'front'\]"):
        make_env({"name": "pusht"}, cameras=["wrist"])


def test_domain_randomisation_switches():
    plain = make_env({"name": "lift"}, cameras=[])
    rand = make_env({"name": "lift"}, cameras=[], randomization={
        "object_colors": True, "object_sizes": True, "lighting": True, "camera_jitter": True, "friction": True, "mass": True})
    cube = plain.model.geom("cube").id
    plain.reset(seed=0)
    rand.reset(seed=0)
    first = (rand.model.geom_rgba[cube].copy(), rand.model.geom_size[cube].copy(), rand.model.cam_pos.copy(), rand.model.light_pos.copy())
    assert not np.allclose(first[0], plain.model.geom_rgba[cube])
    assert not np.allclose(first[1], plain.model.geom_size[cube])
    assert not np.allclose(first[2], plain.model.cam_pos)
    rand.reset(seed=1)
    assert not np.allclose(first[0], rand.model.geom_rgba[cube])
    rand.reset(seed=0)
    np.testing.assert_array_equal(first[1], rand.model.geom_size[cube])
    # A bigger cube rests higher: the scene follows the randomised size.
    _, info = rand.reset(seed=0)
    assert abs(info["privileged"]["cube_pos"][2] - rand.model.geom_size[cube][2]) < 2e-3
    plain.close()
    rand.close()


def test_vector_env_with_two_processes():
    from robot_hf.evaluation.vector import make_vector_env

    envs = make_vector_env({"name": "lift", "image_height": 24, "image_width": 24}, num_envs=2)
    obs, _ = envs.reset(seed=[0, 1])
    assert obs["images"]["front"].shape == (2, 24, 24, 3)
    assert list(obs["task"]) == ["lift the red cube"] * 2
    obs, _reward, _term, _trunc, info = envs.step(np.stack([envs.single_action_space.low] * 2) * 0)
    assert obs["state"].shape == (2, 12) and len(info["success"]) == 2
    envs.close()
