"""The profiler's recording: timed, nested ranges (ops, backward nodes, user ranges) per thread.

One ``Recorder`` is active at a time (``ACTIVE[0]``; None when no profiler runs, which is all
that ``record_function`` checks). ``begin(name)`` opens a range on the calling thread's stack and
``end(event)`` closes it; a range opened inside another is its child, so the parent's self time
is its total minus its children's. Times are ``time.perf_counter_ns``.

Example:
    >>> rec = Recorder(record_shapes=False, profile_memory=False)
    >>> ev = rec.begin("my_range"); rec.end(ev)
    >>> rec.events[0].name
    'my_range'
"""
import itertools
import os
import sys
import threading
import time

ACTIVE = [None]          # the running Recorder, or None
DROPPED = "dropped"      # category of a range folded into its parent (left out of the results)
_clock = time.perf_counter_ns


class RawEvent:
    """One recorded range: name, start/end (ns), parent, children, input shapes, bytes allocated."""
    __slots__ = ("id", "name", "start", "end", "parent", "children", "shapes", "memory", "thread", "category",
                 "stack", "flops")

    def __init__(self, id, name, parent, thread, category, shapes):
        self.id, self.name, self.parent, self.thread, self.category = id, name, parent, thread, category
        self.children, self.shapes, self.memory, self.stack, self.flops = [], shapes, 0, (), 0
        self.start = _clock()
        self.end = None


def shapes_of(args):
    """PyTorch's "Input Shapes": one list per argument, its sizes for a tensor, [] otherwise."""
    return [list(a.shape) if hasattr(a, "shape") and hasattr(a, "dtype") else [] for a in args]


_EMBER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_HIDDEN = tuple(os.path.join(_EMBER, d) for d in ("profiler", "autograd", "ops", "_fast.py", "_tensor_methods.py"))
_ROOT = os.path.dirname(_EMBER) + os.sep      # ember's own files show as ember/nn/..., as PyTorch's show torch/nn/...


def python_stack(limit=64):
    """The calling Python frames, innermost first, as ``file(line): function`` (PyTorch's entries);
    frames inside ember's dispatch (the profiler, autograd, the ops) are left out."""
    entries = []
    frame = sys._getframe(1)
    while frame is not None and len(entries) < limit:
        path = frame.f_code.co_filename
        if not path.startswith(_HIDDEN):
            if path.startswith(_EMBER):
                path = path[len(_ROOT):]
            entries.append(f"{path}({frame.f_lineno}): {frame.f_code.co_name}")
        frame = frame.f_back
    return entries


def nbytes_of(out):
    """Bytes of the arrays an op returned (its allocations, for ``profile_memory``)."""
    if type(out) is tuple or type(out) is list:
        return sum(nbytes_of(o) for o in out)
    data = getattr(out, "_data", out)
    return int(getattr(data, "nbytes", 0))


class Recorder:
    """Collects ``RawEvent`` ranges from every thread while a profiler is recording."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False, with_flops=False):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops = with_stack, with_flops
        self.events = []                 # in order of opening
        self._local = threading.local()
        self._ids = itertools.count(1)   # next() and list.append are atomic: no lock between threads
        self.start_ns = _clock()
        self.start_epoch_ns = time.time_ns()

    def _stack(self):
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def begin(self, name, args=None, category="cpu_op"):
        stack = self._stack()
        parent = stack[-1] if stack else None
        shapes = shapes_of(args) if self.record_shapes and args is not None else []
        ev = RawEvent(next(self._ids), name, parent, threading.get_native_id(), category, shapes)
        self.events.append(ev)
        if parent is not None:
            parent.children.append(ev)
        if self.with_stack and category == "cpu_op":
            ev.stack = python_stack()
        stack.append(ev)
        return ev

    def end(self, ev, out=None):
        """Close ``ev`` (and any range left open inside it, e.g. by an exception)."""
        now = _clock()
        stack = self._stack()
        if ev not in stack:
            return
        while stack:
            top = stack.pop()
            top.end = now
            if top is ev:
                break
        if out is not None and self.profile_memory:
            ev.memory = nbytes_of(out)

    def close_all(self):
        """Close every range still open (at stop), on every thread, at the current time."""
        now = _clock()
        for ev in self.events:
            if ev.end is None:
                ev.end = now
        self._local = threading.local()
