"""The simulated intervener takes over as a person would: it finishes what it started and knows when to stop."""

import mujoco
import numpy as np

from robot_hf.feedback.config import IntervenerConfig
from sim.arm import GRIPPER_OPEN
from sim.envs.scene import set_free_joint
from sim.experts.base import Phase
from sim.experts.insertion import InsertionExpert
from sim.experts.lift import LiftExpert
from sim.intervener import SimulatedIntervener
from sim.robot import SimRobot


class HoverBeside(LiftExpert):
    """A stuck policy: the open gripper parked low, 4 cm beside the cube, never closing."""

    def plan(self, info):
        cube = np.asarray(info["privileged"]["cube_pos"])
        return Phase("hover", np.append(cube + [0.0, 0.04, 0.005], 0.0), GRIPPER_OPEN)


def drive(robot, intervener, policy, steps=100):
    """A rollout loop like the session's: who acts, and the intervener's events and the scene after each step."""
    observation, human, log = robot.get_observation(), False, []
    for _ in range(steps):
        action = intervener.get_action(observation) if human else policy.act(observation, robot.info)
        robot.send_action(action)
        observation = robot.get_observation()
        events = intervener.get_events()
        p = robot.info["privileged"]
        log.append({"human": human, "events": events, "held": bool(p["cube_held"]), "cube": np.array(p["cube_pos"]),
                    "precise": intervener.expert.precise, "success": robot.success})
        if events.get("intervene"):
            human = not human
        if events.get("failure") or robot.success:
            break
    return log


def start(config, seed=3):
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    robot.reset(seed=seed)
    return robot, SimulatedIntervener(robot, config, seed=seed), HoverBeside(robot.env, seed=seed)


def test_takes_over_a_stuck_policy_grasps_without_knocking_the_cube_and_hands_back_after_the_grasp():
    robot, intervener, policy = start(IntervenerConfig(reaction_delay_steps=0))
    log = drive(robot, intervener, policy)
    onset = next(i for i, f in enumerate(log) if f["events"].get("intervene"))
    assert intervener.reasons[0] == "no progress"
    handback = next(i for i, f in enumerate(log) if i > onset and f["events"].get("intervene"))
    # From low beside the cube the expert rises before crossing over it: the cube is where the policy left it
    # until the fingers close on it.
    first_hold = next(i for i in range(onset, len(log)) if log[i]["held"])
    assert np.linalg.norm(log[first_hold]["cube"][:2] - log[onset]["cube"][:2]) < 0.01
    # The hand-back waits for the fingers to finish closing (fine work), and the cube is held then.
    assert handback > first_hold and not log[handback]["precise"] and log[handback]["held"]
    assert any(f["precise"] for f in log[onset:handback])
    robot.disconnect()


def test_gives_up_and_fails_the_episode_when_its_take_over_gets_nowhere():
    config = IntervenerConfig(reaction_delay_steps=0, give_up_steps=10)
    robot, intervener, policy = start(config)
    env = robot.env.unwrapped
    set_free_joint(env.model, env.data, "cube", [0.5, -0.1, 0.0151])  # knocked out of the arm's reach
    mujoco.mj_forward(env.model, env.data)
    log = drive(robot, intervener, policy)
    onset = next(i for i, f in enumerate(log) if f["events"].get("intervene"))
    assert log[-1]["events"] == {"failure": True} and intervener.gave_up and not log[-1]["success"]
    assert all(f["human"] for f in log[onset + 1:])
    assert len(log) - onset - 1 == config.give_up_steps  # no hand-back to a hopeless scene, no frames spent past it
    robot.disconnect()


def test_recovery_means_beating_the_best_progress_of_the_episode():
    robot, intervener, _ = start(IntervenerConfig(reaction_delay_steps=0, recover_progress=0.15))
    intervener.episode_best = 0.3  # the policy had reached the cube before knocking it away
    intervener._take_over(progress=0.0)
    assert intervener.progress_to_beat == 0.3
    robot.disconnect()


def insertion_robot():
    robot = SimRobot({"name": "insertion", "object_state": True, "cameras": []})
    robot.reset(seed=1)
    return robot


def test_watches_a_policy_through_the_fine_alignment_of_insertion():
    """Watching, the expert plans from where the robot's hand is: alignment corrects from that, not from a
    target it never commanded."""
    robot = insertion_robot()
    intervener = SimulatedIntervener(robot, IntervenerConfig(no_progress_steps=1000, off_course_steps=1000), seed=1)
    policy = InsertionExpert(robot.env, seed=1)
    stages = set()
    for _ in range(150):
        robot.send_action(policy.act(robot.get_observation(), robot.info))
        robot.get_observation()
        assert intervener.get_events() == {}
        stages.add(intervener.expert.stage)
        if robot.success:
            break
    assert {"align", "insert"} <= stages
    robot.disconnect()


def test_a_knocked_over_peg_ends_the_episode_instead_of_a_take_over():
    robot = insertion_robot()
    env = robot.env.unwrapped
    adr = env.model.joint("peg").qposadr[0]
    env.data.qpos[adr + 2] = 0.011
    env.data.qpos[adr + 3: adr + 7] = [np.cos(np.pi / 4), np.sin(np.pi / 4), 0, 0]  # lying on its side
    mujoco.mj_forward(env.model, env.data)
    robot.send_action(robot.hold_action(robot.get_observation()))
    assert robot.info["privileged"]["peg_tilt"] > 1.0
    intervener = SimulatedIntervener(robot, IntervenerConfig(reaction_delay_steps=0), seed=1)
    assert intervener.get_events() == {"failure": True}
    assert intervener.gave_up and intervener.takeovers == 0 and intervener.reasons == ["imminent failure, unrecoverable"]
    robot.disconnect()


def test_fine_work_does_not_count_towards_giving_up():
    robot = insertion_robot()
    config = IntervenerConfig(reaction_delay_steps=0, no_progress_steps=3, give_up_steps=5, max_takeover_steps=100)
    intervener = SimulatedIntervener(robot, config, seed=1)
    assert any(intervener.get_events().get("intervene") for _ in range(config.no_progress_steps + 1))
    assert intervener.in_control
    intervener.expert.precise = True  # aligning: the task's progress hardly moves
    assert all(intervener.get_events() == {} for _ in range(3 * config.give_up_steps))
    intervener.expert.precise = False
    events = [intervener.get_events() for _ in range(config.give_up_steps)]
    assert events[-1] == {"failure": True} and all(e == {} for e in events[:-1])
    robot.disconnect()


def test_takes_over_a_pusher_that_stands_still_in_push_t_and_pushes_the_block_on():
    robot = SimRobot({"name": "pusht", "object_state": True, "cameras": []})
    robot.reset(seed=1)
    # Push-T's progress (coverage) stands still while the pusher walks around the block: a person is patient for it.
    config = IntervenerConfig(reaction_delay_steps=0, no_progress_steps=5, give_up_steps=60)
    intervener = SimulatedIntervener(robot, config, seed=1)
    observation, human, start = robot.get_observation(), False, robot.info["progress"]
    parked = np.asarray(robot.info["privileged"]["pusher_pos"], dtype=np.float32)
    takeovers = 0
    for _ in range(120):
        robot.send_action(intervener.get_action(observation) if human else parked)
        observation = robot.get_observation()
        events = intervener.get_events()
        if events.get("intervene"):
            human = not human
            takeovers += human
        assert not events.get("failure")
        if robot.success:
            break
    assert takeovers >= 1 and intervener.reasons[0] == "no progress"
    assert robot.info["max_coverage"] > start + 0.05
    robot.disconnect()
