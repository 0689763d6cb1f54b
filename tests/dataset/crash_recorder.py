"""Records into a dataset until killed; run by test_crash_safety in a subprocess.

argv: root, mode ("mid-episode": commit 3 episodes then record a 4th slowly;
"continuous": save episode after episode without waiting).
"""

import sys
import time

from robot_hf.dataset import DatasetWriter
from tests.dataset.helpers import features, frame

root, mode = sys.argv[1], sys.argv[2]
w = DatasetWriter.create(root, 10, features())
if mode == "mid-episode":
    for ep in range(3):
        for t in range(10):
            w.add_frame(frame(ep, t))
        w.save_episode()
    w.wait()
    print("COMMITTED 3", flush=True)
    t = 0
    while True:
        w.add_frame(frame(3, t))
        t += 1
        print(f"FRAME {t}", flush=True)
        time.sleep(0.01)
else:
    ep = 0
    while True:
        for t in range(30):
            w.add_frame(frame(ep % 5, t))
        w.save_episode()
        ep += 1
        print(f"QUEUED {ep}", flush=True)
