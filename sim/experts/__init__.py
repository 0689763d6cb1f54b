"""Scripted experts per task, and the simulated teleoperator built on them."""
