"""Evaluating policies in simulation: vectorised rollouts, success with confidence intervals, videos."""
