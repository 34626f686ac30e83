"""A rank that is killed, raises or stalls ends the whole job with an error, never a hang."""
import time

import pytest

from . import launch


@pytest.mark.parametrize("mode,expect", [
    ("kill", "BAD TERMINATION"),                     # MPICH's hydra ends the job when a rank dies
    ("raise", "rank 1 failed on purpose"),          # the excepthook prints it and calls MPI_Abort
    ("timeout", "timed out"),                        # rank 0's wait passes the group's 3 s timeout
])
def test_a_failing_rank_ends_the_job(mode, expect):
    t0 = time.monotonic()
    proc, _ = launch.run("faults.py", mode, n=2, timeout=60, expect_ok=False)
    elapsed = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert expect in out, out
    assert "should not have" not in out
    assert elapsed < 45, elapsed


def test_launcher_aborts_the_job_when_a_rank_exits_with_an_error():
    import sys
    t0 = time.monotonic()
    proc, _ = launch.run("faults.py", "exit", timeout=60, expect_ok=False,
                         launcher=[sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2"])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "[rank 1] exited with status 3" in out and "ember.distributed.run: the job on 2 processes failed" in out
    assert "should not have" not in out
    assert time.monotonic() - t0 < 45
