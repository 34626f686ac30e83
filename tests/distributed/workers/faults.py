"""A rank that fails while the others are in a collective. argv: mode (kill|raise|timeout|exit)
kill: rank 1 SIGKILLs itself; raise: rank 1 raises; timeout: rank 1 sleeps past the group's 3 s
timeout; exit: rank 1 leaves with sys.exit(3) without its collective. Rank 0 calls all_reduce."""
import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist

mode = sys.argv[1]
# a short timeout where it is the subject (a slow start of a rank under load must not trip the others)
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3 if mode in ("timeout", "exit") else 40))
t = ember.ones(4)
dist.all_reduce(t)                                   # a healthy collective first
if dist.get_rank() == 1:
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "raise":
        raise ValueError("rank 1 failed on purpose")
    if mode == "timeout":
        time.sleep(120)
    if mode == "exit":
        sys.exit(3)
dist.all_reduce(t)
print("rank", dist.get_rank(), "finished: it should not have", flush=True)
