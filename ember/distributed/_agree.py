"""The ranks agree on a call before its payload moves: one small ``Allgather`` of a 12-integer header.

The header has the layout of the collectives' mismatch check (``collectives._header``): which
collective, a flag, dtype, root, then up to 7 sizes. The object collectives and ``all_to_all``
use it to carry what the payload exchange needs (each rank's pickled size, a list's length) and to
fail together:

- a rank whose call is wrong (a missing list, an object that cannot be pickled, ...) still takes
  part in the exchange with the flag ``RAISED`` set, then raises its own error (PyTorch's type);
  every other rank raises a RuntimeError naming it, so no rank is left waiting for the payload;
- ranks that call different collectives (or the same one with another root or dtype) all raise
  the same RuntimeError listing each rank's call, as the tensor collectives' check does.

Example:
    >>> every = exchange(pg, "all_gather_object", sizes=(len(data),))
    >>> counts = every[:, SIZES]             # each rank's size, in group-rank order
"""
import numpy as np

from .collectives import _DTYPES, _KINDS, _MAX_DIMS, _describe
from .work import wait_requests

__all__ = ["exchange", "SIZES", "RAISED"]

RAISED = -7                  # header[1] of a rank whose arguments are wrong
SIZES = 5                    # header[SIZES + i] is the i-th size
_KIND, _FLAG, _DTYPE, _ROOT, _NSIZES = 0, 1, 2, 3, 4


def _describe_call(h):
    kind = _KINDS[h[_KIND]] if 0 <= h[_KIND] < len(_KINDS) else "?"
    if not kind.endswith("_object") and not kind.endswith("_object_list") and not kind.startswith("all_to_all"):
        return _describe(h)                   # a tensor collective (its own mismatch check's header)
    parts = []
    if kind.startswith("all_to_all"):
        parts.append(f"dtype={_DTYPES[h[_DTYPE]] if 0 <= h[_DTYPE] < len(_DTYPES) else '?'}")
    if kind == "broadcast_object_list":
        parts.append(f"len(object_list)={int(h[SIZES])}")
    if h[_ROOT] >= 0:
        parts.append(f"root={int(h[_ROOT])}")
    return f"{kind}({', '.join(parts)})"


def exchange(pg, kind, what, *, root=-1, dtype=np.uint8, sizes=(), error=None, same=()):
    """Allgather this rank's header; return every rank's (an int64 array, one row per group rank).

    ``error``: this rank's exception, raised after the exchange. ``same``: indices into ``sizes``
    that must be equal on every rank (e.g. a list's length).
    """
    mine = np.full(4 + _MAX_DIMS, -1, np.int64)
    mine[_KIND] = _KINDS.index(kind)
    mine[_FLAG] = RAISED if error is not None else 0
    name = np.dtype(dtype).name
    mine[_DTYPE] = _DTYPES.index(name) if name in _DTYPES else 99
    mine[_ROOT] = root
    mine[_NSIZES] = len(sizes)
    mine[SIZES:SIZES + len(sizes)] = sizes
    every = np.empty((pg.size(), mine.size), np.int64)
    wait_requests([pg.comm.Iallgather(mine, every)], pg.deadline(),
                  f"{what} (exchanging sizes and checking that all ranks call the same collective)")
    if error is not None:
        raise error
    for columns in ([_KIND, _DTYPE, _ROOT], "raised", [SIZES + i for i in same]):
        if columns == "raised":       # after the call itself is known to agree, before the sizes it may lack
            raised = [pg.ranks[i] for i in np.flatnonzero(every[:, _FLAG] == RAISED)]
            if raised:
                raise RuntimeError(f"{what}: rank(s) {raised} raised an error in this call (wrong arguments, or an "
                                   f"object that cannot be pickled: see their message); every rank of the group "
                                   f"stops this {what}.")
        elif not (every[:, columns] == mine[columns]).all():
            calls = "; ".join(f"rank {pg.ranks[i]}: {_describe_call(h)}" for i, h in enumerate(every))
            raise RuntimeError(f"ember.distributed: mismatched collective across ranks ({calls}). Every rank must "
                               f"call the same collective, in the same order, with the same root, dtype and list "
                               f"length.")
    return every
