"""Dynamixel Protocol 2.0 packets (XL330/XL430 on the Koch arms).

Instruction: FF FF FD 00 ID LEN_L LEN_H INST PARAMS... CRC_L CRC_H, with LEN = len(PARAMS) + 3.
Status: same header, INST = 0x55, then ERR and PARAMS. CRC-16 with polynomial 0x8005, initial 0,
over everything before it. Any FF FF FD inside the payload is stuffed to FF FF FD FD.
"""

from __future__ import annotations

PING, READ, WRITE, SYNC_READ, SYNC_WRITE, STATUS = 0x01, 0x02, 0x03, 0x82, 0x83, 0x55
BROADCAST_ID = 0xFE
HEADER = b"\xff\xff\xfd\x00"

PACKET_ERRORS = {1: "result fail", 2: "instruction error", 3: "CRC error", 4: "data range error",
                 5: "data length error", 6: "data limit error", 7: "access error"}
ALERT_BIT = 0x80
# Hardware_Error_Status (register 70) bits, read when the alert bit is set.
HARDWARE_ERRORS = {0x01: "input voltage error", 0x04: "overheating", 0x08: "motor encoder error",
                   0x10: "electrical shock", 0x20: "overload"}


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _table()


def crc16(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = ((crc << 8) ^ _CRC_TABLE[((crc >> 8) ^ b) & 0xFF]) & 0xFFFF
    return crc


def stuff(payload: bytes) -> bytes:
    return payload.replace(b"\xff\xff\xfd", b"\xff\xff\xfd\xfd")


def unstuff(payload: bytes) -> bytes:
    return payload.replace(b"\xff\xff\xfd\xfd", b"\xff\xff\xfd")


def _packet(motor_id: int, instruction: int, params: bytes) -> bytes:
    payload = stuff(bytes([instruction]) + bytes(params))
    length = len(payload) + 2
    head = HEADER + bytes([motor_id, length & 0xFF, length >> 8])
    crc = crc16(head + payload)
    return head + payload + bytes([crc & 0xFF, crc >> 8])


def instruction_packet(motor_id: int, instruction: int, params: bytes = b"") -> bytes:
    return _packet(motor_id, instruction, params)


def status_packet(motor_id: int, error: int, params: bytes = b"") -> bytes:
    return _packet(motor_id, STATUS, bytes([error]) + bytes(params))


def parse_packet(data: bytes) -> tuple[int, int, bytes]:
    """(id, instruction, params) of one complete packet (for a status: params start with ERR)."""
    if len(data) < 10 or data[:4] != HEADER:
        raise ValueError(f"not a Dynamixel 2.0 packet: {data.hex(' ')}")
    length = data[5] | (data[6] << 8)
    if len(data) != 7 + length:
        raise ValueError(f"packet length {len(data)} does not match its length field {length}: {data.hex(' ')}")
    crc = data[-2] | (data[-1] << 8)
    if crc16(data[:-2]) != crc:
        raise ValueError(f"CRC 0x{crc:04x} != 0x{crc16(data[:-2]):04x}: {data.hex(' ')}")
    payload = unstuff(bytes(data[7:-2]))
    return data[4], payload[0], payload[1:]


def decode_errors(error: int) -> list[str]:
    out = []
    if error & 0x7F:
        out.append(PACKET_ERRORS.get(error & 0x7F, f"error {error & 0x7F}"))
    if error & ALERT_BIT:
        out.append("hardware alert")
    return out


def decode_hardware(bits: int) -> list[str]:
    return [name for bit, name in HARDWARE_ERRORS.items() if bits & bit]


def encode_value(value: int, size: int, signed: bool = False) -> bytes:
    try:
        return int(value).to_bytes(size, "little", signed=signed)
    except OverflowError:
        raise OverflowError(f"{value} does not fit {size} {'signed' if signed else 'unsigned'} byte(s)") from None


def decode_value(data: bytes, signed: bool = False) -> int:
    return int.from_bytes(data, "little", signed=signed)
