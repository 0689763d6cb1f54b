"""Rewards learned from preferences between clips: the frames a reward reads, queries, teachers' answers, the
Bradley-Terry fit, evaluation, and the labeling page for a person."""
