"""A background thread that keeps non-blocking MPI operations moving while the main thread computes.

MPICH (without ``MPIR_CVAR_ASYNC_PROGRESS``) advances a non-blocking collective only inside MPI
calls. An ``Iallreduce`` started during backward would otherwise sit idle until the next MPI call
of this rank, and the peer's half of the exchange waits for it: no overlap. This thread calls
``Request.Testall`` on the pending requests every ``interval`` seconds (mpi4py releases the GIL
inside MPI calls, and NumPy's GEMMs release it too, so the two threads run side by side). It
sleeps between polls, unlike MPICH's own progress thread, which spins on a core.

Only this thread tests the requests it holds until ``stop()`` returns (MPI forbids two threads
testing one request at a time); the caller then waits for them itself.

Example:
    >>> poller = ProgressThread()
    >>> poller.add(comm.Iallreduce(MPI.IN_PLACE, buf, MPI.SUM))
    >>> ...                               # compute
    >>> poller.stop()                     # then wait for the requests
"""
import threading

from ._mpi import mpi

__all__ = ["ProgressThread"]


class ProgressThread:
    """Poll MPI requests from a daemon thread until ``stop()``."""

    def __init__(self, interval=2e-4):
        self.interval = interval
        self._requests = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def add(self, request):
        with self._lock:
            self._requests.append(request)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ember-mpi-progress", daemon=True)
            self._thread.start()

    def _run(self):
        testall = mpi().Request.Testall
        while not self._stop.wait(self.interval):
            with self._lock:
                pending = [r for r in self._requests if r]      # a completed request becomes REQUEST_NULL (falsy)
                if pending:
                    testall(pending)

    def stop(self):
        """End the thread; the requests are the caller's again."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        self._stop.clear()
        with self._lock:
            self._requests = []
