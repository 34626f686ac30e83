"""Sorting and selection: sort, argsort, topk, median and mode give values with their indices along a dim
(a named tuple, as max/min along a dim); unique gives the distinct values, nonzero the indices of the
non-zero elements.

Layer: above views, rearrange, index and reduce.
"""
import numpy as np

from .._tensor import _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import NO_KEEPDIM, norm_dim, numpy_dim
from .index import gather
from .rearrange import clone
from .reduce import _NO_DIM, int_dim_args, values_indices
from .views import reshape, squeeze

__all__ = ["sort", "argsort", "topk", "median", "mode", "unique", "nonzero"]


def _order(a, axis, descending):
    """Stable argsort along ``axis``; descending as PyTorch: largest first, NaN before everything.

    Integers are reversed with ``~a`` (exact for unsigned and for int64's -2**63, unlike ``-a``)."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    if a.dtype.kind in "biu":
        return np.argsort(~a, axis=axis, kind="stable")
    idx = np.argsort(-a, axis=axis, kind="stable")
    nan = np.isnan(np.take_along_axis(a, idx, axis=axis))
    if nan.any():                                        # NaN counts as the largest value
        idx = np.take_along_axis(idx, np.argsort(~nan, axis=axis, kind="stable"), axis=axis)
    return idx


def sort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """Sorted values and their indices along ``dim`` (always a stable sort, so ``stable`` is honoured)."""
    if axis is not None:
        dim, _ = numpy_dim("sort", dim, axis, default=-1)
    d = norm_dim(dim, input._data.ndim)
    idx = _order(input._data, d, descending) if input._data.ndim else np.zeros((), np.int64)
    idx = idx.astype(np.int64)
    return values_indices(gather(input, d, _wrap(idx)) if input._data.ndim else clone(input), _wrap(idx), "sort")


def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    if axis is not None:
        dim, _ = numpy_dim("argsort", dim, axis, default=-1)
    return sort(input, dim, descending, stable)[1]


def topk(input, k, dim=-1, largest=True, sorted=True, *, axis=None):
    """The ``k`` largest (or smallest) values and their indices along ``dim`` (always in sorted order,
    which ``sorted=False`` allows)."""
    if axis is not None:
        dim, _ = numpy_dim("topk", dim, axis, default=-1)
    if input._data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU (as PyTorch); convert with .long() first")
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k={k}, size of dim {dim} is {n})")
    if input._data.ndim == 0:                            # a scalar: itself, index 0 (k is 0 or 1, as PyTorch)
        idx = np.zeros((), np.int64)
        return values_indices(clone(input), _wrap(idx), "topk")
    idx = np.take(_order(input._data, d, largest), np.arange(k), axis=d).astype(np.int64)
    return values_indices(gather(input, d, _wrap(idx)), _wrap(idx), "topk")


class EvenlyDistributed(Op):
    """out = the element of ``a`` at flat index ``idx`` (the median or nanmedian of all elements);
    dL/da = g / count at every element equal to out (at every NaN when out is NaN), 0 elsewhere:
    PyTorch's gradient for a value that several elements share."""
    backward_name = "MedianBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, idx):
        out = np.array(a.reshape(-1)[idx])
        ctx.save_for_backward(a)
        ctx.value = out.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        xp = array_namespace(grad)
        av, v = xp.asarray(a), ctx.value
        ties = np.isnan(av) if v.dtype.kind == "f" and np.isnan(v) else av == v      # a constant
        return xp.where(ties, grad / int(ties.sum()), 0.0), None


