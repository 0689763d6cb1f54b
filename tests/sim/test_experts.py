import mujoco
import numpy as np
import pytest

from sim.envs.insertion import HOLE_DEPTH_M, PEG_HALF_LENGTH_M
from sim.envs.scene import set_free_joint
from sim.experts.base import OperatorStyle
from sim.experts.insertion import ALIGN_XY_M, ALIGN_YAW, CLEAR_Z, DESCEND_SPEED_M_S
from sim.robot import SimRobot, make_env
from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator, load_expert_class


def run_expert(task, seeds, style=None, **overrides):
    env = make_env({"name": task}, cameras=[], **overrides)
    expert_class = load_expert_class(task)
    results = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        expert = expert_class(env, style=style, seed=seed)
        for _ in range(env.config.max_steps):
            obs, _, terminated, truncated, info = env.step(expert.act(obs, info))
            if terminated or truncated:
                break
        results.append(info["success"])
    env.close()
    return results


@pytest.mark.parametrize("task, seeds", [("lift", range(4)), ("pick_place", range(3)), ("insertion", range(3)), ("pusht", range(2))])
def test_each_expert_succeeds(task, seeds):
    assert all(run_expert(task, seeds))


def test_a_late_operator_still_inserts_the_peg():
    # Reacting 2 steps late and correcting at the prompt operator's gain, every take oscillated at
    # the alignment and timed out; the gain now eases off with the delay.
    late = OperatorStyle(reaction_delay_steps=2, noise_m=0.002)
    assert sum(run_expert("insertion", range(4), style=late)) >= 3


def test_lift_expert_in_end_effector_space():
    assert all(run_expert("lift", range(2), action_space="ee_delta"))


def test_a_late_operator_in_end_effector_space_does_not_overshoot():
    # End-effector steps are relative: each one used to be taken from the target as it stood, so the
    # steps still in a late operator's delay line were taken again, and its first step repeated while
    # the line filled. Recording Insertion in ee_delta, 66 of 86 takes failed that way (4 of 24 in joints).
    late = OperatorStyle(reaction_delay_steps=2, noise_m=0.002)
    assert sum(run_expert("insertion", range(4), style=late, action_space="ee_delta")) >= 3


def test_pick_place_refuses_a_cube_1cm_outside_the_bowl():
    env = make_env({"name": "pick_place"}, cameras=[])
    env.reset(seed=2)
    target = env._target_cube
    bowl = env._bowl_xy[env._zone]
    name = f"cube_{('red', 'green', 'yellow')[target]}"
    inner = 0.035
    # Centre 1 cm beyond the inner wall: on the rim, outside the zone.
    set_free_joint(env.model, env.data, name, [bowl[0] + inner + 0.01, bowl[1], 0.05])
    for _ in range(20):
        env.step(env.data.ctrl[:6].copy() if False else np.append(env._q_cmd, 1.2).astype(np.float32))
    assert not env._evaluate()[0]
    set_free_joint(env.model, env.data, name, [bowl[0] + 0.01, bowl[1] - 0.01, 0.03])
    for _ in range(10):
        env.step(np.append(env._q_cmd, 1.2).astype(np.float32))
    assert env._evaluate()[0]
    # The right cube in the wrong bowl is not a success either.
    other = env._bowl_xy[1 - env._zone]
    set_free_joint(env.model, env.data, name, [other[0], other[1], 0.03])
    for _ in range(10):
        env.step(np.append(env._q_cmd, 1.2).astype(np.float32))
    assert not env._evaluate()[0]
    env.close()


