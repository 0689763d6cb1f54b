"""The simulated SO-101: joint layout, gripper units, state read-out and damped-least-squares IK."""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

ARM_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
# Names of the action/state dimensions, as the real arm's driver names its motors.
JOINT_NAMES = (*ARM_JOINTS, "gripper")
# The real arm's jaw angle range (rad); the sim's parallel fingers open linearly with it.
GRIPPER_RANGE = (-0.17453, 1.74533)
FINGER_MAX_OPEN_M = 0.035
GRIPPER_OPEN = 1.2
GRIPPER_CLOSED = -0.17


def gripper_to_finger(angle: float | np.ndarray) -> np.ndarray:
    """Jaw angle (rad) to the target opening of each finger (m); below 0 it squeezes."""
    return np.asarray(angle) / GRIPPER_RANGE[1] * FINGER_MAX_OPEN_M


def finger_to_gripper(opening: float | np.ndarray) -> np.ndarray:
    return np.asarray(opening) / FINGER_MAX_OPEN_M * GRIPPER_RANGE[1]


# Half a turn about the tool axis: the same grasp for a symmetric gripper.
_FLIP = np.diag([1.0, -1.0, -1.0])


def yaw_of(xmat: np.ndarray) -> float:
    """Yaw of the gripper about the vertical: the angle of its finger axis (tool y) minus 90 deg."""
    y_axis = xmat.reshape(3, 3)[:, 1]
    return float(np.arctan2(y_axis[1], y_axis[0]) - np.pi / 2)


def wrap_angle(a: float | np.ndarray) -> float | np.ndarray:
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def down_rotation(yaw: float) -> np.ndarray:
    """Tool orientation pointing straight down (tool x = -z) with the finger axis at `yaw`."""
    y = np.array([-np.sin(yaw), np.cos(yaw), 0.0])
    x = np.array([0.0, 0.0, -1.0])
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=1)


@dataclass
class ArmIndex:
    """Addresses of the arm's joints, actuators and tool site in a model."""

    qpos: np.ndarray
    qvel: np.ndarray
    finger_qpos: np.ndarray
    finger_qvel: np.ndarray
    arm_actuators: np.ndarray
    finger_actuators: np.ndarray
    ee_site: int
    limits: np.ndarray  # (5, 2)

    @classmethod
    def of(cls, model: mujoco.MjModel) -> ArmIndex:
        joints = [model.joint(n) for n in ARM_JOINTS]
        fingers = [model.joint(n) for n in ("finger_left", "finger_right")]
        return cls(
            qpos=np.array([j.qposadr[0] for j in joints]),
            qvel=np.array([j.dofadr[0] for j in joints]),
            finger_qpos=np.array([j.qposadr[0] for j in fingers]),
            finger_qvel=np.array([j.dofadr[0] for j in fingers]),
            arm_actuators=np.array([model.actuator(n).id for n in ARM_JOINTS]),
            finger_actuators=np.array([model.actuator(n).id for n in ("finger_left", "finger_right")]),
            ee_site=model.site("ee").id,
            limits=np.array([model.jnt_range[j.id] for j in joints]),
        )

    def joint_positions(self, data: mujoco.MjData) -> np.ndarray:
        """(6,) arm joints and the gripper's jaw angle, as the real arm reports them."""
        grip = finger_to_gripper(data.qpos[self.finger_qpos].mean())
        return np.append(data.qpos[self.qpos], grip).astype(np.float32)

    def joint_velocities(self, data: mujoco.MjData) -> np.ndarray:
        grip = finger_to_gripper(data.qvel[self.finger_qvel].mean())
        return np.append(data.qvel[self.qvel], grip).astype(np.float32)

    def command(self, data: mujoco.MjData, joints: np.ndarray, gripper: float) -> None:
        data.ctrl[self.arm_actuators] = np.clip(joints, self.limits[:, 0], self.limits[:, 1])
        data.ctrl[self.finger_actuators] = gripper_to_finger(np.clip(gripper, *GRIPPER_RANGE))

    def set_joints(self, data: mujoco.MjData, joints: np.ndarray, gripper: float) -> None:
        """Teleport the arm (for resets), with matching actuator targets."""
        data.qpos[self.qpos] = joints
        data.qvel[self.qvel] = 0
        data.qpos[self.finger_qpos] = np.clip(gripper_to_finger(gripper), 0.0, FINGER_MAX_OPEN_M)
        data.qvel[self.finger_qvel] = 0
        self.command(data, joints, gripper)

    def ee_pose(self, data: mujoco.MjData) -> tuple[np.ndarray, float]:
        return data.site_xpos[self.ee_site].copy(), yaw_of(data.site_xmat[self.ee_site])


