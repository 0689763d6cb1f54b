"""The event vocabulary devices report (the same strings as robot_hf.interfaces; nothing is imported)."""

INTERVENE, SUCCESS, FAILURE, RERECORD, STOP, CORRECTION, ESTOP = (
    "intervene", "success", "failure", "rerecord", "stop", "correction", "estop")

GRIPPER_OPEN, GRIPPER_CLOSED = 1.2, -0.17


class EventQueue:
    """Events since the last poll; a device thread puts, the control loop takes."""

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._events: dict = {}

    def put(self, name: str, value=True) -> None:
        with self._lock:
            self._events[name] = value

    def take(self) -> dict:
        with self._lock:
            events, self._events = self._events, {}
        return events
