"""Cumulative extremes, order statistics and counting, as PyTorch defines them.

Math and PyTorch's rules, by function:

- ``cummax`` / ``cummin``: out_j = max_{i<=j} a_i (min) with the index where it was taken. On ties
  the index moves to the latest equal element (the update is ``a_j >= out_{j-1}``); a NaN is the
  running value from its position on, and each later NaN takes the index. Gradients flow to the index.
- ``logcumsumexp``: out_j = log sum_{i<=j} exp(a_i), accumulated pairwise with logaddexp (stable for
  any range). d out_j / d a_i = exp(a_i - out_j) for i <= j, so
  dL/da_i = sum_{j>=i} g_j exp(a_i - out_j), computed (first order) as
  exp(a_i + L+_i) - exp(a_i + L-_i) with L+- the reversed logcumsumexp of log(g+-) - out.
- ``kthvalue``: the k-th smallest (1-based) along a dim, NaN counting as the largest. Which of several
  equal values is reported follows PyTorch's CPU quickselect (median-of-three pivot), replayed for
  the rows where the k-th value ties.
- ``nanmedian``: the lower median of the non-NaN values of each row (equal values: the first in
  input order). An all-NaN row gives NaN at the index PyTorch's selection leaves in front. Without a
  dim, the gradient is shared evenly by all elements equal to the result (all NaN if it is NaN).
- ``quantile`` / ``nanquantile``: on the ascending sort, rank r = q (n - 1) (n the row's length, or its
  non-NaN count for nanquantile); 'linear' interpolates between floor(r) and ceil(r), 'lower',
  'higher' take one of them, 'midpoint' their mean, 'nearest' rounds r half to even. A row with a
  NaN (quantile) or with only NaN (nanquantile) gives NaN. Gradients flow through the sort to the
  sorted positions used (ember's sort is stable: among equal values or NaN in rows longer than ~16,
  PyTorch's unstable CPU sort may route it to a different, equal element).
- ``searchsorted`` / ``bucketize``: a binary search with PyTorch's comparisons (left: the first i
  with s_i >= v; right: the first with s_i > v); a NaN value goes past every element.
- ``bincount``, ``histc``, ``isin``, ``unique_consecutive`` (NaN never equals NaN), ``argwhere``, ``msort``.

Layer: above sorting (it uses sort, gather and the reductions).
"""
import numbers

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import NO_KEEPDIM, norm_dim, numpy_keywords
from .index import gather
from .reduce import _NO_DIM, int_dim_args, values_indices
from .rearrange import clone
from .sorting import EvenlyDistributed, median, nonzero, sort
from .views import movedim, reshape, squeeze, unsqueeze

__all__ = ["cummax", "cummin", "logcumsumexp", "kthvalue", "nanmedian", "quantile", "nanquantile", "msort",
           "searchsorted", "bucketize", "bincount", "histc", "isin", "unique_consecutive", "argwhere"]