def test_insertion_refuses_a_peg_resting_on_the_rim():
    env = make_env({"name": "insertion"}, cameras=[])
    env.reset(seed=1)
    hole = env.hole_pos()
    wall = 0.011 + 0.01  # hole half width + half the wall: the middle of the rim
    set_free_joint(env.model, env.data, "peg", [hole[0] + wall * np.cos(env._fixture[2]), hole[1] + wall * np.sin(env._fixture[2]),
                                               HOLE_DEPTH_M + PEG_HALF_LENGTH_M + 0.001], env._fixture[2])
    for _ in range(10):
        env.step(np.append(env._q_cmd, 1.2).astype(np.float32))
    assert not env._evaluate()[0]
    set_free_joint(env.model, env.data, "peg", [hole[0], hole[1], PEG_HALF_LENGTH_M + 0.0005], env._fixture[2])
    for _ in range(10):
        env.step(np.append(env._q_cmd, 1.2).astype(np.float32))
    assert env._evaluate()[0]
    env.close()


def test_lift_refuses_a_cube_tossed_up_but_not_held():
    env = make_env({"name": "lift"}, cameras=[])
    _, info = env.reset(seed=0)
    pos = info["privileged"]["cube_pos"]
    set_free_joint(env.model, env.data, "cube", [pos[0], pos[1], 0.14])
    assert not env._evaluate()[0]  # 12 cm up, but in the air, not in the fingers
    env.close()


@pytest.mark.parametrize("stage", ["approach", "descend", "close"])
def test_a_watching_expert_sees_a_cube_the_policy_grasped_whatever_its_own_stage(stage):
    """After a take-over it has driven (steps > 0); the policy then grasped higher than the expert would, so its own
    plan never reached the grasp. A person sees the cube in the fingers and wants it lifted, not the gripper opened."""
    env = make_env({"name": "lift"}, cameras=[])
    _, info = env.reset(seed=0)
    expert = load_expert_class("lift")(env, seed=0)
    expert.steps, expert.stage = 12, stage
    p = dict(info["privileged"], cube_held=True, ee_pos=np.asarray(info["privileged"]["cube_pos"]) + [0, 0, 0.012])
    phase = expert.watch({**info, "privileged": p})
    assert phase.name == "lift" and phase.gripper < 0.5 and expert.stage == "lift"
    driving = load_expert_class("lift")(env, seed=0)  # its own grasp, driving: the fingers get their time to close
    driving.steps, driving.stage, driving.closing = 12, "close", 0
    assert driving.plan({**info, "privileged": p}).name == "close"
    env.close()


def test_simulated_operators_differ_and_implement_the_teleoperator_interface():
    from robot_hf.interfaces import Teleoperator

    robot = SimRobot({"name": "lift"}, cameras=[])
    teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(operators=3, seed=1))
    assert isinstance(teleop, Teleoperator)
    speeds = {round(s.speed_scale, 3) for s in teleop.styles}
    assert len(speeds) == 3
    lengths, outcomes = [], []
    for ep in range(3):
        obs = robot.reset(seed=ep)
        teleop.start_episode()
        for t in range(robot.max_steps):
            robot.send_action(teleop.get_action(obs))
            obs = robot.get_observation()
            events = teleop.get_events()
            if events:
                break
        lengths.append(t)
        outcomes.append(sorted(events))
    assert all(o in (["success"], ["rerecord"]) for o in outcomes)
    assert outcomes.count(["success"]) >= 2
    robot.disconnect()


def test_insertion_expert_sees_a_peg_about_to_be_knocked_over():
    from sim.experts.insertion import InsertionExpert

    robot = SimRobot({"name": "insertion", "object_state": True, "cameras": []})
    robot.reset(seed=1)
    expert = InsertionExpert(robot.env, seed=1)
    peg = np.array([0.2, 0.0, 0.03])

    def scene(ee, tilt=0.0, held=False):
        return {"privileged": {"peg_pos": peg, "ee_pos": np.asarray(ee), "peg_tilt": tilt, "peg_held": held}}

    assert expert.imminent_failure(scene([0.23, 0.0, 0.06]))  # fingers beside the peg at its height
    assert not expert.imminent_failure(scene([0.23, 0.0, 0.10]))  # passing above it
    assert not expert.imminent_failure(scene([0.205, 0.0, 0.05]))  # over it, going down to grasp
    assert not expert.imminent_failure(scene([0.30, 0.0, 0.04]))  # well clear
    assert expert.imminent_failure(scene([0.30, 0.0, 0.10], tilt=0.2))  # already tipping
    assert not expert.imminent_failure(scene([0.23, 0.0, 0.06], tilt=0.2, held=True))  # in the fingers
    assert expert.recoverable(scene([0.3, 0, 0.1], tilt=0.3)) and not expert.recoverable(scene([0.3, 0, 0.1], tilt=1.5))
    robot.disconnect()


