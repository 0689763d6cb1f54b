"""Teleoperation devices: keyboard, gamepad, spacemouse (end-effector deltas) and leader arms (joints)."""
