"""Errors a motor bus raises: each names the motor and what went wrong."""

from __future__ import annotations


class MotorBusError(RuntimeError):
    """Communication with a motor failed (after the configured retries)."""

    def __init__(self, message: str, motor_id: int | None = None):
        super().__init__(message)
        self.motor_id = motor_id


class NoReplyError(MotorBusError, TimeoutError):
    """The motor did not answer within the timeout: unpowered, wrong id, wrong baud rate, or unplugged."""


class EchoError(MotorBusError):
    """The serial adapter sends every request back: replies cannot be told from the echo."""


class CorruptPacketError(MotorBusError):
    """A reply failed its checksum/CRC or was cut short."""


class MotorStatusError(MotorBusError):
    """The motor answered with error bits set (overload, overheating, voltage...)."""

    def __init__(self, motor_id: int, errors: list[str], raw: int):
        super().__init__(f"motor {motor_id} reports {', '.join(errors)} (status 0x{raw:02x})", motor_id)
        self.errors = errors
        self.raw = raw


class RegisterRangeError(ValueError):
    """A value does not fit the register it is meant for."""
