"""What ``vmap`` (and ``jacfwd``) watch while the mapped function runs: random draws and in-place writes.

Each active transform pushes a ``Level``. While at least one is active, ``Generator._u32`` (every
draw of PyTorch's streams goes through it) and ``_inplace._write`` (every in-place write) are
swapped for checking versions; they are put back when the outermost level ends.

- ``randomness='error'``: a random draw raises PyTorch's RuntimeError.
- ``randomness='same'``: each generator's state is noted before its first draw, and ``vmap``
  restores it before every batch element after the first, so each element draws the same numbers.
- ``randomness='different'``: draws go on through the stream, one element after the other.
- An in-place write into a tensor passed with ``in_dims=None`` (unbatched) raises: the per-element
  loop would apply it once per element. So does a batch norm in training mode that would update
  running statistics (PyTorch's error; ``replace_all_batch_norm_modules_`` is the fix).
"""
import threading

import numpy as np

from .. import _inplace
from .._random import Generator
from ..ops import normalization as _norm

RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                "'different' randomness flags on vmap or perform the randomness operation out of vmap")


BATCH_NORM_ERROR = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which will be updated in "
    "place, were not batched.\nIf you are using a module and do not need eval mode, please set "
    "`track_running_stats` to be False.If you are using a prebuilt module and do not need eval mode, please see "
    "the functorch website for resources on how to patch your module to work with vmap")


class Level:
    __slots__ = ("randomness", "mapped", "unbatched", "batched", "snapshots", "thread")

    def __init__(self, randomness, unbatched=(), batched=(), mapped=True):
        self.thread = threading.get_ident()   # only this thread's draws and writes are checked
        self.randomness = randomness
        self.mapped = mapped                  # a vmap level (jacfwd's only watches randomness)
        self.unbatched = tuple(unbatched)     # tensors mapped with in_dim None
        self.batched = tuple(batched)         # tensors mapped along a dim
        self.snapshots = {}                   # id(generator) -> (generator, state before its first draw)

    def restore_generators(self):
        for gen, state in self.snapshots.values():
            gen.set_state(state)


_stack = []
_saved = {}
_lock = threading.Lock()


def _levels():
    """The active levels of the calling thread, outermost first."""
    me = threading.get_ident()
    return [level for level in _stack if level.thread == me]


def _checked_u32(self, n):
    levels = _levels()
    for level in levels:
        if level.randomness == "error":
            raise RuntimeError(RANDOM_ERROR)
    for level in levels:
        if level.randomness == "same" and id(self) not in level.snapshots:
            level.snapshots[id(self)] = (self, self.get_state())
    return _saved["u32"](self, n)


def _checked_write(self, values):
    for level in _levels():
        for t in level.unbatched:
            if np.may_share_memory(self._data, t._data):
                raise RuntimeError(
                    "vmap: an in-place operation writes into a tensor that is not batched (passed with "
                    f"in_dim=None, shape {tuple(t.shape)}) while the function runs once per batch element. "
                    "Fix: clone() the tensor inside the function and write into the clone, or map over it "
                    "(in_dims=0 on an expanded copy).")
    return _saved["write"](self, values)


def _check_stats(*stats):
    """Running statistics updated in place must be slices of a mapped input at every vmap level
    (stacked buffers of an ensemble); the module's own buffers would take every element's update."""
    for s in stats:
        if s is None:
            continue
        arr = s._data if hasattr(s, "_data") else s
        for level in _levels():
            if level.mapped and not any(np.may_share_memory(arr, t._data) for t in level.batched):
                raise RuntimeError(BATCH_NORM_ERROR)


def _checked_batch_norm(ctx, x, w, b, rm, rv, momentum, eps):
    _check_stats(rm, rv)
    return _saved["bn"].__func__(ctx, x, w, b, rm, rv, momentum, eps)


def _checked_instance_stats(x, running_mean, running_var, momentum):
    _check_stats(running_mean, running_var)
    return _saved["in"](x, running_mean, running_var, momentum)


def _install():
    _saved["u32"] = Generator.__dict__["_u32"]
    _saved["write"] = _inplace._write
    _saved["bn"] = _norm.BatchNormTrain.__dict__["forward"]
    _saved["in"] = _norm._update_instance_stats
    Generator._u32 = _checked_u32
    _inplace._write = _checked_write
    _norm.BatchNormTrain.forward = staticmethod(_checked_batch_norm)
    _norm._update_instance_stats = _checked_instance_stats


def _uninstall():
    Generator._u32 = _saved.pop("u32")
    _inplace._write = _saved.pop("write")
    _norm.BatchNormTrain.forward = _saved.pop("bn")
    _norm._update_instance_stats = _saved.pop("in")


class active:
    """Context manager: ``level`` is active for the duration."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        with _lock:
            if not _stack:
                _install()
            _stack.append(self.level)
        return self.level

    def __exit__(self, *exc):
        with _lock:
            _stack.remove(self.level)
            if not _stack:
                _uninstall()
        return False
