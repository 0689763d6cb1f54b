"""Observation encoders shared by every policy."""
