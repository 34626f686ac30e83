"""The one place that imports mpi4py (an optional dependency: ``pip install ember[distributed]``).

Importing ``mpi4py.MPI`` initialises MPI, so it happens on first use, never at ``import ember``.
"""
import fcntl
import importlib.util
import struct
import sys
import termios
import time

import numpy as np

_INSTALL = ("ember.distributed needs mpi4py and an MPI library: pip install 'ember[distributed]' "
            "(it installs the mpi4py and mpich wheels)")


def is_available():
    """True when mpi4py can be imported (without initialising MPI)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def mpi():
    """The ``mpi4py.MPI`` module, or an ImportError that says how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"{_INSTALL} ({e})") from None
    return MPI


# NumPy dtypes mpi4py can reduce directly; float16 (and bool for MAX/MIN) go through a float32/uint8 copy
_NATIVE = {np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8)}


def is_native(dtype):
    return np.dtype(dtype) in _NATIVE


def _unread_bytes(fd):
    """Bytes written to ``fd`` that its reader has not taken yet (a pipe's FIONREAD); 0 if not a pipe."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0


def abort_job(status, wait=2.0):
    """End the whole MPI job with ``status`` (``MPI_Abort``) once this rank's error message is on its way.

    mpiexec reads each rank's output through a pipe; ``Abort`` makes it kill every rank, and lines
    still in the pipe could be lost (the user would see "the job failed" without the reason). So
    flush, wait (at most ``wait`` seconds) until the pipes are read, then give the launcher a moment
    to pass the lines on."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + wait
    fds = (1, 2)
    while any(_unread_bytes(fd) for fd in fds) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    mpi().COMM_WORLD.Abort(status)
