"""Feetech SCS/STS packets (STS3215 on SO-100/SO-101).

Instruction: FF FF ID LEN INST PARAMS... CHK, with LEN = len(PARAMS) + 2 and
CHK = ~(ID + LEN + INST + sum(PARAMS)) & 0xFF. Status: FF FF ID LEN ERR PARAMS... CHK.
STS registers are little-endian; a few are sign-magnitude (the sign in a high bit).
"""

from __future__ import annotations

PING, READ, WRITE, REG_WRITE, ACTION, SYNC_READ, SYNC_WRITE = 0x01, 0x02, 0x03, 0x04, 0x05, 0x82, 0x83
BROADCAST_ID = 0xFE
HEADER = b"\xff\xff"

# Status error bits (SCServo SDK).
ERROR_BITS = {0x01: "input voltage error", 0x02: "angle limit error", 0x04: "overheating", 0x08: "overcurrent",
              0x20: "overload"}


def checksum(body: bytes) -> int:
    return (~sum(body)) & 0xFF


def instruction_packet(motor_id: int, instruction: int, params: bytes = b"") -> bytes:
    body = bytes([motor_id, len(params) + 2, instruction]) + bytes(params)
    return HEADER + body + bytes([checksum(body)])


def status_packet(motor_id: int, error: int, params: bytes = b"") -> bytes:
    body = bytes([motor_id, len(params) + 2, error]) + bytes(params)
    return HEADER + body + bytes([checksum(body)])


def status_length(n_params: int) -> int:
    return 6 + n_params


def parse_packet(data: bytes) -> tuple[int, int, bytes]:
    """(id, instruction or error byte, params) of one complete packet; raises ValueError when corrupt."""
    if len(data) < 6 or data[:2] != HEADER:
        raise ValueError(f"not a Feetech packet: {data.hex(' ')}")
    length = data[3]
    if len(data) != length + 4:
        raise ValueError(f"packet length {len(data)} does not match its length byte {length}: {data.hex(' ')}")
    if checksum(data[2:-1]) != data[-1]:
        raise ValueError(f"checksum 0x{data[-1]:02x} != 0x{checksum(data[2:-1]):02x}: {data.hex(' ')}")
    return data[2], data[4], bytes(data[5:-1])


def decode_errors(error: int) -> list[str]:
    return [name for bit, name in ERROR_BITS.items() if error & bit] or ([f"unknown error bits 0x{error:02x}"] if error else [])


def encode_value(value: int, size: int, sign_bit: int | None = None) -> bytes:
    """Little-endian register bytes; sign-magnitude when the register has a sign bit."""
    if sign_bit is not None:
        limit = (1 << sign_bit) - 1
        if abs(value) > limit:
            raise OverflowError(f"{value} does not fit a {sign_bit}-bit magnitude (max +-{limit})")
        value = (abs(value) | (1 << sign_bit)) if value < 0 else value
    elif not 0 <= value < (1 << (8 * size)):
        raise OverflowError(f"{value} does not fit {size} unsigned byte(s)")
    return int(value).to_bytes(size, "little")


def decode_value(data: bytes, sign_bit: int | None = None) -> int:
    value = int.from_bytes(data, "little")
    if sign_bit is not None and value & (1 << sign_bit):
        value = -(value & ((1 << sign_bit) - 1))
    return value
