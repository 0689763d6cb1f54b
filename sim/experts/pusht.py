"""Push-T expert: choose each push by simulating candidates on a copy of the physics.

A candidate is a contact point on the block's outline, a push direction and a push length; the
pusher travels round the block to the contact (never through it) and pushes. Every candidate is
rolled out on a copy of the simulation from the current state and scored by how far the block's
keypoints end from the goal's; the best plan is executed and re-planned when it runs out or the
block strays from the prediction. The same physics runs both, so plans come true unless an
operator's noise or delays intervene.
"""

from __future__ import annotations

import itertools
from typing import Any

import mujoco
import numpy as np

from sim.envs.coverage import T_RECTS, coverage
from sim.experts.base import OperatorStyle

PUSHER_RADIUS = 0.015
# Keypoints of the T (its own frame): bar ends, junction, stem end.
KEYPOINTS = np.array([[-0.06, 0.0257], [0.06, 0.0257], [0.0, 0.0107], [0.0, -0.0793]])
SAFE_RADIUS = 0.115  # the block's circumradius plus the pusher and a margin
STEP_M = 0.03  # pusher travel per control step


def _rot(th: float) -> np.ndarray:
    c, s = np.cos(th), np.sin(th)
    return np.array([[c, -s], [s, c]])


def keypoint_error(pose: np.ndarray, goal: np.ndarray) -> float:
    a = KEYPOINTS @ _rot(pose[2]).T + pose[:2]
    b = KEYPOINTS @ _rot(goal[2]).T + goal[:2]
    return float(np.mean(np.linalg.norm(a - b, axis=1)))


def _outline_samples() -> list[tuple[np.ndarray, np.ndarray]]:
    """Points on the T's outer outline (own frame) with outward normals."""
    samples = []
    bar, stem = T_RECTS
    bx, by, bhx, bhy = bar
    sx, sy, shx, shy = stem
    for u in np.linspace(-0.9, 0.9, 7):  # bar top
        samples.append((np.array([bx + u * bhx, by + bhy]), np.array([0.0, 1.0])))
    for u in (-0.95, -0.6, 0.6, 0.95):  # bar underside, either side of the stem
        samples.append((np.array([bx + u * bhx, by - bhy]), np.array([0.0, -1.0])))
    for side in (-1, 1):  # bar ends
        samples.append((np.array([bx + side * bhx, by]), np.array([side, 0.0])))
    for u in np.linspace(-0.8, 0.8, 5):  # stem sides
        for side in (-1, 1):
            samples.append((np.array([sx + side * shx, sy + u * shy]), np.array([side, 0.0])))
    for u in (-0.6, 0.0, 0.6):  # stem end
        samples.append((np.array([sx + u * shx, sy - shy]), np.array([0.0, -1.0])))
    return samples


OUTLINE = _outline_samples()


