"""Cameras read in background threads, so the control loop only ever takes the latest frame."""