def _check_tensor(name, value, what="input"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be a Tensor, not {type(value).__name__}")


# -- cummax / cummin ----------------------------------------------------------------------------
def _cum_extreme(input, dim, name, accumulate, ge):
    _check_tensor(name, input)
    a = input._data
    d = norm_dim(dim, a.ndim)
    if a.ndim == 0:
        return values_indices(clone(input), _wrap(np.zeros((), np.int64)), name)
    if a.size == 0:
        return values_indices(clone(input), _wrap(np.zeros(a.shape, np.int64)), name)
    with np.errstate(invalid="ignore"):
        running = accumulate(a, axis=d)                  # NaN propagates in np.maximum / np.minimum
        update = ge(a, running) if a.dtype != np.bool_ else a == running
    if a.dtype.kind == "f":
        update = update | np.isnan(a)
    shape = [1] * a.ndim
    shape[d] = a.shape[d]
    pos = np.broadcast_to(np.arange(a.shape[d]).reshape(shape), a.shape)
    idx = np.maximum.accumulate(np.where(update, pos, 0), axis=d).astype(np.int64)
    return values_indices(gather(input, d, _wrap(idx)), _wrap(idx), name)


def cummax(input, dim):
    """Running maximum along ``dim`` with its index, as ``(values, indices)``.

    Example:
        >>> ember.cummax(ember.tensor([1., 3., 2., 3.]), 0)   # values=[1,3,3,3], indices=[0,1,1,3]
    """
    return _cum_extreme(input, dim, "cummax", np.maximum.accumulate, np.greater_equal)


def cummin(input, dim):
    """Running minimum along ``dim`` with its index, as ``(values, indices)``.

    Example:
        >>> ember.cummin(ember.tensor([3., 1., 2., 1.]), 0)   # values=[3,1,1,1], indices=[0,1,1,3]
    """
    return _cum_extreme(input, dim, "cummin", np.minimum.accumulate, np.less_equal)


# -- logcumsumexp -------------------------------------------------------------------------------
def _np_logcumsumexp(a, d, reverse=False):
    if reverse:
        return np.flip(np.logaddexp.accumulate(np.flip(a, d), axis=d), d)
    return np.logaddexp.accumulate(a, axis=d)


class Logcumsumexp(Op):
    """out_j = log sum_{i<=j} exp(a_i);  dL/da_i = sum_{j>=i} g_j exp(a_i - out_j)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        with np.errstate(invalid="ignore"):
            out = _np_logcumsumexp(a, dim) if a.ndim else a.copy()
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if grad.ndim == 0 or 0 in grad.shape:
            return grad
        xp = array_namespace(grad)
        d = ctx.dim
        if not xp.graph:
            with np.errstate(all="ignore"):
                pos = _np_logcumsumexp(np.log(np.where(grad > 0, grad, 0)) - out, d, reverse=True)
                neg = _np_logcumsumexp(np.log(np.where(grad < 0, -grad, 0)) - out, d, reverse=True)
                return (np.exp(a + pos) - np.exp(a + neg)).astype(a.dtype, copy=False)
        # create_graph: the (i, j) weights exp(a_i - out_j), i <= j, written with recorded ops.
        a_m, out_m, g_m = xp.moveaxis(a, d, -1), xp.moveaxis(out, d, -1), xp.moveaxis(grad, d, -1)
        n = a_m.shape[-1]
        upper = np.triu(np.ones((n, n), bool))          # [i, j]: j >= i
        diff = xp.expand_dims(a_m, -1) - xp.expand_dims(out_m, -2)
        w = xp.exp(xp.where(upper, diff, -np.inf))
        return xp.moveaxis(xp.sum(w * xp.expand_dims(g_m, -2), axis=-1), -1, d)


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, computed stably.

    Example:
        >>> ember.logcumsumexp(ember.tensor([0., 0.]), 0)     # [0., log 2]
    """
    _check_tensor("logcumsumexp", input)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"logcumsumexp" is not implemented for {input.dtype} (as in PyTorch); '
                                  "convert the input with .float() first")
    return Logcumsumexp.apply(input, norm_dim(dim, input._data.ndim))


# -- kthvalue / nanmedian / msort ---------------------------------------------------------------
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value along ``dim`` (1-based) and its index, as ``(values, indices)``.

    Example:
        >>> ember.kthvalue(ember.tensor([3., 1., 2.]), 2)      # values=2., indices=2
    """
    _check_tensor("kthvalue", input)
    if input._data.dtype == np.bool_:
        raise NotImplementedError('"kthvalue_cpu" is not implemented for bool tensors (as in PyTorch); convert '
                                  "with .long() first")
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' must be int, not {type(k).__name__}")
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size (input shape "
                         f"{tuple(input._data.shape)})")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}: expected "
                         f"1 <= k <= {n} (the size of that dimension), got k={k}")
    if input._data.ndim == 0:
        return values_indices(clone(input), _wrap(np.zeros((), np.int64)), "kthvalue")
    idx = np.moveaxis(_kth_indices(np.moveaxis(input._data, d, -1), k - 1), -1, d)
    vals = gather(input, d, _wrap(idx))
    if not keepdim:
        vals, idx = squeeze(vals, d), idx.squeeze(d)
    return values_indices(vals, _wrap(idx), "kthvalue")


def _greater_or_nan(x, y):
    """PyTorch's selection order: NaN above every number."""
    return (x != x and y == y) or x > y


