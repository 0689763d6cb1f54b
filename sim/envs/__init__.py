"""Gymnasium environments: the SO-101 tabletop tasks and the planar Push-T."""
