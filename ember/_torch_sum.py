"""PyTorch's order of adding float32 numbers in a contiguous sum, so that ``x.sum()``, ``x.mean()``
and sums over the last dim print PyTorch's last digits (its CPU kernel ``cascade_sum``, one thread).

PyTorch reads a row as vectors of 8 floats, four vectors side by side (32 running sums); it adds
16 rows of 32 one after another into a level-0 sum, 16 level-0 sums into level 1, 16 of those into
level 2, the rest into level 3, and folds the levels, the leftover vectors, the 4 vectors and the 8
lanes in a fixed order (then the last ``n % 8`` numbers, which come first). NumPy's pairwise sum
rounds differently in about a third of the cases. Larger sums than ``LIMIT`` are split over
PyTorch's threads, so their order depends on its thread count; they keep NumPy's sum.

Only while ``ENABLED``: ``compat.install()`` (``ember run``) turns it on, so a tutorial prints
PyTorch's digits; plain ``import ember`` keeps NumPy's sums, which are 4-5x faster on small tensors
(a sum of 16 x 128 floats: about 17 us in this order against 3.6 us) and equal to float32 round-off.
The same switch buys PyTorch's rounding of float32 ``exp`` and of tanh's backward (``ops/_math.py``).
"""
import numpy as np

__all__ = ["LIMIT", "applies", "sum_rows", "reduce_last", "total"]

ENABLED = False        # set by compat.install()
LIMIT = 32768          # PyTorch's grain size: a reduction this small runs on one thread
_W, _ILP = 8, 4        # floats per vector, vectors side by side
_F32 = np.dtype(np.float32)


def applies(a):
    """True if ``a``'s sums over its last axis should go through ``sum_rows`` (float32, contiguous, small)."""
    return ENABLED and a.dtype == _F32 and 0 < a.size <= LIMIT and a.flags.c_contiguous and a.ndim > 0 and a.shape[-1] > 0


def _seq(x, axis):
    """Sums along ``axis`` added one after another."""
    if axis != x.ndim - 1:       # NumPy adds along an axis that is not the last one row after row
        return np.add.reduce(x, axis=axis)
    return np.add.accumulate(x, axis=axis)[..., -1]   # along the last one it would add pairwise


def _fold(parts):
    """``((p0 + p1) + p2) + ...`` of equally shaped arrays, None entries (empty sums) skipped."""
    out = None
    for p in parts:
        if p is not None:
            out = p if out is None else out + p
    return out


def _levels(rows):
    """multi_row_sum: the 4-level cascade over ``rows`` (shape (m, size, lanes)), 16 rows per step."""
    size = rows.shape[1]
    power = max(4, (int(size - 1).bit_length() if size > 1 else 0) // 4)
    step = 1 << power
    nb = size // step
    acc = [None] * 4
    if nb:
        lvl = _seq(rows[:, :nb * step].reshape(rows.shape[0], nb, step, -1), 2)   # level-0 sums of full blocks
        for j in (1, 2):                                                         # levels 1, 2: groups of 16
            full = lvl.shape[1] // step
            if lvl.shape[1] > full * step:
                acc[j] = _seq(lvl[:, full * step:], 1)
            lvl = _seq(lvl[:, :full * step].reshape(lvl.shape[0], full, step, -1), 2) if full else None
            if lvl is None:
                break
        if lvl is not None:
            acc[3] = _seq(lvl, 1)
    if size > nb * step:
        acc[0] = _seq(rows[:, nb * step:], 1)
    return acc


def sum_rows(a):
    """float32 sums of ``a`` over its last axis in PyTorch's order (``a`` as ``applies`` accepts)."""
    with np.errstate(over="ignore", invalid="ignore"):      # inf and nan, silently (as torch)
        return _sum_rows(a)


def _sum_rows(a):
    n = a.shape[-1]
    x = a.reshape(-1, n)
    m = x.shape[0]
    vs = n // _W
    if vs:
        vecs, lanes = x[:, :vs * _W].reshape(m, vs, _W), _W
    else:                                              # fewer than 8: row_sum on single floats
        vecs, lanes, vs = x[:, :, None], 1, n
    size_ilp = vs // _ILP
    ps = [None] * _ILP
    if size_ilp:
        acc = _levels(vecs[:, :size_ilp * _ILP].reshape(m, size_ilp, _ILP * lanes))
        whole = _fold(acc).reshape(m, _ILP, lanes)
        ps = [whole[:, k] for k in range(_ILP)]
    rest = vecs[:, size_ilp * _ILP:]                   # leftover vectors, into partial sum 0
    if rest.shape[1]:
        ps[0] = _seq(rest if ps[0] is None else np.concatenate([ps[0][:, None], rest], 1), 1)
    lanes_sum = _fold(ps)
    if lanes == 1:
        total = lanes_sum[:, 0]
    else:                                              # the tail first, then the 8 lanes in order
        total = _seq(np.concatenate([x[:, vs * _W:], lanes_sum], 1), 1)
    return (total + _F32.type(0)).reshape(a.shape[:-1])   # + 0: PyTorch's sum starts from +0.0


def reduce_last(a, axes, keepdim, mean=False):
    """The sum (or mean) of ``a`` over ``axes`` in PyTorch's order when that order applies (float32,
    contiguous, small; all axes, or the last one), else None."""
    if not ENABLED or not applies(a):
        return None
    if axes is None or tuple(axes) == tuple(range(a.ndim)):
        r, n, kept = sum_rows(a.reshape(-1)), a.size, (1,) * a.ndim
    elif tuple(axes) == (a.ndim - 1,):
        r, n, kept = sum_rows(a), a.shape[-1], a.shape[:-1] + (1,)
    else:
        return None
    if mean:
        r = r / _F32.type(n)
    return np.asarray(r, dtype=_F32).reshape(kept) if keepdim else np.asarray(r, dtype=_F32)


def total(a):
    """``a.sum()``: PyTorch's order where it applies, NumPy's sum otherwise (the compiled replay's)."""
    return sum_rows(a.reshape(-1)) if applies(a) else np.add.reduce(a, None)