def test_insertion_state_gives_the_peg_from_the_hand_and_the_hole_from_the_peg_bottom():
    env = make_env({"name": "insertion", "object_state": True}, cameras=[])
    env.reset(seed=2)
    hole, hole_yaw = env.hole_pos(), float(env._fixture[2])
    # A peg standing beside the hole, turned a quarter turn plus 0.05 rad from it and tipped 0.2 rad about x.
    yaw, tip = hole_yaw + np.pi / 2 + 0.05, 0.2
    set_free_joint(env.model, env.data, "peg", [hole[0] + 0.06, hole[1] - 0.03, 0.12], yaw)
    qw, qz = np.cos(yaw / 2), np.sin(yaw / 2)
    cx, sx = np.cos(tip / 2), np.sin(tip / 2)
    adr = env.model.jnt_qposadr[env.model.body("peg").jntadr[0]]
    env.data.qpos[adr + 3:adr + 7] = [qw * cx, qw * sx, qz * sx, qz * cx]  # yaw, then the tip about the peg's own x
    mujoco.mj_forward(env.model, env.data)
    state = dict(zip(env.state_names, env._observation()["state"]))
    peg = env.data.xpos[env.model.body("peg").id]
    bottom = peg - PEG_HALF_LENGTH_M * env.data.xmat[env.model.body("peg").id].reshape(3, 3)[:, 2]
    hand, hand_yaw = env.arm.ee_pose(env.data)
    assert np.allclose([state[f"peg_bottom_to_hole.{a}"] for a in "xyz"], hole - bottom, atol=1e-5)
    assert np.linalg.norm(bottom[:2] - peg[:2]) > 0.005  # the tip moves the bottom face well off the centre
    assert np.allclose([state[f"hand_to_peg.{a}"] for a in "xyz"], peg - hand, atol=1e-5)
    assert state["peg.tilt"] == pytest.approx(tip, abs=1e-4)
    assert state["peg_to_hole.yaw"] == pytest.approx(-0.05, abs=2e-3)
    turn = state["hand_to_peg.yaw"]  # the hand's turn onto one of the peg's four equivalent yaws
    assert abs(turn) <= np.pi / 4 and np.cos(4 * (hand_yaw + turn - yaw)) == pytest.approx(1, abs=1e-3)
    env.close()


def test_insertion_expert_slows_down_onto_the_peg_and_closes_at_the_grasp_height():
    # At full speed the hand dropped 64 mm onto the peg in 3 frames, and policies learning from the demos
    # closed their fingers a frame early, 30 mm high, with the peg swinging loose.
    env = make_env({"name": "insertion", "action_space": "ee_delta"}, cameras=[])
    obs, info = env.reset(seed=1)
    expert = load_expert_class("insertion")(env, seed=1)
    descend_z, closed_at = [], None
    for _ in range(env.config.max_steps):
        obs, _, terminated, truncated, info = env.step(expert.act(obs, info))
        if expert.phase_name == "descend":
            descend_z.append(expert.target[2])
        if expert.phase_name == "close" and closed_at is None:
            p = info["privileged"]
            closed_at = np.asarray(p["ee_pos"]) - np.asarray(p["peg_pos"])
        if terminated or truncated:
            break
    assert info["success"]
    steps = -np.diff(descend_z)
    assert len(descend_z) >= 6 and steps.max() <= DESCEND_SPEED_M_S / env.config.fps + 1e-6
    assert np.linalg.norm(closed_at[:2]) < 0.005 and abs(closed_at[2] - (PEG_HALF_LENGTH_M - 0.014)) < 0.006
    env.close()


