"""Rollout sessions: a policy acts, a person (or a simulated one) may take over; everything is recorded."""
