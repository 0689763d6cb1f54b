"""Device discovery: serial ports, cameras and HID devices on this machine."""

from __future__ import annotations

import glob
import os


def serial_ports() -> list[dict]:
    from serial.tools import list_ports

    return [{"port": p.device, "description": p.description, "hwid": p.hwid} for p in list_ports.comports()]


def cameras(max_index: int = 8) -> list[dict]:
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # probing absent devices is expected; keep OpenCV's warnings out of the listing
    found = []
    nodes = sorted(glob.glob("/dev/video*"))
    candidates = nodes if nodes else [str(i) for i in range(max_index)]
    for source in candidates:
        arg = int(source) if source.isdigit() else source
        cap = cv2.VideoCapture(arg)
        if cap.isOpened():
            ok, frame = cap.read()
            found.append({"source": source, "frame": None if not ok else f"{frame.shape[1]}x{frame.shape[0]}"})
        cap.release()
    return found


def hid_devices() -> list[dict] | None:
    """HID devices (gamepads, SpaceMice), or None when hidapi is not installed."""
    try:
        import hid
    except ImportError:
        return None
    return [{"vendor_id": f"0x{d['vendor_id']:04x}", "product_id": f"0x{d['product_id']:04x}",
             "product": d.get("product_string") or "", "path": d["path"].decode(errors="replace") if isinstance(d["path"], bytes) else d["path"]}
            for d in hid.enumerate()]


def joysticks() -> list[str] | None:
    try:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        import pygame
    except ImportError:
        return None
    pygame.init()
    pygame.joystick.init()
    return [pygame.joystick.Joystick(i).get_name() for i in range(pygame.joystick.get_count())]
