"""Virtual motors behind a pseudo-terminal, answering the real Feetech and Dynamixel byte protocols.

Drivers, calibration, leader-follower teleoperation and the record loop run against it on real bytes:

    emu = BusEmulator("feetech", {1: "sts3215", 2: "sts3215"}).start()
    bus = MotorBus(emu.port, {...})      # any serial client works: emu.port is a tty path

Goal positions move the present position at a bounded speed while torque is on; with torque off a
test (or a simulated person) moves joints with `set_position`. Faults can be injected per motor:
corrupted checksums, truncated replies, no reply, an overload status.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Self

from hardware.motors import dynamixel, feetech
from hardware.motors.tables import MODELS


@dataclass
class VirtualMotor:
    id: int
    model: str
    registers: bytearray = field(default_factory=lambda: bytearray(256))
    speed_ticks_s: float = 6000.0

    def __post_init__(self):
        self.protocol, number, self.table, self.ticks = MODELS[self.model]
        self.set("Model_Number", number)
        self.set("ID", self.id)
        self.set("Goal_Position", self.ticks // 2)
        self.set("Max_Position_Limit", self.ticks - 1)
        # Where the shaft really is; registers report it shifted by the homing offset, as the motors do
        # (Feetech: present = physical - offset; Dynamixel: present = physical + offset).
        self.physical = float(self.ticks // 2)
        self._t = time.monotonic()
        self.refresh()

    def _offset(self) -> int:
        offset = self.get("Homing_Offset")
        return offset if self.protocol == "feetech" else -offset

    def refresh(self) -> None:
        self.set("Present_Position", int(round(self.physical)) - self._offset())

    def _codec(self, name: str):
        reg = self.table[name]
        if self.protocol == "feetech":
            return reg, (lambda v: feetech.encode_value(v, reg.size, reg.sign_bit)), (lambda b: feetech.decode_value(b, reg.sign_bit))
        return reg, (lambda v: dynamixel.encode_value(v, reg.size, reg.signed)), (lambda b: dynamixel.decode_value(b, reg.signed))

    def get(self, name: str) -> int:
        reg, _, decode = self._codec(name)
        return decode(bytes(self.registers[reg.address: reg.address + reg.size]))

    def set(self, name: str, value: int) -> None:
        reg, encode, _ = self._codec(name)
        self.registers[reg.address: reg.address + reg.size] = encode(int(value))

    def advance(self) -> None:
        """Move toward the goal for the time elapsed since the last request (torque on only)."""
        now = time.monotonic()
        dt, self._t = now - self._t, now
        velocity = 0
        if self.get("Torque_Enable"):
            goal = self.get("Goal_Position") + self._offset()
            step = self.speed_ticks_s * dt
            old = self.physical
            self.physical = goal if abs(goal - old) <= step else old + (step if goal > old else -step)
            velocity = int((self.physical - old) / dt) if dt > 0 else 0
        self.set("Present_Velocity", max(-32767, min(32767, velocity)))
        self.refresh()


class BusEmulator:
    def __init__(self, protocol: str, motors: dict[int, str]):
        if protocol not in ("feetech", "dynamixel"):
            raise ValueError("protocol must be 'feetech' or 'dynamixel'")
        self.protocol = protocol
        self.proto = feetech if protocol == "feetech" else dynamixel
        self.motors = {i: VirtualMotor(i, model) for i, model in motors.items()}
        # fault name -> motor id -> remaining count (-1: forever)
        self.faults: dict[str, dict[int, int]] = defaultdict(dict)
        # Faults of the line itself: "echo" (the adapter sends every request back) or "babble" (a device keeps sending).
        self.line_fault: str | None = None
        self.requests = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.port = ""

    # ---- control ------------------------------------------------------------------------------------------
    def start(self) -> BusEmulator:
        self._master, slave = os.openpty()
        import termios
        import tty

        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.port = os.ttyname(slave)
        self._slave = slave
        self._thread = threading.Thread(target=self._serve, name=f"{self.protocol}-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in (getattr(self, "_master", None), getattr(self, "_slave", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def inject(self, fault: str, motor_id: int, count: int = 1) -> None:
        """fault: "corrupt", "truncate", "no_reply" (for `count` replies, -1 for always) or "overload"."""
        if fault not in ("corrupt", "truncate", "no_reply", "overload"):
            raise ValueError(f"unknown fault {fault!r}")
        self.faults[fault][motor_id] = count

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_position(self, motor_id: int, ticks: float) -> None:
        """Move a joint by hand (a person moving a leader arm, or a test), in raw shaft ticks."""
        m = self.motors[motor_id]
        m.physical = float(ticks)
        m.refresh()

    def position(self, motor_id: int) -> float:
        """Where the shaft is, in raw ticks (before any homing offset)."""
        return self.motors[motor_id].physical

    # ---- the serving loop ------------------------------------------------------------------------------
    def _serve(self) -> None:
        import select

        buf = b""
        while not self._stop.is_set():
            babbling = self.line_fault == "babble"
            ready, _, _ = select.select([self._master], [], [], 0.001 if babbling else 0.05)
            if babbling:  # well-formed status packets from a device no one asked (id 250), without end
                os.write(self._master, self.proto.status_packet(250, 0, b"\x00\x00") * 8)
            if not ready:
                continue
            try:
                buf += os.read(self._master, 4096)
            except OSError:
                return
            while True:
                packet, buf = self._take_packet(buf)
                if packet is None:
                    break
                self.requests += 1
                if self.line_fault == "echo":
                    os.write(self._master, packet)
                for reply in self._handle(packet):
                    os.write(self._master, reply)

    def _take_packet(self, buf: bytes) -> tuple[bytes | None, bytes]:
        header = self.proto.HEADER
        start = buf.find(header)
        if start < 0:
            return None, buf[-(len(header) - 1):] if len(buf) >= len(header) else buf
        buf = buf[start:]
        if self.protocol == "feetech":
            if len(buf) < 4:
                return None, buf
            total = 4 + buf[3]
        else:
            if len(buf) < 7:
                return None, buf
            total = 7 + (buf[5] | (buf[6] << 8))
        if len(buf) < total:
            return None, buf
        return buf[:total], buf[total:]

    def _fault(self, name: str, motor_id: int) -> bool:
        left = self.faults.get(name, {}).get(motor_id)
        if left is None or left == 0:
            return False
        if left > 0:
            self.faults[name][motor_id] = left - 1
        return True

    def _status(self, motor_id: int, params: bytes = b"") -> bytes:
        error = 0
        if self.faults.get("overload", {}).get(motor_id):
            error = 0x20 if self.protocol == "feetech" else dynamixel.ALERT_BIT
            if self.protocol == "dynamixel":
                self.motors[motor_id].set("Hardware_Error_Status", 0x20)
        packet = self.proto.status_packet(motor_id, error, params)
        if self._fault("no_reply", motor_id):
            return b""
        if self._fault("corrupt", motor_id):
            packet = packet[:-1] + bytes([packet[-1] ^ 0x5A])
        if self._fault("truncate", motor_id):
            packet = packet[: len(packet) // 2]
        return packet

    def _handle(self, packet: bytes) -> list[bytes]:
        try:
            motor_id, inst, params = self.proto.parse_packet(packet)
        except ValueError:
            return []  # a real motor ignores a packet it cannot parse
        for m in self.motors.values():
            m.advance()
        wide = self.protocol == "dynamixel"
        addr_of = (lambda p, i: p[i] | (p[i + 1] << 8)) if wide else (lambda p, i: p[i])
        step = 2 if wide else 1
        if inst == self.proto.SYNC_WRITE:
            addr, size = addr_of(params, 0), addr_of(params, step)
            body = params[2 * step:]
            for i in range(0, len(body), size + 1):
                m = self.motors.get(body[i])
                if m is not None:
                    m.registers[addr: addr + size] = body[i + 1: i + 1 + size]
                    m.refresh()
            return []
        if inst == self.proto.SYNC_READ:
            addr, size = addr_of(params, 0), addr_of(params, step)
            return [self._status(i, bytes(self.motors[i].registers[addr: addr + size])) for i in params[2 * step:] if i in self.motors]
        if motor_id == self.proto.BROADCAST_ID and inst == self.proto.PING:
            return [self._status(i, bytes(m.registers[0:2]) + b"\x2e" if wide else b"") for i, m in self.motors.items()]
        m = self.motors.get(motor_id)
        if m is None:
            return []
        if inst == self.proto.PING:
            extra = m.registers[0:2] + b"\x2e" if wide else b""
            return [self._status(motor_id, bytes(extra))]
        if inst == self.proto.READ:
            addr, size = addr_of(params, 0), addr_of(params, step)
            return [self._status(motor_id, bytes(m.registers[addr: addr + size]))]
        if inst == self.proto.WRITE:
            addr = addr_of(params, 0)
            data = params[step:]
            m.registers[addr: addr + len(data)] = data
            m.refresh()
            reply = self._status(motor_id)
            new_id = m.get("ID")
            if new_id != motor_id:  # a new id takes effect once the write is acknowledged
                self.motors.pop(motor_id)
                m.id = new_id
                self.motors[new_id] = m
            return [reply]
        return [self._status(motor_id)]
