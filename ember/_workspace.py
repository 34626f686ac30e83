"""Scratch buffers reused from one call to the next, so a training step does not page-fault.

A kernel asks for ``scratch(tag, shape, dtype)``: the same (tag, thread, shape, dtype) gets the
same array back on the next step instead of fresh memory (a fresh large array is new pages from
the kernel, each touched page a fault). A buffer is scratch only: it never leaves the kernel
that asked for it (no output, nothing saved for backward), and each thread has its own.

The cache is bounded (``MAX_BYTES``, least recently used dropped first), so buffers of shapes
no longer in use are released when the shapes change; ``release()`` drops them all.

Example:
    >>> from ember._workspace import scratch
    >>> buf = scratch("doc.example", (4, 4), "float32")
    >>> buf is scratch("doc.example", (4, 4), "float32")
    True
"""
import threading
from collections import OrderedDict

import numpy as np

__all__ = []

# Upper bound on the bytes held by all scratch buffers together.
MAX_BYTES = 64 << 20

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
