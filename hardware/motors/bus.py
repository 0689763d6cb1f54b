"""A motor bus: ping, read/write and sync read/write of named registers, with bounded retries.

Errors are exceptions naming the motor: NoReplyError, CorruptPacketError, MotorStatusError.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hardware.motors import dynamixel, feetech
from hardware.motors.errors import CorruptPacketError, EchoError, MotorBusError, MotorStatusError, NoReplyError
from hardware.motors.tables import MODELS, Register

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Motor:
    id: int
    model: str

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"unknown motor model {self.model!r}; known: {sorted(MODELS)}")


class MotorBus:
    """One serial line of motors of one protocol ("feetech" or "dynamixel")."""

    def __init__(self, port: str, motors: Mapping[str, Motor], baudrate: int = 1_000_000, timeout_s: float = 0.05,
                 retries: int = 3, serial_factory=None):
        protocols = {MODELS[m.model][0] for m in motors.values()}
        if len(protocols) > 1:
            raise ValueError(f"one bus speaks one protocol; motors mix {sorted(protocols)}")
        self.protocol_name = protocols.pop() if protocols else "feetech"
        self.proto = feetech if self.protocol_name == "feetech" else dynamixel
        self.port, self.motors, self.baudrate = port, dict(motors), baudrate
        self.timeout_s, self.retries = timeout_s, retries
        self._serial_factory = serial_factory
        self.serial = None

    # ---- connection -------------------------------------------------------------------------------
    def connect(self) -> None:
        if self.serial is not None:
            return
        if self._serial_factory is not None:
            self.serial = self._serial_factory(self.port, self.baudrate)
        else:
            import serial

            try:
                self.serial = serial.Serial(self.port, self.baudrate, timeout=self.timeout_s)
            except serial.SerialException as e:
                raise ConnectionError(f"cannot open motor bus {self.port}: {e}; check the cable and `robot-hf find-devices`") from e

    def close(self) -> None:
        if self.serial is not None:
            self.serial.close()
            self.serial = None

    def set_baudrate(self, baudrate: int) -> None:
        self.baudrate = baudrate
        if self.serial is not None:
            self.serial.baudrate = baudrate

    # ---- lookups ------------------------------------------------------------------------------------
    def _motor(self, motor: str | int) -> tuple[str, Motor]:
        if isinstance(motor, int):
            for name, m in self.motors.items():
                if m.id == motor:
                    return name, m
            return f"id {motor}", Motor(motor, next(iter(self.motors.values())).model if self.motors else "sts3215")
        if motor not in self.motors:
            raise KeyError(f"no motor named {motor!r} on {self.port}; motors: {sorted(self.motors)}")
        return motor, self.motors[motor]

    def _register(self, model: str, name: str) -> Register:
        table = MODELS[model][2]
        if name not in table:
            raise KeyError(f"{model} has no register {name!r}")
        return table[name]

    def _encode(self, reg: Register, value: int) -> bytes:
        if self.protocol_name == "feetech":
            return feetech.encode_value(int(value), reg.size, reg.sign_bit)
        return dynamixel.encode_value(int(value), reg.size, reg.signed)

    def _decode(self, reg: Register, data: bytes) -> int:
        if self.protocol_name == "feetech":
            return feetech.decode_value(data, reg.sign_bit)
        return dynamixel.decode_value(data, reg.signed)

    def _addr(self, address: int) -> bytes:
        return bytes([address]) if self.protocol_name == "feetech" else address.to_bytes(2, "little")

    # ---- the wire ------------------------------------------------------------------------------------
    def _read_packet(self, motor_id: int, request: bytes | None = None) -> tuple[int, int, bytes]:
        """One status packet: (id, error byte, params). The request's own bytes coming back are an echoing adapter."""
        header = self.proto.HEADER
        deadline = time.monotonic() + self.timeout_s
        buf = b""
        while len(buf) < len(header) or buf[-len(header):] != header:
            chunk = self.serial.read(1)
            if not chunk:
                raise NoReplyError(f"motor {motor_id} on {self.port} did not reply within {1e3 * self.timeout_s:.0f} ms", motor_id)
            buf += chunk
            if time.monotonic() > deadline + self.timeout_s:
                raise NoReplyError(f"motor {motor_id} on {self.port}: no packet header in the reply", motor_id)
        if self.protocol_name == "feetech":
            head = self.serial.read(2)
            if len(head) < 2:
                raise CorruptPacketError(f"motor {motor_id}: reply cut short after its header", motor_id)
            rest = self.serial.read(head[1])
            if len(rest) < head[1]:
                raise CorruptPacketError(f"motor {motor_id}: reply cut short ({len(rest)} of {head[1]} bytes)", motor_id)
            packet = header + head + rest
        else:
            head = self.serial.read(3)
            if len(head) < 3:
                raise CorruptPacketError(f"motor {motor_id}: reply cut short after its header", motor_id)
            length = head[1] | (head[2] << 8)
            rest = self.serial.read(length)
            if len(rest) < length:
                raise CorruptPacketError(f"motor {motor_id}: reply cut short ({len(rest)} of {length} bytes)", motor_id)
            packet = header + head + rest
        if packet == request:
            raise EchoError(f"the adapter on {self.port} echoes every request back: use a half-duplex adapter "
                            "with echo cancellation (the boards Feetech and ROBOTIS sell), or another port", motor_id)
        try:
            pid, inst, params = self.proto.parse_packet(packet)
        except ValueError as e:
            raise CorruptPacketError(f"motor {motor_id}: {e}", motor_id) from None
        if self.protocol_name == "dynamixel":
            if inst != dynamixel.STATUS or not params:
                raise CorruptPacketError(f"motor {motor_id}: expected a status packet, got instruction 0x{inst:02x}", motor_id)
            return pid, params[0], params[1:]
        return pid, inst, params

    def _check_status(self, motor_id: int, error: int) -> None:
        if not error:
            return
        if self.protocol_name == "feetech":
            raise MotorStatusError(motor_id, feetech.decode_errors(error), error)
        errors = dynamixel.decode_errors(error)
        if error & dynamixel.ALERT_BIT:
            try:
                bits = self._transact_read(motor_id, self._register(self._model_of(motor_id), "Hardware_Error_Status"), check=False)
                errors = [e for e in errors if e != "hardware alert"] + (dynamixel.decode_hardware(bits) or ["hardware alert"])
            except MotorBusError:
                pass
        raise MotorStatusError(motor_id, errors, error)

    def _model_of(self, motor_id: int) -> str:
        return self._motor(motor_id)[1].model

    def _exchange(self, packet: bytes, reply_ids: list[int]) -> list[tuple[int, int, bytes]]:
        """Send a packet and read one reply per id, retrying the whole exchange on lost or bad bytes."""
        if self.serial is None:
            raise ConnectionError(f"motor bus {self.port} is not connected; call connect() first")
        last: MotorBusError | None = None
        for attempt in range(1 + self.retries):
            try:
                self.serial.reset_input_buffer()
                self.serial.write(packet)
                # The whole exchange has a deadline: a line that keeps sending (a babbling adapter, another device's
                # bytes) must not hold the control loop forever.
                deadline = time.monotonic() + self.timeout_s * (2 + len(reply_ids))
                replies = []
                for k, mid in enumerate(reply_ids):
                    while True:
                        pid, error, params = self._read_packet(mid, request=packet)
                        if pid == mid:
                            break
                        if pid in reply_ids[k + 1:]:
                            raise NoReplyError(f"motor {mid} on {self.port} did not reply (motor {pid} answered in its turn)", mid)
                        if time.monotonic() > deadline:
                            raise NoReplyError(f"motor {mid} on {self.port}: the line keeps sending packets that answer no "
                                               "request (another device on the bus, or a faulty adapter)", mid)
                        # a late reply to an earlier request: drop it and read on
                    replies.append((pid, error, params))
                return replies
            except (NoReplyError, CorruptPacketError) as e:
                last = e
                log.debug("%s (attempt %d of %d)", e, attempt + 1, 1 + self.retries)
                time.sleep(self.timeout_s)  # let stragglers arrive, then the next attempt flushes them
        assert last is not None
        raise type(last)(f"{last} (after {1 + self.retries} attempts)", last.motor_id)

    def _transact_read(self, motor_id: int, reg: Register, check: bool = True) -> int:
        packet = self.proto.instruction_packet(motor_id, self.proto.READ, self._addr(reg.address) + self._size(reg.size))
        (_, error, params), = self._exchange(packet, [motor_id])
        if check:
            self._check_status(motor_id, error)
        if len(params) != reg.size:
            raise CorruptPacketError(f"motor {motor_id}: read {len(params)} bytes, expected {reg.size}", motor_id)
        return self._decode(reg, params)

    def _size(self, n: int) -> bytes:
        return bytes([n]) if self.protocol_name == "feetech" else n.to_bytes(2, "little")

    # ---- public API ---------------------------------------------------------------------------------
    def ping(self, motor: str | int) -> int:
        """The motor's model number."""
        _, m = self._motor(motor)
        (_, error, params), = self._exchange(self.proto.instruction_packet(m.id, self.proto.PING), [m.id])
        self._check_status(m.id, error)
        if self.protocol_name == "dynamixel":
            return params[0] | (params[1] << 8)
        return self._transact_read(m.id, self._register(m.model, "Model_Number"))

    def find_single(self) -> tuple[int, int] | None:
        """(id, model number) of the only motor on the line, from a broadcast ping; None when none answers."""
        if self.serial is None:
            raise ConnectionError(f"motor bus {self.port} is not connected; call connect() first")
        self.serial.reset_input_buffer()
        self.serial.write(self.proto.instruction_packet(self.proto.BROADCAST_ID, self.proto.PING))
        try:
            motor_id, _, params = self._read_packet(self.proto.BROADCAST_ID)
        except MotorBusError:
            return None
        if self.protocol_name == "dynamixel" and len(params) >= 2:
            return motor_id, params[0] | (params[1] << 8)
        model = next(iter(self.motors.values())).model if self.motors else "sts3215"
        return motor_id, self._transact_read(motor_id, self._register(model, "Model_Number"))

    def find_missing(self) -> dict[str, str]:
        """Motors that do not answer a ping, or answer as another model: {name: what is wrong}."""
        problems = {}
        for name, m in self.motors.items():
            expected = MODELS[m.model][1]
            try:
                got = self.ping(name)
                if got != expected:
                    problems[name] = f"id {m.id} is a model {got}, expected {m.model} ({expected})"
            except MotorBusError as e:
                problems[name] = str(e)
        return problems

    def read(self, register: str, motor: str | int) -> int:
        _, m = self._motor(motor)
        return self._transact_read(m.id, self._register(m.model, register))

    def write(self, register: str, motor: str | int, value: int) -> None:
        _, m = self._motor(motor)
        reg = self._register(m.model, register)
        try:
            data = self._encode(reg, value)
        except OverflowError as e:
            raise ValueError(f"{register} of motor {m.id}: {e}") from None
        packet = self.proto.instruction_packet(m.id, self.proto.WRITE, self._addr(reg.address) + data)
        (_, error, _), = self._exchange(packet, [m.id])
        self._check_status(m.id, error)

    def sync_read(self, register: str, motors: Iterable[str] | None = None) -> dict[str, int]:
        names = list(self.motors if motors is None else motors)
        ms = [self._motor(n)[1] for n in names]
        reg = self._register(ms[0].model, register)
        ids = [m.id for m in ms]
        params = self._addr(reg.address) + self._size(reg.size) + bytes(ids)
        replies = self._exchange(self.proto.instruction_packet(self.proto.BROADCAST_ID, self.proto.SYNC_READ, params), ids)
        out = {}
        for name, (mid, error, data) in zip(names, replies, strict=True):
            self._check_status(mid, error)
            if len(data) != reg.size:
                raise CorruptPacketError(f"motor {mid}: sync read returned {len(data)} bytes, expected {reg.size}", mid)
            out[name] = self._decode(reg, data)
        return out

    def sync_write(self, register: str, values: Mapping[str, int]) -> None:
        """One packet for every motor; no replies (broadcast)."""
        if self.serial is None:
            raise ConnectionError(f"motor bus {self.port} is not connected; call connect() first")
        first = self._motor(next(iter(values)))[1]
        reg = self._register(first.model, register)
        body = b""
        for name, value in values.items():
            _, m = self._motor(name)
            try:
                body += bytes([m.id]) + self._encode(reg, value)
            except OverflowError as e:
                raise ValueError(f"{register} of motor {m.id}: {e}") from None
        params = self._addr(reg.address) + self._size(reg.size) + body
        self.serial.write(self.proto.instruction_packet(self.proto.BROADCAST_ID, self.proto.SYNC_WRITE, params))

    def set_torque(self, enabled: bool, motors: Iterable[str] | None = None) -> None:
        for name in (self.motors if motors is None else motors):
            self.write("Torque_Enable", name, int(enabled))
