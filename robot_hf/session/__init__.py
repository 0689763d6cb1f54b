"""Sessions on a robot: the one episode loop, who acts in it, and what listens to it."""

from robot_hf.session.actors import Decision, PolicyActor, TakeoverActor, TeleoperatorActor
from robot_hf.session.listeners import CorrectionsChannel, TakeoverPreferences
from robot_hf.session.loop import EpisodeLoop, SessionResult, run_session
from robot_hf.session.status import StatusLine

__all__ = [
    "CorrectionsChannel",
    "Decision",
    "EpisodeLoop",
    "PolicyActor",
    "SessionResult",
    "StatusLine",
    "TakeoverActor",
    "TakeoverPreferences",
    "TeleoperatorActor",
    "run_session",
]