def median(input, dim=_NO_DIM, keepdim=NO_KEEPDIM, *, axis=None, keepdims=None):
    """Lower median (as PyTorch); with ``dim`` a ``(values, indices)`` pair."""
    dim, keepdim = int_dim_args("median", dim, keepdim, axis, keepdims)
    if input._data.dtype == np.bool_ and input._data.size:
        raise NotImplementedError('"median" is not implemented for bool tensors (as in PyTorch); convert with '
                                  '.long() first')
    if dim is None:
        flat = reshape(input, -1)
        if flat._data.size == 0 and flat._data.dtype.kind == "f":   # nothing to take: nan, as PyTorch
            return _wrap(np.full((), np.nan, flat._data.dtype))
        if flat._data.size == 0:   # PyTorch's nan cast to the integer type (x86: int32/int64 minimum)
            dt = flat._data.dtype
            nan = True if dt == np.bool_ else np.iinfo(dt).min if dt in (np.int32, np.int64) else 0
            return _wrap(np.full((), nan, dt))
        k = (flat._data.size - 1) // 2
        idx = np.argsort(flat._data, kind="stable")[k]
        if flat._data.dtype.kind == "f" and np.isnan(flat._data).any():
            idx = np.argmax(np.isnan(flat._data))           # NaN propagates: the first NaN, as PyTorch
        return EvenlyDistributed.apply(input, int(idx))
    d = norm_dim(dim, input._data.ndim)
    if input._data.ndim == 0:                            # a scalar is its own median, index 0
        return values_indices(clone(input), _wrap(np.zeros((), np.int64)), "median")
    if input._data.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size (the input has shape "
                         f"{tuple(input.shape)})")
    k = (input._data.shape[d] - 1) // 2
    order = np.argsort(input._data, axis=d, kind="stable")
    idx = np.take(order, [k], axis=d)
    if input._data.dtype.kind == "f":                    # NaN propagates: a row's first NaN, as PyTorch
        nan = np.isnan(input._data)
        if nan.any():
            idx = np.where(nan.any(axis=d, keepdims=True), np.argmax(nan, axis=d, keepdims=True), idx)
    vals = gather(input, d, _wrap(idx))
    if not keepdim:
        vals = squeeze(vals, d)
        idx = idx.squeeze(d)
    return values_indices(vals, _wrap(idx.astype(np.int64)), "median")


def _mode_indices(a, d):
    """Index along axis ``d`` of each row's mode: the smallest of the most frequent values, at its
    last occurrence (PyTorch's CPU choice). A stable sort keeps equal values in input order, so each
    run of equal sorted values ends at the value's last occurrence."""
    rows = np.moveaxis(a, d, -1)
    n = rows.shape[-1]
    order = np.argsort(rows, axis=-1, kind="stable")
    s = np.take_along_axis(rows, order, -1)
    pos = np.broadcast_to(np.arange(n), s.shape)
    new_run = np.ones(s.shape, bool)
    new_run[..., 1:] = s[..., 1:] != s[..., :-1]
    last = np.ones(s.shape, bool)
    last[..., :-1] = new_run[..., 1:]
    start = np.maximum.accumulate(np.where(new_run, pos, 0), axis=-1)
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, pos, n), -1), axis=-1), -1)
    best = np.argmax(end - start, axis=-1)[..., None]           # first longest run: the smallest value
    idx = np.take_along_axis(order, np.take_along_axis(end, best, -1), -1)
    return np.moveaxis(idx, -1, d).astype(np.int64)


def mode(input, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    """The most frequent value along ``dim`` (the smallest if several are), with the index of its last
    occurrence, as a ``(values, indices)`` pair; gradients flow to that element.

    Example:
        >>> ember.tensor([[1., 2., 2., 3., 3.]]).mode(1)       # values=[2.], indices=[2]
    """
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("mode", dim, axis, keepdim, keepdims, default=-1)
    if input._data.ndim == 0:
        return values_indices(clone(input), _wrap(np.zeros((), np.int64)), "mode")
    d = norm_dim(dim, input._data.ndim)
    if input._data.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size (input shape "
                         f"{tuple(input._data.shape)}); pick a dim with at least one element")
    idx = _mode_indices(input._data, d)
    vals = gather(input, d, _wrap(idx))
    if not keepdim:
        vals = squeeze(vals, d)
        idx = idx.squeeze(d)
    return values_indices(vals, _wrap(idx), "mode")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along ``dim``) in ascending order, as PyTorch gives them on the CPU
    whatever ``sorted`` says; ``return_inverse``: where each element (slice) of the input went."""
    if dim is not None:
        dim = norm_dim(dim, input._data.ndim)
    res = np.unique(input._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(res, tuple):
        return _wrap(res)
    out = [_wrap(res[0])]
    inverse_shape = input._data.shape if dim is None else (input._data.shape[dim],)
    out += [_wrap(np.asarray(r, np.int64).reshape(inverse_shape if i == 0 and return_inverse else -1))
            for i, r in enumerate(res[1:])]
    return tuple(out)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: one row per element (or, ``as_tuple``, one tensor per dim).
    A 0-d tensor has one row of no indices if it is non-zero (``as_tuple``: a 1-d tensor ``[0]``)."""
    if input._data.ndim == 0:                       # NumPy refuses 0-d input; PyTorch's answer
        hit = int(bool(input._data))
        if as_tuple:
            return (_wrap(np.zeros(hit, np.int64)),)
        return _wrap(np.zeros((hit, 0), np.int64))
    nz = np.nonzero(input._data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in nz)
    return _wrap(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))