@pytest.mark.parametrize("offset_m, yaw_error, starts_down", [(0.002, 0.04, True), (0.004, 0.0, False), (0.0, 0.09, False)])
def test_insertion_expert_starts_down_once_roughly_over_the_hole(offset_m, yaw_error, starts_down):
    # A sub-millimetre, 0.03 rad gate at carry height made policies hover there, 2-6 mm and up to 0.25 rad off,
    # for the rest of the episode. The expert now goes down within ALIGN_XY_M and ALIGN_YAW and centres on the way.
    assert ALIGN_XY_M < 0.003 and ALIGN_YAW < 0.09  # inside what the 1 mm clearance admits
    env = make_env({"name": "insertion"}, cameras=[])
    env.reset(seed=1)
    expert = load_expert_class("insertion")(env, seed=1)
    hole, hole_yaw = env.hole_pos(), float(env._fixture[2])
    peg_yaw = hole_yaw + yaw_error
    peg = hole + [offset_m, 0.0, CLEAR_Z + PEG_HALF_LENGTH_M]  # upright, its bottom CLEAR_Z above the hole
    ee = peg + [0.0, 0.0, 0.014]
    quat = [np.cos(peg_yaw / 2), 0.0, 0.0, np.sin(peg_yaw / 2)]
    info = {"privileged": {"peg_pos": peg, "peg_quat": np.array(quat), "peg_yaw": peg_yaw, "peg_tilt": 0.0, "peg_held": True,
                           "hole_pos": hole, "hole_yaw": hole_yaw, "ee_pos": ee, "ee_yaw": peg_yaw}}
    expert.stage, expert.yaw, expert.target = "align", peg_yaw, np.append(ee, peg_yaw)
    phases = [expert.plan(info) for _ in range(3)]
    assert (phases[-1].name == "insert") is starts_down
    if starts_down:
        goal = phases[-1].goal
        assert goal[2] < ee[2] and goal[0] < ee[0]  # down, and towards the hole's centre
    env.close()


def grasp_trace(style, seed, action_space="joint"):
    """Closings of the gripper (open -> below the holding angle) and the episode's success, for one Lift take."""
    from sim.experts.base import HOLDING_BELOW

    env = make_env({"name": "lift"}, cameras=[], action_space=action_space)
    obs, info = env.reset(seed=seed)
    expert = load_expert_class("lift")(env, style=style, seed=seed)
    closings, was_closed, actions = 0, False, []
    for _ in range(env.config.max_steps):
        action = expert.act(obs, info)
        actions.append(action)
        obs, _, terminated, truncated, info = env.step(action)
        closed = info["privileged"]["joints"][-1] < HOLDING_BELOW
        closings += closed and not was_closed
        was_closed = closed
        if terminated or truncated:
            break
    env.close()
    return closings, bool(info["success"]), np.array(actions)


def test_a_misjudged_grasp_is_opened_and_tried_again():
    for seed in range(3):
        closings, success, _ = grasp_trace(OperatorStyle(miss_prob=1.0), seed)
        assert success and closings >= 2  # beside the cube first, then on it
        closings, success, _ = grasp_trace(OperatorStyle(), seed)
        assert success and closings == 1


def test_an_operator_who_wanders_off_still_lifts_and_covers_more_directions():
    seeds = range(4)
    plain = [grasp_trace(OperatorStyle(), s, "ee_delta") for s in seeds]
    play = [grasp_trace(OperatorStyle(play_prob=0.1), s, "ee_delta") for s in seeds]
    assert sum(success for _, success, _ in play) >= 3

    def directions(runs):  # the sign patterns of the end-effector steps taken
        return {tuple(np.sign(np.round(a[:3], 3))) for _, _, actions in runs for a in actions}

    assert len(directions(play)) > len(directions(plain))


