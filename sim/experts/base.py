"""Scripted experts: phase machines over end-effector goals, using the privileged state in `info`.

An expert moves a Cartesian target toward each phase's goal at a bounded speed and turns it into
the environment's action (IK to joint targets, or an end-effector delta). A slow integral term
removes the servo sag the arm shows under gravity, as an operator's eye-hand loop would.
An `OperatorStyle` makes the same expert behave like a particular person (speed, delay, noise,
pauses, detours): the simulated teleoperator.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.arm import DLSIK, GRIPPER_CLOSED, GRIPPER_OPEN, wrap_angle

HOLDING_BELOW = 0.85  # jaw angle (rad) under which the gripper is closed or holding: open 1.2, on a Lift cube 0.72


@dataclass
class Phase:
    name: str
    goal: np.ndarray  # (x, y, z, yaw)
    gripper: float
    done: bool = False
    # Skip the speed limit and move straight there (small corrections).
    precise: bool = False
    # This phase's speed limit (m/s) in place of the expert's `speed_m_s`: a person slows down near a part.
    speed_m_s: float | None = None


PICK_STAGES = ("approach", "descend", "close")

# A person steadies their hand for fine work (aligning, closing on a part): hand noise is scaled by this there.
PRECISE_NOISE_SCALE = 0.25


@dataclass
class OperatorStyle:
    """How one simulated person drives: all zeros/ones is the clean expert."""

    speed_scale: float = 1.0
    reaction_delay_steps: int = 0
    noise_m: float = 0.0  # std of a slowly varying offset on the commanded position
    noise_tau_steps: float = 8.0
    pause_prob: float = 0.0  # chance per step to start a pause
    pause_steps: tuple[int, int] = (3, 8)
    detour_prob: float = 0.0  # chance per phase to go through an off-path waypoint first
    detour_m: float = 0.04
    # Chance per episode that the first grasp is misjudged by miss_m sideways (the fingers close beside the part), then
    # opened and tried again: demonstrations with recoveries. Not drawn by `sample`: set per dataset (teleop.miss_prob).
    miss_prob: float = 0.0
    miss_m: float = 0.03
    # Chance per step to wander off for a few steps (a random direction along one or two axes, a turn of the wrist, or
    # the gripper while not holding), then resume the task from there: state-action coverage beyond the one path, as
    # in play data. Not drawn by `sample`: set per dataset (teleop.play_prob).
    play_prob: float = 0.0
    play_steps: tuple[int, int] = (3, 7)

    @classmethod
    def sample(cls, rng: np.random.Generator) -> OperatorStyle:
        """A plausible operator: speeds 0.6-1.3x, 0-3 steps late, a few mm of hand noise, some hesitation."""
        return cls(
            speed_scale=float(rng.uniform(0.6, 1.3)),
            reaction_delay_steps=int(rng.integers(0, 3)),
            noise_m=float(rng.uniform(0.0, 0.003)),
            pause_prob=float(rng.uniform(0.0, 0.03)),
            detour_prob=float(rng.uniform(0.0, 0.3)),
            detour_m=float(rng.uniform(0.02, 0.05)),
        )


class Expert:
    """Base for the per-task experts; subclasses implement `plan(info) -> Phase`."""

    speed_m_s = 0.25
    yaw_speed = 2.5
    # Integral gain on (target - measured) end-effector position: removes gravity sag.
    sag_gain = 0.25

    def __init__(self, env, style: OperatorStyle | None = None, seed: int | None = None):
        self.env = env.unwrapped
        self.config = self.env.config
        self.fps = self.config.fps
        self.style = style or OperatorStyle()
        self.rng = np.random.default_rng(seed)
        self.ik = DLSIK(self.env.model) if self.config.action_space == "joint" else None
        self.reset()

    # ---- to be written per task --------------------------------------------------------------------
    def plan(self, info: dict[str, Any]) -> Phase:
        raise NotImplementedError

    def reset_task(self) -> None:
        pass

    def recoverable(self, info: dict[str, Any]) -> bool:
        """Whether this expert can still finish the task from the scene (a person taking over asks the same)."""
        return True

    def imminent_failure(self, info: dict[str, Any]) -> bool:
        """Whether the scene is about to be lost (a person watching the policy would take over now)."""
        return False

    def watch(self, info: dict[str, Any]) -> Phase:
        """The plan from the scene while someone else drives (the policy): the hand is where the robot's is.

        Plans that correct from the last commanded target (fine alignment) need one; a watching expert has
        commanded nothing, and a stale target from before would steer it wrong.
        """
        p = info["privileged"]
        self.target = np.append(p["ee_pos"], p["ee_yaw"])
        self.watching = True
        try:
            return self.plan(info)
        finally:
            self.watching = False

    def pick(self, obj: np.ndarray, obj_yaw: float, privileged: dict[str, Any], grasp_dz: float, then: str,
             held: bool = False, above_dz: float = 0.06, xy_tol: float = 0.01, reach_tol: float = 0.006,
             descend_speed_m_s: float | None = None) -> Phase | None:
        """Stages approach -> descend -> close on an object; None once the fingers have closed.

        `self.stage` holds the stage (start at "approach"); after closing it becomes `then`. Starting
        mid-task (a take-over) or watching, it follows the scene: an object already held is not grasped
        again, and a gripper already over the object goes straight down rather than up and back.
        """
        ee = np.asarray(privileged["ee_pos"])
        if getattr(self, "yaw", None) is None or self.stage == "approach":
            self.yaw = grasp_yaw(obj_yaw, privileged["ee_yaw"])
        if self.miss is not None:  # a misjudged first grasp: aim beside the part, across the fingers
            across = np.array([np.cos(self.yaw), np.sin(self.yaw), 0.0])
            obj = obj + self.miss * across
        above = np.append(obj + [0, 0, above_dz], self.yaw)
        grasp = np.append(obj + [0, 0, grasp_dz], self.yaw)
        if held and self.stage in PICK_STAGES and (self.watching or self.steps == 0):
            # Someone else's grasp (the policy's, watched, or the one a take-over starts from) is a grasp: a person
            # sees the part in the fingers, whatever stage their own plan had reached.
            self.stage, self.miss = then, None
            return None
        if self.stage == "approach":
            aligned = np.linalg.norm(ee[:2] - obj[:2]) < xy_tol
            if aligned and grasp[2] - 0.005 < ee[2] < above[2] + 0.015:
                self.stage = "descend"
            elif ee[2] < above[2] - 0.015 and np.linalg.norm(ee[:2] - obj[:2]) > 2 * xy_tol:
                # Low beside the object (a take-over): up first, as a person would; the straight line to
                # above it sweeps the fingers through it and knocks it out of reach.
                return Phase("approach", np.append([ee[0], ee[1], above[2]], self.yaw), GRIPPER_OPEN)
            return Phase("approach", above, GRIPPER_OPEN)
        if self.stage == "descend":
            if np.linalg.norm(ee - grasp[:3]) < reach_tol:
                self.stage, self.closing = "close", 0
            if np.linalg.norm(ee[:2] - obj[:2]) > 0.03:  # the object moved away: start over
                self.stage = "approach"
            return Phase("descend", grasp, GRIPPER_OPEN, speed_m_s=descend_speed_m_s)
        if self.stage == "close":
            # Driving, the expert's own command closes the fingers; watching, the time counts only once they have.
            if not self.watching or float(privileged["joints"][-1]) < HOLDING_BELOW:
                self.closing += 1
            if self.closing >= max(3, round(0.5 * self.fps)):
                self.stage = then
                self.miss = None  # the next grasp is aimed right
            return Phase("close", grasp, GRIPPER_CLOSED, precise=True)
        return None

    def correction_gain(self, gain: float) -> float:
        """The fraction of a measured error to correct per step, for closed-loop fine work.

        An operator who reacts d steps late and corrects as hard as a prompt one overshoots and never
        settles; people ease off instead, so the gain shrinks with the delay. (Before this and the
        delay-aware sag correction in `act`, the simulated operators with a delay failed every
        Insertion take at the alignment: 10 of 32 takes succeeded, now 31 of 40.)
        """
        return gain / (1 + self.style.reaction_delay_steps)

    def imagine(self, env, ik: DLSIK | None = None) -> Expert:
        """This expert, mid-plan, as a clean driver of `env` (a twin of the scene it watches): a person picturing
        their next moves knows where they would go, not the noise, pauses, wander-offs or lag of their own hand.
        `ik`: one built on the twin's model (made here when missing)."""
        twin = copy.copy(self)
        for name, value in vars(self).items():  # the plan's own state, so driving the twin leaves this one as it was
            if isinstance(value, (np.ndarray, list, dict, np.random.Generator)):
                setattr(twin, name, copy.deepcopy(value))
        twin.env, twin.style = env.unwrapped, OperatorStyle()
        twin.ik = (ik or DLSIK(twin.env.model)) if self.ik is not None else None
        twin.delayed, twin.pause, twin.play_left, twin.detour, twin.miss, twin.watching = [], 0, 0, None, None, False
        return twin

    # ---- the shared motion layer ---------------------------------------------------------------------
    def reset(self) -> None:
        self.phase_name = ""
        self.precise = False  # the phase last acted on is fine work (closing on a part, aligning)
        self.target: np.ndarray | None = None
        self.bias = np.zeros(3)
        self.noise = np.zeros(3)
        self.pause = 0
        self.detour: np.ndarray | None = None
        self.delayed: list[np.ndarray] = []
        self.steps = 0
        self.recent_targets: list[np.ndarray] = []
        self.play_left = 0
        self.watching = False
        self.miss = (self.style.miss_m * (1 if self.rng.random() < 0.5 else -1)
                     if self.style.miss_prob and self.rng.random() < self.style.miss_prob else None)
        self.reset_task()

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> np.ndarray:
        p = info["privileged"]
        ee = np.append(p["ee_pos"], p["ee_yaw"])
        if self.target is None:
            self.target = ee.copy()
        played = self._play(p)
        if played is not None:
            self.steps += 1
            return self._delay(played)
        phase = self.plan(info)
        self.precise = phase.precise
        if phase.name != self.phase_name:
            self.phase_name = phase.name
            self.detour = self._maybe_detour(phase)
        goal = phase.goal if self.detour is None else self.detour
        if self.detour is not None and np.linalg.norm(self.target[:3] - self.detour[:3]) < 0.01:
            self.detour = None
        speed = phase.speed_m_s or self.speed_m_s
        near = self.config.people_slow_near_m
        if near and self.detour is None and np.linalg.norm(goal[:3] - self.target[:3]) < near:
            speed = min(speed, self.config.people_homing_speed_m_s)  # homing in on the goal (a detour is passed by)
        self._advance(goal, phase.precise, speed)
        measured = np.asarray(p["ee_pos"])
        # Sag correction: only while the target rests, so a moving target's lag is not mistaken for
        # sag, and (for a late operator) once the commands still in the delay line have caught up.
        self.recent_targets = [*self.recent_targets, self.target[:3].copy()][-(self.style.reaction_delay_steps + 1):]
        caught_up = np.linalg.norm(self.recent_targets[0] - self.target[:3]) < 1e-3
        if np.linalg.norm(goal[:3] - self.target[:3]) < 1e-4 and caught_up:
            self.bias = np.clip(self.bias + self.sag_gain * (self.target[:3] - measured), -0.03, 0.03)
        command = self.target.copy()
        command[:3] += self.bias + self._hand_noise() * (PRECISE_NOISE_SCALE if phase.precise else 1.0)
        action = self._to_action(command, phase.gripper, p)
        self.steps += 1
        return self._delay(action)

    def _play(self, privileged: dict[str, Any]) -> np.ndarray | None:
        """One step of a wander-off segment, or None when the operator is on task."""
        if not self.play_left:
            if not self.style.play_prob or self.precise or self.rng.random() >= self.style.play_prob:
                return None
            self.play_left = int(self.rng.integers(*self.style.play_steps))
            kind = self.rng.random()
            direction = np.zeros(4)
            if kind < 0.8:
                axes = self.rng.choice(3, size=int(self.rng.integers(1, 3)), replace=False)
                direction[axes] = self.rng.choice([-1.0, 1.0], size=len(axes))
            elif kind < 0.9:
                direction[3] = self.rng.choice([-1.0, 1.0])
            holding = float(privileged["joints"][-1]) < HOLDING_BELOW
            self.play_dir = direction
            self.play_gripper = (GRIPPER_CLOSED if self.rng.random() < 0.5 else GRIPPER_OPEN) if kind >= 0.9 and not holding \
                else (GRIPPER_CLOSED if holding else GRIPPER_OPEN)
        self.play_left -= 1
        step = self.speed_m_s * self.style.speed_scale / self.fps
        move = self.play_dir[:3] / max(np.linalg.norm(self.play_dir[:3]), 1.0) * step
        ws = self.config.workspace
        self.target[:3] = np.clip(self.target[:3] + move, ws[::2], ws[1::2])
        self.target[3] = float(wrap_angle(self.target[3] + self.play_dir[3] * self.yaw_speed * self.style.speed_scale / self.fps))
        return self._to_action(self.target.copy(), self.play_gripper, privileged)

    def _advance(self, goal: np.ndarray, precise: bool, speed_m_s: float) -> None:
        if self.pause > 0:
            self.pause -= 1
            return
        if self.style.pause_prob and self.rng.random() < self.style.pause_prob:
            self.pause = int(self.rng.integers(*self.style.pause_steps))
            return
        step = speed_m_s * self.style.speed_scale / self.fps
        yaw_step = self.yaw_speed * self.style.speed_scale / self.fps
        delta = goal[:3] - self.target[:3]
        dist = np.linalg.norm(delta)
        limit = max(step, dist) if precise else step
        if dist > limit:
            delta *= limit / dist
        self.target[:3] += delta
        dyaw = float(wrap_angle(goal[3] - self.target[3]))
        self.target[3] = float(wrap_angle(self.target[3] + np.clip(dyaw, -yaw_step, yaw_step)))

    def _maybe_detour(self, phase: Phase) -> np.ndarray | None:
        if not self.style.detour_prob or self.rng.random() >= self.style.detour_prob or phase.precise:
            return None
        if np.linalg.norm(phase.goal[:3] - self.target[:3]) < 0.05:
            return None
        mid = (phase.goal + self.target) / 2
        mid[:3] += self.rng.normal(0, self.style.detour_m, 3) * np.array([1, 1, 0.5])
        mid[2] = max(mid[2], phase.goal[2])
        return mid

    def _hand_noise(self) -> np.ndarray:
        if not self.style.noise_m:
            return np.zeros(3)
        a = 1.0 / self.style.noise_tau_steps
        self.noise = (1 - a) * self.noise + np.sqrt(2 * a) * self.rng.normal(0, self.style.noise_m, 3)
        return self.noise

    def _delay(self, action: np.ndarray) -> np.ndarray:
        k = self.style.reaction_delay_steps
        if k <= 0:
            return action
        self.delayed.append(action)
        if len(self.delayed) > k:
            return self.delayed.pop(0)
        if self.ik is None:  # end-effector steps: hold still while the delay line fills, not repeat the first step
            return np.append(np.zeros(4), self.delayed[0][4]).astype(np.float32)
        return self.delayed[0]

    def _to_action(self, command: np.ndarray, gripper: float, privileged: dict[str, Any]) -> np.ndarray:
        if self.ik is not None:
            q, _, _ = self.ik.solve(privileged["joint_targets"], command[:3], command[3])
            return np.append(q, gripper).astype(np.float32)
        # Steps still in the delay line will move the target before this one lands: a step taken
        # from the current target alone would repeat them, and a late operator would overshoot.
        pending = sum((a[:4] for a in self.delayed), np.zeros(4))
        delta = command - np.asarray(privileged["ee_target"]) - pending
        delta[3] = wrap_angle(delta[3])
        low, high = self.env.action_space.low, self.env.action_space.high
        return np.clip(np.append(delta, gripper), low, high).astype(np.float32)


def grasp_yaw(object_yaw: float, current_yaw: float, symmetry: float = np.pi / 2) -> float:
    """The object's yaw plus a multiple of its symmetry angle, closest to where the gripper is."""
    k = np.round((current_yaw - object_yaw) / symmetry)
    return float(wrap_angle(object_yaw + k * symmetry))