class PushTExpert:
    """Scripted Push-T expert (see the module docstring); the same interface as the arm experts."""

    def __init__(self, env, style: OperatorStyle | None = None, seed: int | None = None, candidates: int = 40):
        self.env = env.unwrapped
        self.style = style or OperatorStyle()
        self.rng = np.random.default_rng(seed)
        self.n_candidates = candidates
        self.sim = mujoco.MjData(self.env.model)
        self.reset()

    def reset(self) -> None:
        self.plan: list[np.ndarray] = []
        self.predicted: list[np.ndarray] = []
        self.pause = 0
        self.noise = np.zeros(2)
        self.delayed: list[np.ndarray] = []

    # ---- planning ---------------------------------------------------------------------------------------
    def _path(self, start: np.ndarray, pre: np.ndarray, push_end: np.ndarray, pose: np.ndarray) -> list[np.ndarray]:
        """Pusher targets: round the block to the pre-contact point, then the push."""
        center = pose[:2]
        points = [start]
        if _segment_hits_block(start, pre, pose):
            a0 = np.arctan2(*(start - center)[::-1])
            a1 = np.arctan2(*(pre - center)[::-1])
            out = center + SAFE_RADIUS * np.array([np.cos(a0), np.sin(a0)])
            points.append(out)
            turn = (a1 - a0 + np.pi) % (2 * np.pi) - np.pi
            for f in np.linspace(0, 1, max(2, int(abs(turn) / 0.5) + 2))[1:]:
                a = a0 + f * turn
                points.append(center + SAFE_RADIUS * np.array([np.cos(a), np.sin(a)]))
        points.append(pre)
        targets = []
        for a, b in itertools.pairwise(points):
            n = max(1, int(np.ceil(np.linalg.norm(b - a) / (STEP_M * self.style.speed_scale))))
            targets += [a + (b - a) * (k / n) for k in range(1, n + 1)]
        # The push itself goes slowly when it is short: a fast push leaves the block sliding on.
        push = np.linalg.norm(push_end - pre)
        n = max(2, int(np.ceil(push / max(0.004, min(STEP_M, push / 4)))))
        targets += [pre + (push_end - pre) * (k / n) for k in range(1, n + 1)]
        return [np.clip(t, -0.24, 0.24) for t in targets]

    def _rollout(self, state: np.ndarray, targets: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        env, sim = self.env, self.sim
        mujoco.mj_setState(env.model, sim, state, mujoco.mjtState.mjSTATE_INTEGRATION)
        poses = []
        for t in targets:
            sim.ctrl[:] = t
            for _ in range(env.n_substeps):
                mujoco.mj_step(env.model, sim)
            poses.append(sim.qpos[env._block].copy())
        return poses[-1], poses

    def _replan(self, pose: np.ndarray, goal: np.ndarray, pusher: np.ndarray) -> None:
        state = np.empty(mujoco.mj_stateSize(self.env.model, mujoco.mjtState.mjSTATE_INTEGRATION))
        mujoco.mj_getState(self.env.model, self.env.data, state, mujoco.mjtState.mjSTATE_INTEGRATION)
        score = _score
        err0 = score(pose, goal)
        near = coverage(pose, goal) > 0.8
        lengths = np.clip(np.array([0.4, 1.0, 2.0]) * keypoint_error(pose, goal), 0.002, 0.06)
        best = (np.inf, [], [])
        n = self.n_candidates * (2 if near else 1)
        picks = self.rng.choice(len(OUTLINE), size=n, replace=True)
        rot = _rot(pose[2])
        for i in picks:
            point, normal = OUTLINE[i]
            direction = -(rot @ _rot(self.rng.uniform(-0.5, 0.5)) @ normal)
            contact = rot @ point + pose[:2]
            pre = contact - direction * (PUSHER_RADIUS + 0.012)
            length = float(self.rng.choice(lengths))
            push_end = contact + direction * (length - PUSHER_RADIUS + 0.002)
            targets = self._path(pusher, pre, push_end, pose)
            final, poses = self._rollout(state, targets)
            final_score = score(final, goal)
            # Time only breaks near-ties: near the goal every tenth of a percent of coverage counts.
            cost = final_score * (1.0 + 0.005 * len(targets))
            if final_score < err0 and cost < best[0]:
                best = (cost, targets, poses)
        if not best[1]:  # nothing helps from here: back off and look again next step
            away = pusher + 0.03 * (pusher - pose[:2]) / max(np.linalg.norm(pusher - pose[:2]), 1e-6)
            self.plan, self.predicted = [np.clip(away, -0.24, 0.24)], []
            return
        self.plan, self.predicted = list(best[1]), list(best[2])

    # ---- acting -------------------------------------------------------------------------------------------
    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> np.ndarray:
        p = info["privileged"]
        pose, goal, pusher = np.asarray(p["block_pose"]), np.asarray(p["goal_pose"]), np.asarray(p["pusher_pos"])
        strayed = self.predicted and keypoint_error(pose, self._expected) > 0.004
        if not self.plan or strayed:
            self._replan(pose, goal, pusher)
        if self.pause > 0:
            self.pause -= 1
            target = pusher.copy()
        else:
            if self.style.pause_prob and self.rng.random() < self.style.pause_prob:
                self.pause = int(self.rng.integers(*self.style.pause_steps))
            target = self.plan.pop(0)
            self._expected = self.predicted.pop(0) if self.predicted else pose
        if self.style.noise_m:
            a = 1.0 / self.style.noise_tau_steps
            self.noise = (1 - a) * self.noise + np.sqrt(2 * a) * self.rng.normal(0, self.style.noise_m, 2)
            target = target + self.noise
        action = np.clip(target, -0.25, 0.25).astype(np.float32)
        k = self.style.reaction_delay_steps
        if k > 0:
            self.delayed.append(action)
            action = self.delayed.pop(0) if len(self.delayed) > k else self.delayed[0]
        return action

    _expected = np.zeros(3)

    # ---- what a person watching a policy asks of the expert (sim/intervener.py), as of the arm experts -------------
    precise = False  # pushing has no fine phase during which the coverage stands still

    def recoverable(self, info: dict[str, Any]) -> bool:
        """The block can always be pushed on; a take-over that gets nowhere is ended by the person's patience."""
        return True

    def imminent_failure(self, info: dict[str, Any]) -> bool:
        """No single moment loses Push-T: a watching person steps in when the coverage stalls or falls."""
        return False


def _score(pose: np.ndarray, goal: np.ndarray) -> float:
    """Keypoint distance far from the goal; near it, the uncovered fraction (what success measures)."""
    err = keypoint_error(pose, goal)
    if err > 0.03:
        return err
    return 0.03 * (1.0 - coverage(pose, goal)) / 0.3 + 0.1 * err


def _segment_hits_block(a: np.ndarray, b: np.ndarray, pose: np.ndarray) -> bool:
    """Would the pusher, moving a -> b, touch the block (inflated by its radius)?"""
    rot = _rot(pose[2])
    for t in np.linspace(0, 1, 12):
        p = rot.T @ (a + t * (b - a) - pose[:2])
        for cx, cy, hx, hy in T_RECTS:
            if abs(p[0] - cx) < hx + PUSHER_RADIUS + 0.004 and abs(p[1] - cy) < hy + PUSHER_RADIUS + 0.004:
                return True
    return False
