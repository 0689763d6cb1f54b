"""Which motor drives which joint on each arm. Joint order is the sim twin's and the dataset's."""

from __future__ import annotations

from hardware.motors.bus import Motor

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")

LAYOUTS: dict[tuple[str, str], dict[str, Motor]] = {
    ("so101", "follower"): {j: Motor(i + 1, "sts3215") for i, j in enumerate(JOINTS)},
    ("so101", "leader"): {j: Motor(i + 1, "sts3215") for i, j in enumerate(JOINTS)},
    ("koch", "follower"): {j: Motor(i + 1, "xl430-w250" if i < 2 else "xl330-m288") for i, j in enumerate(JOINTS)},
    ("koch", "leader"): {j: Motor(i + 1, "xl330-m077") for i, j in enumerate(JOINTS)},
}


def layout(arm: str, role: str) -> dict[str, Motor]:
    try:
        return LAYOUTS[(arm, role)]
    except KeyError:
        raise ValueError(f"unknown arm {arm!r} with role {role!r}; known: {sorted(LAYOUTS)}") from None
