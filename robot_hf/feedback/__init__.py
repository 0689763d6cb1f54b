"""Learning from human feedback: frame labels, intervention learners (HG-DAgger, Sirius), RLIF rewards,
and preference pairs from interventions."""
