"""What ``vmap`` (and ``jacfwd``) watch while the mapped function runs: random draws and in-place writes.

Each active transform pushes a ``Level``. While at least one is active, ``Generator._u32`` (every
draw of PyTorch's streams goes through it) and ``_inplace._write`` (every in-place write) are
swapped for checking versions; they are put back when the outermost level ends.

- ``randomness='error'``: a random draw raises PyTorch's RuntimeError.
- ``randomness='same'``: each generator's state is noted before its first draw, and ``vmap``
  restores it before every batch element after the first, so each element draws the same numbers.
- ``randomness='different'``: draws go on through the stream, one element after the other.
- An in-place write into a tensor passed with ``in_dims=None`` (unbatched) raises: the per-element
  loop would apply it once per element.
"""
import numpy as np

from .. import _inplace
from .._random import Generator

RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                "'different' randomness flags on vmap or perform the randomness operation out of vmap")


class Level:
    __slots__ = ("randomness", "unbatched", "snapshots")

    def __init__(self, randomness, unbatched=()):
        self.randomness = randomness
        self.unbatched = tuple(unbatched)     # tensors mapped with in_dim None
        self.snapshots = {}                   # id(generator) -> (generator, state before its first draw)

    def restore_generators(self):
        for gen, state in self.snapshots.values():
            gen.set_state(state)


_stack = []
_saved = {}


def _checked_u32(self, n):
    for level in _stack:
        if level.randomness == "error":
            raise RuntimeError(RANDOM_ERROR)
    for level in _stack:
        if level.randomness == "same" and id(self) not in level.snapshots:
            level.snapshots[id(self)] = (self, self.get_state())
    return _saved["u32"](self, n)


def _checked_write(self, values):
    for level in _stack:
        for t in level.unbatched:
            if np.may_share_memory(self._data, t._data):
                raise RuntimeError(
                    "vmap: an in-place operation writes into a tensor that is not batched (passed with "
                    f"in_dim=None, shape {tuple(t.shape)}) while the function runs once per batch element. "
                    "Fix: clone() the tensor inside the function and write into the clone, or map over it "
                    "(in_dims=0 on an expanded copy).")
    return _saved["write"](self, values)


def _install():
    _saved["u32"] = Generator.__dict__["_u32"]
    _saved["write"] = _inplace._write
    Generator._u32 = _checked_u32
    _inplace._write = _checked_write


def _uninstall():
    Generator._u32 = _saved.pop("u32")
    _inplace._write = _saved.pop("write")


class active:
    """Context manager: ``level`` is active for the duration."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        if not _stack:
            _install()
        _stack.append(self.level)
        return self.level

    def __exit__(self, *exc):
        _stack.pop()
        if not _stack:
            _uninstall()
        return False
