"""``Work``: the handle ``async_op=True`` returns (PyTorch's ``torch.distributed.Work``).

It holds MPI requests. ``wait()`` polls them with ``Request.Testall`` until done or until the
process group's timeout passes (then ``RuntimeError``: a peer that died or never joined the
collective does not hang the job forever), then runs the finishing step (copy back into a
non-contiguous tensor, divide for ``AVG``, ...).

Example:
    >>> work = dist.all_reduce(t, async_op=True)
    >>> ...                              # compute while the message travels
    >>> work.wait()                      # t now holds the sum over ranks
    True
"""
import os
import time

from ._mpi import mpi

__all__ = ["Work", "wait_requests"]


# sched_yield, not time.sleep(0): a zero sleep still waits for the kernel's timer slack (~50-80 us under
# load), and a large message through shared memory takes one Test per chunk (1 MB all_to_all_single on 2
# ranks: 12 ms with sleep(0), 0.4 ms with sched_yield)
_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


def wait_requests(requests, deadline, what):
    """Poll ``requests`` until all are complete; RuntimeError after ``deadline`` (time.monotonic()).

    Polling keeps MPI's progress engine turning (MPICH has no progress thread by default). The first
    polls spin (``sched_yield`` between them); later ones sleep a little longer each time (up to 1 ms)
    to leave the core to others.
    """
    MPI = mpi()
    requests = [r for r in requests if r is not None]
    if not requests or MPI.Request.Testall(requests):
        return
    pause, spins = 0.0, 0
    while not MPI.Request.Testall(requests):
        now = time.monotonic()
        if now > deadline:
            raise RuntimeError(
                f"ember.distributed: {what} timed out: not completed after the process group's timeout. A rank "
                f"probably died, raised, or did not call the same collective (every rank must call the same "
                f"collectives in the same order). Fix the failing rank, or pass a longer "
                f"timeout=datetime.timedelta(...) to init_process_group.")
        spins += 1
        if spins > 200:
            pause = min(1e-3, pause * 2 or 2e-5)
            time.sleep(pause)
        else:
            _yield()


class Work:
    """A pending collective or point-to-point operation (``async_op=True``)."""

    def __init__(self, requests, deadline, what, finish=None, result=None):
        self._requests = list(requests)
        self._deadline = deadline
        self._what = what
        self._finish = finish
        self._result = result
        self._done = False
        self._exception = None

    def is_completed(self):
        """True when the operation has finished (its finishing step then runs here)."""
        if self._done:
            return True
        MPI = mpi()
        reqs = [r for r in self._requests if r is not None]
        if reqs and not MPI.Request.Testall(reqs):
            return False
        self._complete()
        return True

    def wait(self, timeout=None):
        """Block until the operation is done; returns True (as PyTorch).

        ``timeout`` (a ``datetime.timedelta``) shortens the process group's timeout for this wait.
        """
        if not self._done:
            deadline = self._deadline
            if timeout is not None:
                deadline = min(deadline, time.monotonic() + timeout.total_seconds())
            try:
                wait_requests(self._requests, deadline, self._what)
            except RuntimeError as e:
                self._exception = e
                raise
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def is_success(self):
        return self._done and self._exception is None

    def exception(self):
        return self._exception

    def result(self):
        """The output tensors of the operation (as PyTorch's ``Work.result()``)."""
        self.wait()
        return list(self._result or [])

    def __repr__(self):
        return f"Work({self._what}, completed={self._done})"
