"""The record loop: one loop for simulated and real robots."""