class DLSIK:
    """Damped-least-squares IK for the tool site: position plus a pointing-down tool with a yaw.

    Five joints against six task dimensions: the damped pseudo-inverse trades the residual, weighted
    towards position. Runs on its own MjData, so the simulation is never disturbed.
    """

    def __init__(self, model: mujoco.MjModel, damping: float = 0.02, rot_weight: float = 0.15,
                 max_iters: int = 60, tol_m: float = 5e-4, tol_rad: float = 0.01):
        self.model = model
        self.data = mujoco.MjData(model)
        self.index = ArmIndex.of(model)
        self.damping, self.rot_weight = damping, rot_weight
        self.max_iters, self.tol_m, self.tol_rad = max_iters, tol_m, tol_rad
        self._jacp = np.zeros((3, model.nv))
        self._jacr = np.zeros((3, model.nv))

    def forward(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.data.qpos[self.index.qpos] = q
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)
        site = self.index.ee_site
        return self.data.site_xpos[site].copy(), self.data.site_xmat[site].reshape(3, 3).copy()

    def solve(self, q_init: np.ndarray, target_pos: np.ndarray, target_yaw: float) -> tuple[np.ndarray, float, float]:
        """Joint angles reaching the target; returns (q, position error m, orientation error rad).

        Iterates from `q_init` (smooth for teleoperation); when that lands in a poor local solution
        (a joint pinned at its limit), restarts from the planar closed-form guess.
        """
        best = self._iterate(q_init, target_pos, target_yaw)
        if best[1] > self.tol_m * 4 or best[2] > self.tol_rad * 3:
            second = self._iterate(planar_guess(target_pos, target_yaw), target_pos, target_yaw)
            if second[1] + 0.1 * second[2] < best[1] + 0.1 * best[2]:
                best = second
        return best

    def _iterate(self, q_init: np.ndarray, target_pos: np.ndarray, target_yaw: float) -> tuple[np.ndarray, float, float]:
        q = np.clip(np.asarray(q_init, dtype=np.float64).copy(), self.index.limits[:, 0], self.index.limits[:, 1])
        target_rot = down_rotation(target_yaw)
        cols = self.index.qvel
        pos_err = rot_err = np.inf
        for _ in range(self.max_iters):
            pos, rot = self.forward(q)
            e_pos = target_pos - pos
            # The gripper is symmetric: aim at yaw or yaw + pi, whichever is the smaller turn.
            goal = target_rot if np.trace(rot.T @ target_rot) >= np.trace(rot.T @ target_rot @ _FLIP) else target_rot @ _FLIP
            e_rot = 0.5 * _column_cross_sum(rot, goal)
            pos_err, rot_err = float(np.linalg.norm(e_pos)), float(np.linalg.norm(e_rot))
            if pos_err < self.tol_m and rot_err < self.tol_rad:
                break
            mujoco.mj_jacSite(self.model, self.data, self._jacp, self._jacr, self.index.ee_site)
            jac = np.vstack([self._jacp[:, cols], self.rot_weight * self._jacr[:, cols]])
            err = np.concatenate([e_pos, self.rot_weight * e_rot])
            dq = jac.T @ np.linalg.solve(jac @ jac.T + self.damping**2 * np.eye(6), err)
            step = np.linalg.norm(dq)
            if step > 0.3:
                dq *= 0.3 / step
            q = np.clip(q + dq, self.index.limits[:, 0], self.index.limits[:, 1])
        return q, pos_err, rot_err


def _column_cross_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_i a[:, i] x b[:, i] for 3x3 matrices, without np.cross's per-call overhead (IK's inner loop)."""
    return np.array([(a[1] * b[2] - a[2] * b[1]).sum(), (a[2] * b[0] - a[0] * b[2]).sum(), (a[0] * b[1] - a[1] * b[0]).sum()])


# The SO-101's planar geometry (m, rad), from the MJCF: lift axis offset and height, link vectors.
_LIFT_OFFSET, _LIFT_HEIGHT = 0.0304, 0.1166
_UPPER = np.array([0.028, 0.1126])
_FORE = np.array([0.1349, 0.0052])
_TOOL = 0.0611 + 0.068


def planar_guess(target_pos: np.ndarray, target_yaw: float) -> np.ndarray:
    """Closed-form joints for a tool pointing down: pan to the target, two-link reach, wrist to vertical."""
    x, y, z = target_pos
    pan = -np.arctan2(y, x)
    u = np.hypot(x, y) - _LIFT_OFFSET
    v = z + _TOOL - _LIFT_HEIGHT
    a, b = np.linalg.norm(_UPPER), np.linalg.norm(_FORE)
    beta1, beta2 = np.arctan2(_UPPER[1], _UPPER[0]), np.arctan2(_FORE[1], _FORE[0])
    dist = np.clip(np.hypot(u, v), abs(a - b) + 1e-6, a + b - 1e-6)
    delta = -np.arccos(np.clip((dist**2 - a**2 - b**2) / (2 * a * b), -1.0, 1.0))
    theta1 = np.arctan2(v, u) - np.arctan2(b * np.sin(delta), a + b * np.cos(delta))
    lift = beta1 - theta1
    elbow = (beta2 - beta1) - delta
    wrist = np.pi / 2 - lift - elbow
    roll = wrap_angle(target_yaw + pan)
    if abs(roll) > np.pi / 2:  # the same grasp half a turn round
        roll = wrap_angle(roll + np.pi)
    return np.array([pan, lift, elbow, wrist, roll])


def end_effector_poses(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward kinematics of the SO-101 twin: (N, 5) arm joint angles -> tool positions (N, 3) and yaws (N,)."""
    from sim.envs.scene import load_model

    model = load_model("so101.xml")
    fk = DLSIK(model)
    joints = np.asarray(joints, dtype=np.float64).reshape(-1, len(ARM_JOINTS))
    pos, yaw = np.zeros((len(joints), 3)), np.zeros(len(joints))
    for i, q in enumerate(joints):
        p, rot = fk.forward(q)
        pos[i], yaw[i] = p, yaw_of(rot)
    return pos, yaw