def test_teleop_config_sets_misses_and_wandering_for_every_operator():
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(operators=3, miss_prob=0.4, play_prob=0.05))
    assert len(teleop.styles) == 3 and all(s.miss_prob == 0.4 and s.play_prob == 0.05 for s in teleop.styles)
    assert len({s.speed_scale for s in teleop.styles}) > 1  # still the sampled operators, not one clean style
    robot.disconnect()


def test_every_pick_place_phase_aims_a_pose_with_a_yaw():
    # The retreat after letting go once aimed (x, y, z) only, and the next step failed on the missing yaw (seen when a
    # release missed the bowl, so the episode went on past it).
    env = make_env({"name": "pick_place"}, cameras=[], action_space="ee_delta")
    obs, info = env.reset(seed=5)
    expert = load_expert_class("pick_place")(env, seed=5)
    expert.act(obs, info)
    expert.stage = "retreat"
    assert expert.plan(info).goal.shape == (4,)
    obs, _, _, _, info = env.step(expert.act(obs, info))  # acts on it without failing
    env.close()


def homing_trace(slow_near_m: float, seed: int = 0) -> tuple[bool, list[tuple[float, float]], np.ndarray]:
    """A clean Lift expert's run: (success, per step outside fine work the target's distance to the goal it moves to
    and the step's length, the end-effector poses and jaw angles)."""
    env = make_env({"name": "lift"}, cameras=[], action_space="ee_delta", people_slow_near_m=slow_near_m)
    obs, info = env.reset(seed=seed)
    expert = load_expert_class("lift")(env, seed=seed)
    moves, poses = [], []
    advance = expert._advance

    def recording(goal, precise, speed_m_s):
        before = expert.target[:3].copy()
        advance(goal, precise, speed_m_s)
        if not precise:  # fine work (closing on a part) moves straight to its goal, near or not
            moves.append((float(np.linalg.norm(goal[:3] - before)), float(np.linalg.norm(expert.target[:3] - before))))

    expert._advance = recording
    for _ in range(env.config.max_steps):
        p = info["privileged"]
        poses.append([*p["ee_pos"], p["ee_yaw"], p["joints"][-1]])
        obs, _, terminated, truncated, info = env.step(expert.act(obs, info))
        if terminated or truncated:
            break
    env.close()
    return bool(info["success"]), moves, np.array(poses)


def test_people_who_slow_near_a_part_home_in_at_the_homing_speed_and_their_demos_hold_small_moves():
    from robot_hf.config.compose import compose
    from robot_hf.language.labeling import motions_config
    from robot_hf.language.motions import Vocabulary, describe

    cfg = motions_config(compose("dataset", ["motions=fine"]).motions)
    vocab = Vocabulary.from_config(cfg)

    def small_moves(poses):
        return sum("a little" in describe(poses[i + cfg.window] - poses[i], bool(poses[i, 4] < cfg.holding_below), vocab, cfg)
                   for i in range(len(poses) - cfg.window))

    homing_step = 0.012 / 10  # TaskConfig.people_homing_speed_m_s at Lift's 10 frames a second
    success, moves, poses = homing_trace(0.02)
    assert success
    near = [step for dist, step in moves if 1e-4 < dist < 0.02]
    assert near and max(near) <= homing_step + 1e-9
    assert max(step for dist, step in moves if dist > 0.04) > 10 * homing_step  # full speed further off
    assert small_moves(poses) >= 3
    success, moves, poses = homing_trace(0.0)  # the default: full speed up to the goal, no small moves to learn
    assert success and max(step for dist, step in moves if 1e-4 < dist < 0.02) > 5 * homing_step
    assert small_moves(poses) == 0
