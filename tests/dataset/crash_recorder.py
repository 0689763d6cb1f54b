"""Records into a dataset until killed; run by test_crash_safety in a subprocess.

argv: root, mode ("mid-episode": commit 3 episodes then record a 4th slowly;
"continuous": save episode after episode without waiting; "mid-rename": commit 2 episodes, then
die by SIGKILL halfway through the renames of the third episode's commit).
"""

import os
import signal
import sys
import time

from robot_hf.dataset import DatasetWriter, atomic
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
elif mode == "mid-rename":
    for ep in range(3):
        if ep == 2:
            real_apply = atomic._apply

            def apply_half_then_die(root, renames, removals, real_apply=real_apply):
                real_apply(root, renames[: len(renames) // 2], [])
                os.kill(os.getpid(), signal.SIGKILL)

            atomic._apply = apply_half_then_die
        for t in range(10):
            w.add_frame(frame(ep, t))
        w.save_episode()
        w.wait()
        print(f"COMMITTED {ep + 1}", flush=True)
else:
    ep = 0
    while True:
        for t in range(30):
            w.add_frame(frame(ep % 5, t))
        w.save_episode()
        ep += 1
        print(f"QUEUED {ep}", flush=True)
