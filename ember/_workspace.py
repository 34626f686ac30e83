"""Scratch buffers reused from one call to the next, so a training step does not page-fault.

A kernel asks for ``scratch(tag, shape, dtype)``: the same (tag, thread, shape, dtype) gets the
same array back on the next step instead of fresh memory (a fresh large array is new pages from
the kernel, each touched page a fault). A buffer is scratch only: it never leaves the kernel
that asked for it (no output, nothing saved for backward), and each thread has its own.

The cache is bounded (``MAX_BYTES``, least recently used dropped first), so buffers of shapes
no longer in use are released when the shapes change; ``release()`` drops them all.

Outputs and saved tensors are fresh arrays every step. glibc returns freed memory at the top of
its heap to the kernel (and maps big blocks anew), so each step would page-fault again on them
(about 7,000 faults, 10-15 % of a CIFAR-10 step). ``keep_freed_memory()``, applied when ember is
imported on glibc, keeps freed blocks up to ``KEEP_BYTES`` for reuse: arrays under 32 MiB come
from the heap and up to ``KEEP_BYTES`` of freed memory stay mapped. The cost: after a big
temporary is freed, the process's resident size stays up to that much higher than it needs.
``EMBER_KEEP_FREED_MEMORY=0`` (set before importing ember) leaves glibc's defaults.

Example:
    >>> from ember._workspace import scratch
    >>> buf = scratch("doc.example", (4, 4), "float32")
    >>> buf is scratch("doc.example", (4, 4), "float32")
    True
"""
import ctypes
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = []

# Upper bound on the bytes held by all scratch buffers together.
MAX_BYTES = 64 << 20
# Freed memory glibc keeps mapped for reuse (its trim threshold); blocks below MMAP_BYTES come
# from the heap (32 MiB is glibc's largest dynamic mmap threshold on 64-bit).
KEEP_BYTES = 256 << 20
MMAP_BYTES = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

_LOCK = threading.Lock()
_BUFFERS = OrderedDict()          # (tag, thread, shape, dtype) -> array, least recently used first
_HELD = [0]


def scratch(tag, shape, dtype):
    """An uninitialised array of ``shape``/``dtype`` that this thread gets again for the same tag."""
    dtype = np.dtype(dtype)
    key = (tag, threading.get_ident(), tuple(shape), dtype.str)
    with _LOCK:
        a = _BUFFERS.pop(key, None)
        if a is not None:
            _BUFFERS[key] = a
            return a
    a = np.empty(shape, dtype)
    if a.nbytes > MAX_BYTES:
        return a                  # too big to keep
    with _LOCK:
        _BUFFERS[key] = a
        _HELD[0] += a.nbytes
        while _HELD[0] > MAX_BYTES:
            _, old = _BUFFERS.popitem(last=False)
            _HELD[0] -= old.nbytes
    return a


def held_bytes():
    """Bytes currently held by scratch buffers."""
    return _HELD[0]


def release():
    """Drop every scratch buffer (their memory goes back once no kernel uses them)."""
    with _LOCK:
        _BUFFERS.clear()
        _HELD[0] = 0


def keep_freed_memory():
    """Let glibc keep freed memory for reuse instead of returning (and re-faulting) it each step.
    Returns True when applied (glibc, not switched off by ``EMBER_KEEP_FREED_MEMORY=0``)."""
    if os.environ.get("EMBER_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):       # not glibc (musl, ...): leave the allocator alone
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES))


KEPT = keep_freed_memory()
