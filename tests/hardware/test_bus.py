import time

import pytest

from hardware.emulator import BusEmulator
from hardware.motors.bus import Motor, MotorBus
from hardware.motors.errors import CorruptPacketError, MotorStatusError, NoReplyError

MODELS = {"feetech": "sts3215", "dynamixel": "xl430-w250"}


@pytest.fixture(params=["feetech", "dynamixel"])
def bus(request):
    model = MODELS[request.param]
    with BusEmulator(request.param, {1: model, 2: model, 3: model}) as emu:
        b = MotorBus(emu.port, {n: Motor(i, model) for n, i in (("a", 1), ("b", 2), ("c", 3))}, timeout_s=0.02, retries=2)
        b.connect()
        b.emulator = emu
        yield b
        b.close()


def test_ping_read_write_sync(bus):
    assert bus.find_missing() == {}
    assert bus.ping("a") in (777, 1060)
    bus.set_torque(True)
    bus.sync_write("Goal_Position", {"a": 1000, "b": 3000, "c": 2100})
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and bus.sync_read("Present_Position") != {"a": 1000, "b": 3000, "c": 2100}:
        time.sleep(0.02)
    assert bus.sync_read("Present_Position") == {"a": 1000, "b": 3000, "c": 2100}
    bus.set_torque(False)  # as calibration does: a new offset with torque on would move the joint
    bus.write("Homing_Offset", "c", -300 if bus.protocol_name == "feetech" else 300)
    assert bus.read("Homing_Offset", "c") == (-300 if bus.protocol_name == "feetech" else 300)
    assert bus.read("Present_Position", "c") == 2400  # the offset shifts what the motor reports


def test_corrupted_checksum_is_retried(bus):
    bus.emulator.inject("corrupt", 2, count=2)
    assert bus.read("Present_Position", "b") == 2048
    bus.emulator.inject("corrupt", 2, count=-1)
    with pytest.raises(CorruptPacketError, match="motor 2.*after 3 attempts"):
        bus.read("Present_Position", "b")


def test_truncated_reply_then_clear_error(bus):
    bus.emulator.inject("truncate", 1, count=-1)
    # Alone, the cut shows as a short read; in a sync read the next motor's bytes fill in and fail the checksum.
    with pytest.raises(CorruptPacketError, match=r"motor 1\b"):
        bus.sync_read("Present_Position")
    with pytest.raises(CorruptPacketError, match="motor 1: reply cut short"):
        bus.read("Present_Position", "a")
    with pytest.raises(CorruptPacketError):
        bus.sync_read("Present_Position")


def test_no_reply_fails_within_the_retry_budget(bus):
    bus.emulator.inject("no_reply", 3, count=-1)
    t0 = time.monotonic()
    with pytest.raises(NoReplyError, match="motor 3 .* did not reply within 20 ms .*after 3 attempts"):
        bus.read("Present_Position", "c")
    assert time.monotonic() - t0 < 1.0
    assert bus.find_missing().keys() == {"c"}


def test_overload_status_names_the_motor(bus):
    bus.emulator.inject("overload", 2, count=-1)
    with pytest.raises(MotorStatusError, match="motor 2 reports overload") as err:
        bus.sync_read("Present_Position")
    assert err.value.motor_id == 2 and "overload" in err.value.errors


def test_find_single_motor_by_broadcast():
    with BusEmulator("feetech", {7: "sts3215"}) as emu:
        bus = MotorBus(emu.port, {"m": Motor(1, "sts3215")}, timeout_s=0.02)
        bus.connect()
        assert bus.find_single() == (7, 777)
        bus.close()


def test_values_a_register_cannot_hold_are_refused(bus):
    with pytest.raises(ValueError, match="Goal_Position of motor 1"):
        bus.write("Goal_Position", "a", 1 << 40)


def test_a_line_that_keeps_sending_cannot_hold_an_exchange(bus):
    """Packets from a device no one asked, without end, and no motor answering: bounded, and said so."""
    bus.emulator.line_fault = "babble"
    for motor_id in (1, 2, 3):
        bus.emulator.inject("no_reply", motor_id, count=-1)
    t0 = time.monotonic()
    with pytest.raises(NoReplyError, match="keeps sending packets that answer no request"):
        bus.read("Present_Position", "a")
    assert time.monotonic() - t0 < 2.0  # (2 + 1) x 20 ms a try, 3 tries, plus the pauses between them


def test_an_adapter_that_echoes_requests_is_named(bus):
    from hardware.motors.errors import EchoError

    bus.emulator.line_fault = "echo"
    with pytest.raises(EchoError, match="echoes every request back"):
        bus.ping("a")