def _quickselect_index(row, k):
    """Index of the ``k``-th smallest (0-based) of ``row`` as PyTorch's CPU kthvalue finds it: a
    quickselect with a median-of-three pivot, swapping values and indices together (so which of equal
    values is reported follows that algorithm's swaps)."""
    arr, idx = list(row), list(range(len(row)))

    def swap(a, b):
        arr[a], arr[b] = arr[b], arr[a]
        idx[a], idx[b] = idx[b], idx[a]

    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if _greater_or_nan(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)
        if _greater_or_nan(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _greater_or_nan(arr[lo], arr[hi]):
            swap(lo, hi)
        if _greater_or_nan(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _greater_or_nan(pivot, arr[i]):
                i += 1
            j -= 1
            while _greater_or_nan(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


def _kth_indices(rows, k):
    """int64 indices (shape (..., 1)) of each row's ``k``-th smallest (0-based) along the last axis.

    The value comes from a sort; where it is unique in its row that fixes the index, and rows where it
    ties (or is a repeated NaN) take PyTorch's quickselect to pick the same one of the equal elements."""
    n = rows.shape[-1]
    flat = rows.reshape(-1, n)
    order = np.argsort(flat, axis=-1, kind="stable")
    idx = order[:, k].astype(np.int64)
    kth = flat[np.arange(flat.shape[0]), idx][:, None]
    same = (flat == kth) | ((flat != flat) & (kth != kth))
    for r in np.flatnonzero(same.sum(axis=-1) > 1):
        idx[r] = _quickselect_index(flat[r].tolist(), k)
    return idx.reshape(rows.shape[:-1] + (1,))


def nanmedian(input, dim=_NO_DIM, keepdim=NO_KEEPDIM):
    """The lower median of the non-NaN values (all NaN: NaN); with ``dim`` a ``(values, indices)`` pair.

    Example:
        >>> ember.nanmedian(ember.tensor([1., float('nan'), 3., 2.]))     # 2.
    """
    _check_tensor("nanmedian", input)
    dim, keepdim = int_dim_args("nanmedian", dim, keepdim)
    a = input._data
    if a.dtype == np.bool_ and a.size:
        raise NotImplementedError('"nanmedian" is not implemented for bool tensors (as in PyTorch); convert '
                                  "with .long() first")
    if a.dtype.kind != "f":
        return median(input, dim, keepdim) if dim is not None else median(input)   # no NaN: the median
    if dim is None:
        if a.size == 0:
            return _wrap(np.full((), np.nan, a.dtype))
        _, idx = _nanmedian_rows(_wrap(a.reshape(-1)), 0)
        return EvenlyDistributed.apply(input, int(idx[0]))
    d = norm_dim(dim, a.ndim)
    if a.ndim == 0:
        return values_indices(clone(input), _wrap(np.zeros((), np.int64)), "nanmedian")
    if a.shape[d] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {dim} to have non-zero size (the input has "
                         f"shape {tuple(a.shape)})")
    vals, idx = _nanmedian_rows(input, d)
    if not keepdim:
        vals, idx = squeeze(vals, d), idx.squeeze(d)
    return values_indices(vals, _wrap(idx), "nanmedian")


def _nanmedian_rows(input, d):
    """(values kept along ``d``, int64 indices) of each row's lower median of its non-NaN values."""
    a = input._data
    order = np.argsort(a, axis=d, kind="stable")                 # NaN last
    count = np.sum(~np.isnan(a), axis=d, keepdims=True)
    k = np.maximum(count - 1, 0) // 2
    idx = np.take_along_axis(order, k, axis=d)
    idx = np.where(count == 0, _all_equal_select(a.shape[d]), idx).astype(np.int64)   # all NaN
    return gather(input, d, _wrap(idx)), idx


def _all_equal_select(n):
    """Which position PyTorch's CPU nanmedian reports for a row of ``n`` NaN: its selection (an
    introselect, as C++'s nth_element in libstdc++) for k = 0 over elements that all compare equal.
    Each round moves the middle element to the front and swaps pairs inward from both ends until they
    meet; the part before the meeting point is kept until at most 3 remain (then the first is taken)."""
    order = list(range(n))
    first, last = 0, n
    while last - first > 3:
        mid = first + (last - first) // 2
        order[first], order[mid] = order[mid], order[first]
        lo, hi = first + 1, last
        while True:
            hi -= 1
            if not lo < hi:
                break
            order[lo], order[hi] = order[hi], order[lo]
            lo += 1
        last = lo
    return order[first]


def msort(input):
    """``input`` sorted along its first dim (``sort(input, dim=0).values``).

    Example:
        >>> ember.msort(ember.tensor([[2., 1.], [1., 3.]]))    # [[1., 1.], [2., 3.]]
    """
    _check_tensor("msort", input)
    return sort(input, 0)[0]


# -- quantile / nanquantile ---------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    _check_tensor(name, input)
    a = input._data
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype (got {input.dtype}); "
                           "convert it with .float() or .double()")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. Got "
                           f"'{interpolation}'")
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor (got {q._data.ndim} dims)")
        if q._data.dtype != a.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor (input {input.dtype}, "
                               f"q {q.dtype}); convert q with .to(input.dtype)")
        qs, q_dim = q._data.reshape(-1), q._data.ndim == 1
    elif isinstance(q, numbers.Real) and not isinstance(q, bool):
        qs, q_dim = np.asarray([q], np.float64), False
    else:
        raise TypeError(f"{name}(): argument 'q' must be a float or a Tensor, not {type(q).__name__}")
    if ((qs < 0) | (qs > 1)).any() or np.isnan(qs).any():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1] (got {qs.tolist()})")
    if dim is None:
        x, d = reshape(input, -1), 0
    else:
        d = norm_dim(dim, a.ndim)
        x = input if a.ndim else reshape(input, 1)
        d = d if a.ndim else 0
    if a.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty (got shape {tuple(a.shape)})")
    x = movedim(x, d, -1)                                        # rows along the last axis
    out = _quantile_rows(x, qs.astype(a.dtype), interpolation, ignore_nan)   # (..., Q)
    # shape: q's dim first (if q is 1-D), then the input's dims with dim dropped (or kept as 1)
    out = movedim(out, -1, 0)
    if keepdim:
        if dim is None:
            out = reshape(out, (len(qs),) + (1,) * a.ndim)
        elif a.ndim:
            out = unsqueeze(out, d + 1)
    if not q_dim:
        out = squeeze(out, 0)
    return out


