"""What the recorder computes from one layer's output: its sum, sum of squares, fired units, tails.

Array code only (no hooks, no bookkeeping), written for the per-step budget of ``Diagnostics``:
each function is one or two BLAS/NumPy calls on the output, so that watching a layer costs a few
microseconds. ``recorder.py`` decides when each runs.

Example:
    >>> unfired = still_unfired(None, np.array([[0.0, 1.0, 0.0, 2.0]], np.float32), -1, True)
    >>> unfired                                    # units 0 and 2 have not fired
    array([0, 2])
    >>> still_unfired(unfired, np.array([[3.0, 0.0, 0.0, 0.0]], np.float32), -1, True)
    array([2])
"""
import numpy as np

__all__ = ["SIGMOID_TAIL", "TANH_TAIL", "ones", "column_sums", "sq", "total", "still_unfired", "tail_count"]

SIGMOID_TAIL = 0.0125   # s(1 - s) below 5 % of its peak 0.25
TANH_TAIL = 0.05        # 1 - t^2 below 5 % of its peak 1

_ONES = {}


def ones(n, dtype):
    """A cached vector of ``n`` ones (the other factor of a sum done as a BLAS product)."""
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dtype)
    return v


def column_sums(a2):
    """Column sums of a 2-D float array by one GEMV with ones (about 3x faster than ``a2.sum(0)``)."""
    return ones(a2.shape[0], a2.dtype) @ a2


def sq(a):
    """``float((a * a).sum())`` by one BLAS dot product (NaN or Inf when a value is). ``@`` on flat
    views goes straight to C; ``np.vdot`` passes through a Python-level dispatcher first."""
    v = a.reshape(-1)
    return float(v @ v)


def total(a):
    """``float(a.sum())`` by a BLAS dot product with ones (float32 accumulation, relative error ~1e-6
    on a layer's activations; NaN or Inf when a value is)."""
    if a.dtype not in (np.float32, np.float64):
        return float(a.sum())
    return float(a.reshape(-1) @ ones(a.size, a.dtype))


def _fired(a, axis, nonneg, colsum):
    """Per unit (index along ``axis``): was any output above 0?"""
    if axis == -1 or axis % a.ndim == a.ndim - 1:
        a2 = a.reshape(-1, a.shape[-1])
        if nonneg:                   # a >= 0 (ReLU, ReLU6): a column fired iff its sum is above 0
            return (column_sums(a2) if colsum is None else colsum) > 0
        return a2.max(axis=0) > 0
    return a.max(axis=tuple(d for d in range(a.ndim) if d != axis % a.ndim)) > 0


def still_unfired(unfired, a, axis, nonneg, colsum=None):
    """The indices of the units (indices along ``axis`` of ``a``) among ``unfired`` (all units when
    None) whose outputs in ``a`` are all at or below 0 (not fired; NaN counts as not fired).

    Only the units still unfired are read: after a step or two of a healthy network a few are
    left, and one gather and one maximum over their columns tell that none of them fired (the
    usual answer). ``nonneg`` says ``a >= 0`` (ReLU, ReLU6): a unit fired iff its column sum is
    above 0, one GEMV (``colsum``, when the caller already has it).
    """
    if unfired is None:
        return np.flatnonzero(~_fired(a, axis, nonneg, colsum))
    if unfired.size == 0:
        return unfired
    if colsum is not None:
        return unfired[~(colsum[unfired] > 0)]
    sub = a.take(unfired, axis=axis)
    if not np.maximum.reduce(sub, axis=None) > 0:    # none of them fired (the common case)
        return unfired
    return unfired[~_fired(sub, axis, False, None)]


def tail_count(a, kind):
    """How many outputs of a Sigmoid (``kind="sigmoid"``) or Tanh layer are in the flat tails, where
    the local derivative is below 5 % of its peak (``s(1-s) < 0.0125``, ``1-t² < 0.05``)."""
    if kind == "sigmoid":
        return int(np.count_nonzero(a * (1 - a) < SIGMOID_TAIL))
    return int(np.count_nonzero(1 - a * a < TANH_TAIL))
