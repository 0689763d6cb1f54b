import os
from pathlib import Path

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")
# The text-to-motion head is trained once per test session (seconds), not read from a user's cache.
os.environ["ROBOT_HF_CACHE"] = os.path.join(os.environ.get("PYTEST_TMPDIR", "/tmp"), f"robot-hf-test-cache-{os.getpid()}")

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def lerobot_pusht() -> Path:
    """A LeRobot v3.0 dataset written by LeRobot 0.4.4 itself (4 episodes of gym-pusht, AV1 video)."""
    return FIXTURES / "lerobot_v30_pusht"