def _quantile_rows(x, qs, interpolation, ignore_nan):
    """Quantiles ``qs`` of each row (last axis) of the Tensor ``x``: shape (..., len(qs))."""
    a = x._data
    n = a.shape[-1]
    nan = np.isnan(a)
    srt = sort(x, -1)[0]                                           # NaN last; gradients through the gather
    dt = a.dtype.type
    if ignore_nan:
        count = np.sum(~nan, axis=-1, keepdims=True)
        last = (count - 1).astype(a.dtype)
        invalid = count == 0                                     # only NaN: NaN
    else:
        last = np.full(a.shape[:-1] + (1,), n - 1, a.dtype)
        invalid = nan.any(axis=-1, keepdims=True)                # a NaN: NaN
    rank = qs * last                                             # (..., Q), in the input's dtype
    # points at a NaN: quantile's last sorted element; nanquantile's all-NaN row at its first (as PyTorch)
    rank = np.where(invalid, dt(0 if ignore_nan else n - 1), rank)
    if interpolation == "nearest":
        rank = np.round(rank)                                    # half to even, as PyTorch
    lo = np.floor(rank).astype(np.int64)
    hi = np.ceil(rank).astype(np.int64)
    if interpolation in ("lower", "nearest"):
        return gather(srt, -1, _wrap(lo))
    if interpolation == "higher":
        return gather(srt, -1, _wrap(hi))
    lo_v, hi_v = gather(srt, -1, _wrap(lo)), gather(srt, -1, _wrap(hi))
    w = np.full(rank.shape, 0.5, a.dtype) if interpolation == "midpoint" else (rank - lo).astype(a.dtype)
    return _lerp(lo_v, hi_v, w)


def _lerp(start, end, w):
    """PyTorch's lerp: start + w (end - start) for w < 0.5, else end - (end - start)(1 - w)."""
    diff = end - start
    small = w < 0.5
    return (start + _wrap(w) * diff).where(_wrap(small), end - diff * _wrap((1 - w).astype(w.dtype)))


@numpy_keywords
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles of ``input`` (all of it, or along ``dim``); a row with NaN gives NaN.

    ``q`` is a float or a 1-D tensor (its dim comes first in the result).

    Example:
        >>> ember.quantile(ember.tensor([1., 2., 3., 4.]), 0.5)                       # 2.5
        >>> ember.quantile(ember.tensor([1., 2., 3., 4.]), 0.5, interpolation='lower')  # 2.
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


