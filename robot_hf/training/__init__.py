"""Training policies: the workspace that owns the loop, checkpoints, EMA, logging and evaluation."""
