import pytest

from hardware.motors import dynamixel, feetech


def test_feetech_packets_and_checksum():
    assert feetech.instruction_packet(1, feetech.PING).hex(" ") == "ff ff 01 02 01 fb"
    # READ Present_Position (56, 2 bytes) of motor 1
    assert feetech.instruction_packet(1, feetech.READ, bytes([56, 2])).hex(" ") == "ff ff 01 04 02 38 02 be"
    status = feetech.status_packet(3, 0x20, b"\x00\x08")
    assert feetech.parse_packet(status) == (3, 0x20, b"\x00\x08")
    with pytest.raises(ValueError, match="checksum"):
        feetech.parse_packet(status[:-1] + bytes([status[-1] ^ 1]))
    assert feetech.decode_errors(0x21) == ["input voltage error", "overload"]


def test_feetech_sign_magnitude_registers():
    assert feetech.encode_value(-5, 2, 11) == bytes([5, 0x08])
    assert feetech.decode_value(bytes([5, 0x08]), 11) == -5
    assert feetech.decode_value(feetech.encode_value(2047, 2, 11), 11) == 2047
    with pytest.raises(OverflowError):
        feetech.encode_value(2048, 2, 11)


def test_dynamixel_packets_crc_and_stuffing():
    # The eManual's PING example for ID 1.
    assert dynamixel.instruction_packet(1, dynamixel.PING).hex(" ") == "ff ff fd 00 01 03 00 01 19 4e"
    assert dynamixel.crc16(bytes.fromhex("ff ff fd 00 01 03 00 01")) == 0x4E19
    # A payload containing the header pattern is stuffed and round-trips.
    params = bytes([116, 0]) + b"\xff\xff\xfd\x00"
    packet = dynamixel.instruction_packet(2, dynamixel.WRITE, params)
    assert b"\xff\xff\xfd\xfd" in packet[7:]
    assert dynamixel.parse_packet(packet) == (2, dynamixel.WRITE, params)
    bad = bytearray(packet)
    bad[-1] ^= 0xFF
    with pytest.raises(ValueError, match="CRC"):
        dynamixel.parse_packet(bytes(bad))
    assert dynamixel.decode_errors(0x81) == ["result fail", "hardware alert"]
    assert dynamixel.decode_hardware(0x24) == ["overheating", "overload"]