@numpy_keywords
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaN (a row of only NaN gives NaN).

    Example:
        >>> ember.nanquantile(ember.tensor([1., float('nan'), 3.]), 0.5)             # 2.
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


# -- searchsorted / bucketize -------------------------------------------------------------------
def _bound(seq, vals, right):
    """Per row of ``seq`` (last axis, sorted), the insertion point of each of ``vals`` (same leading
    dims): PyTorch's binary search (left: first i with not(s_i < v) spelt ``s_i >= v``; right: ``s_i > v``)."""
    n = seq.shape[-1]
    start = np.zeros(vals.shape, np.int64)
    end = np.full(vals.shape, n, np.int64)
    with np.errstate(invalid="ignore"):
        while True:
            active = start < end
            if not active.any():
                return start
            mid = start + ((end - start) >> 1)
            mv = np.take_along_axis(seq, np.minimum(mid, max(n - 1, 0)), axis=-1) if n else vals
            go_right = ~(mv > vals) if right else ~(mv >= vals)
            start = np.where(active & go_right, mid + 1, start)
            end = np.where(active & ~go_right, mid, end)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    """Indices at which ``input``'s values would be inserted into ``sorted_sequence`` (sorted along its
    last dim) to keep it sorted; ``right=True`` (or ``side='right'``) gives the position after equal values.

    Example:
        >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 6]))             # [1, 3]
        >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 6]), right=True)  # [2, 3]
    """
    if out is not None:
        raise NotImplementedError("searchsorted(): out= is not supported by ember; use the returned tensor")
    _check_tensor("searchsorted", sorted_sequence, "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got '{side}'")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               "left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    if scalar and not (isinstance(input, numbers.Number) and not isinstance(input, bool)):
        raise TypeError(f"searchsorted(): argument 'input' must be a Tensor or a number, not "
                        f"{type(input).__name__}")
    vals = np.asarray(input) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got "
                           "0 dimension; pass a 1-D (or N-D) sorted sequence")
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.ndim})")
    if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
    if sorter is not None:
        _check_tensor("searchsorted", sorter, "sorter")
        if sorter._data.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor {list(sorter._data.shape)}")
        if sorter._data.dtype != np.int64:
            raise TypeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                            f"{sorter.dtype}")
        s = sorter._data
        if s.size and (s.min() < 0 or s.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, s, axis=-1)
    if not scalar and vals.dtype != seq.dtype:
        common = np.result_type(vals, seq)
        vals, seq = vals.astype(common), seq.astype(common)
    elif scalar:
        vals = vals.astype(np.result_type(seq, vals) if vals.dtype.kind == "f" else seq.dtype)
    if seq.ndim == 1:
        flat = vals.reshape(1, -1)
        res = _bound(seq.reshape(1, -1), flat, right).reshape(vals.shape)
    else:
        res = _bound(seq, vals, right)
    return _wrap(res.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each of ``input``'s values among the sorted 1-D ``boundaries``: the index i with
    boundaries[i-1] < x <= boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i]).

    Example:
        >>> ember.bucketize(ember.tensor([1, 5, 9]), ember.tensor([1, 3, 5, 7]))            # [0, 2, 4]
    """
    _check_tensor("bucketize", boundaries, "boundaries")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension but got dim("
                           f"{boundaries._data.ndim}); flatten it or use searchsorted for N-D boundaries")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# -- counting -----------------------------------------------------------------------------------
def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in the 1-D ``input`` (or the sum of its ``weights``).

    Example:
        >>> ember.bincount(ember.tensor([0, 2, 2]))             # [1, 0, 2]
    """
    _check_tensor("bincount", input)
    a = input._data
    if a.dtype == np.bool_:
        raise NotImplementedError('"bincount_cpu" not implemented for bool tensors (as in PyTorch); convert '
                                  "with .long() first")
    if a.dtype.kind not in "iu":
        raise RuntimeError(f'"bincount_cpu" not implemented for {input.dtype}; bincount counts integers '
                           "(convert with .long())")
    if a.ndim != 1:
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got {a.ndim} dims)")
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0 (got {minlength})")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs (found a negative value)")
    if weights is None:
        return _wrap(np.bincount(a.astype(np.int64), minlength=minlength).astype(np.int64))
    _check_tensor("bincount", weights, "weights")
    w = weights._data
    if w.ndim != 1 or w.shape[0] != a.shape[0]:
        raise RuntimeError(f"weights should be 1-d and have the same length as input (input {list(a.shape)}, "
                           f"weights {list(w.shape)})")
    out_dt = w.dtype if w.dtype.kind == "f" and w.dtype in (np.float32, np.float64) else np.float64
    counts = np.bincount(a.astype(np.int64), weights=w.astype(np.float64), minlength=minlength)
    return _wrap(counts.astype(out_dt))


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of ``input`` in ``bins`` equal bins over [min, max] (both 0: the data's range); values
    outside are ignored.

    Example:
        >>> ember.histc(ember.tensor([1., 2., 1.]), bins=4, min=0, max=3)   # [0., 2., 1., 0.]
    """
    if out is not None:
        raise NotImplementedError("histc(): out= is not supported by ember; use the returned tensor")
    _check_tensor("histc", input)
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f'"histogram_cpu" not implemented for {input.dtype}; histc takes floating '
                           "tensors (convert with .float())")
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    lo, hi = a.dtype.type(min), a.dtype.type(max)
    if lo > hi:
        raise RuntimeError(f"torch.histc: max must be larger than min (got min={min}, max={max})")
    if lo == hi and a.size:
        fin = a[np.isfinite(a)] if not np.isfinite(a).all() else a
        if fin.size != a.size:
            raise RuntimeError(f"torch.histc: range of [{a.min()}, {a.max()}] is not finite; pass finite "
                               "min and max")
        lo, hi = a.min(), a.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    flat = a.reshape(-1)
    keep = (flat >= lo) & (flat <= hi)                               # NaN drops out here
    v = flat[keep]
    with np.errstate(all="ignore"):
        pos = ((v - lo) * a.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos = np.clip(pos, 0, bins - 1)                                  # max itself falls in the last bin
    return _wrap(np.bincount(pos, minlength=bins).astype(a.dtype))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number); NaN is in nothing.

    Example:
        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 4]))          # [False, True, False]
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): at least one of 'elements' and 'test_elements' must be a Tensor (got "
                        f"{type(elements).__name__} and {type(test_elements).__name__})")
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _wrap(np.isin(e, t, invert=invert))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept once;
    optionally where each element went (``return_inverse``) and the run lengths (``return_counts``).

    Example:
        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 1]))             # [1, 2, 1]
    """
    _check_tensor("unique_consecutive", input)
    a = input._data
    if dim is None:
        rows = a.reshape(-1)
        inverse_shape = a.shape
        d = 0
    else:
        d = norm_dim(dim, a.ndim)
        if a.ndim == 0:
            raise IndexError(f"unique_consecutive(): dim {dim} out of range for a 0-d tensor; pass dim=None")
        if any(size == 0 for i, size in enumerate(a.shape) if i != d):
            raise RuntimeError(f"unique_consecutive(): there are 0-sized dimensions other than dim {dim} (input "
                               f"shape {tuple(a.shape)}), so unique cannot be applied")
        rows = a
        inverse_shape = (a.shape[d],)
    n = rows.shape[d]
    moved = np.moveaxis(rows, d, 0).reshape(n, int(np.prod(rows.shape)) // n if n else 0)
    new = np.ones(n, bool)
    if n > 1:
        new[1:] = (moved[1:] != moved[:-1]).any(axis=1) if moved.shape[1] else False
    starts = np.flatnonzero(new)
    out = _wrap(np.take(rows, starts, axis=d))
    if not (return_inverse or return_counts):
        return out
    inverse = _wrap((np.cumsum(new) - 1).astype(np.int64).reshape(inverse_shape))
    counts = _wrap(np.diff(np.append(starts, n)).astype(np.int64))
    if return_inverse and return_counts:
        return out, inverse, counts
    return (out, inverse) if return_inverse else (out, counts)


def argwhere(input):
    """The indices of ``input``'s non-zero elements, one row per element (``nonzero(input)``).

    Example:
        >>> ember.argwhere(ember.tensor([[0, 1], [2, 0]]))      # [[0, 1], [1, 0]]
    """
    _check_tensor("argwhere", input)
    if input._data.ndim == 0:
        return _wrap(np.zeros((1 if input._data.item() else 0, 0), np.int64))
    return nonzero(input)
