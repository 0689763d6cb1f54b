"""robot-hf: robot learning from demonstrations and human feedback."""

__version__ = "0.1.0"
