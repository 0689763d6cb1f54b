"""`robot-hf calibrate`, `robot-hf setup-motors` and `robot-hf find-devices`."""

from __future__ import annotations

import threading

from omegaconf import DictConfig
from rich.table import Table

from robot_hf.cli.console import make_console

console = make_console()


def _arm_bus(cfg: DictConfig):
    from hardware.arms.layouts import layout
    from hardware.motors.bus import MotorBus

    r = cfg.robot
    if r.type not in ("so101", "koch"):
        raise ValueError(f"{r.type!r} is not a real arm; use robot=so101 or robot=koch (robot.role=leader for a leader)")
    return MotorBus(r.port, layout(r.type, r.role), r.baudrate, r.timeout_s, r.retries)


def calibrate(cfg: DictConfig, prompt=input) -> int:
    from hardware.arms.calibration import default_path, record_calibration

    bus = _arm_bus(cfg)
    bus.connect()
    done = threading.Event()
    try:
        missing = bus.find_missing()
        if missing:
            raise ConnectionError("; ".join(f"{k}: {v}" for k, v in missing.items()))

        def step(text: str) -> None:
            console.print(text)
            if text.startswith("Move every joint through"):
                threading.Thread(target=lambda: (prompt("recording ranges; press Enter when done "), done.set()), daemon=True).start()
            else:
                prompt("")

        calibration = record_calibration(bus, cfg.robot.type, step, lambda: not done.is_set())
    finally:
        bus.set_torque(False) if bus.serial is not None else None
        bus.close()
    path = calibration.save(cfg.robot.calibration or default_path(cfg.robot.type, cfg.robot.role))
    table = Table(title=f"calibration of {cfg.robot.type} {cfg.robot.role}")
    for col in ("joint", "id", "homing offset", "range min", "range max"):
        table.add_column(col)
    for name, c in calibration.motors.items():
        table.add_row(name, str(c.id), str(c.homing_offset), str(c.range_min), str(c.range_max))
    console.print(table)
    console.print(f"saved to {path}")
    return 0


def setup_motors(cfg: DictConfig, prompt=input) -> int:
    """Connect one motor at a time; find it at any baud rate, give it its id and the bus's baud rate."""
    from hardware.motors.bus import Motor, MotorBus
    from hardware.motors.tables import DYNAMIXEL_BAUD, FEETECH_BAUD, MODELS

    bus = _arm_bus(cfg)
    protocol = bus.protocol_name
    bauds = FEETECH_BAUD if protocol == "feetech" else DYNAMIXEL_BAUD
    if cfg.robot.baudrate not in bauds:
        raise ValueError(f"robot.baudrate {cfg.robot.baudrate} is not one {protocol} motors support: {sorted(bauds)}")
    for name, motor in reversed(list(bus.motors.items())):
        prompt(f"Connect only the '{name}' motor to the bus and press Enter.")
        probe = MotorBus(cfg.robot.port, {"any": Motor(motor.id, motor.model)}, cfg.robot.baudrate, cfg.robot.timeout_s, 0)
        probe.connect()
        found = None
        try:
            for baud in sorted(bauds, reverse=True):
                probe.set_baudrate(baud)
                single_motor = probe.find_single()
                if single_motor:
                    found = (baud, *single_motor)
                    break
            if not found:
                raise ConnectionError(f"no {protocol} motor answered on {cfg.robot.port} at any baud rate; check power and cable")
            baud, current_id, model = found
            if model != MODELS[motor.model][1]:
                raise ValueError(f"the motor found is a model {model}, '{name}' should be a {motor.model}")
            single = MotorBus(cfg.robot.port, {"m": Motor(current_id, motor.model)}, baud, cfg.robot.timeout_s, cfg.robot.retries)
            single.serial = probe.serial
            if protocol == "feetech":
                single.write("Lock", "m", 0)
            single.write("Torque_Enable", "m", 0)
            single.write("ID", "m", motor.id)
            single.motors["m"] = Motor(motor.id, motor.model)
            single.write("Baud_Rate", "m", bauds[cfg.robot.baudrate])
            probe.set_baudrate(cfg.robot.baudrate)
            if protocol == "feetech":
                single.write("Lock", "m", 1)
            console.print(f"'{name}': id {current_id} -> {motor.id}, baud {baud} -> {cfg.robot.baudrate}")
        finally:
            probe.close()
    return 0


def find_devices(cfg: DictConfig) -> int:
    from hardware import discovery

    ports = Table(title="serial ports (motor buses)")
    for col in ("port", "description", "hardware id"):
        ports.add_column(col)
    for p in discovery.serial_ports():
        ports.add_row(p["port"], p["description"], p["hwid"])
    console.print(ports if ports.row_count else "serial ports: none found")
    cams = discovery.cameras()
    console.print(f"cameras: {', '.join(c['source'] + (' ' + c['frame'] if c['frame'] else '') for c in cams) or 'none found'}")
    hid = discovery.hid_devices()
    if hid is None:
        console.print("HID devices: hidapi not installed (pip install 'robot-hf[devices]')", markup=False)
    else:
        console.print(f"HID devices: {', '.join(d['product'] or d['vendor_id'] for d in hid) or 'none found'}", markup=False)
    pads = discovery.joysticks()
    console.print(f"gamepads: {', '.join(pads) if pads else ('pygame not installed' if pads is None else 'none found')}", markup=False)
    return 0
