"""Reductions: sum, nansum, mean, prod, max/min, amax/amin/aminmax, argmax/argmin, var/std (and
var_mean/std_mean), logsumexp, norm, all/any/count_nonzero, trace. ``dim`` may be an int or a tuple;
``keepdim`` as PyTorch. max/min along a dim give ``(values, indices)`` as a named tuple
(``return_type``), as sort, topk and median in ``sorting`` do.

Layer: above arithmetic, comparison, clamp_where and diagonals; below cumulative, sorting, linalg
and activation.
"""
import builtins
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype
from .._blocked import mean_all, sum_all
from .._dtype import to_numpy_dtype
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from .. import _torch_sum
from ._cast import to_dtype
from ._util import (NO_KEEPDIM, dim_none_refused, expand_reduced, keepdim_without_dim, norm_dim, norm_dims, numpy_dim,
                    numpy_keywords)
from .clamp_where import maximum, minimum
from .arithmetic import div
from .comparison import isnan, logical_not
from .diagonals import diagonal

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "var_mean", "std_mean", "logsumexp", "norm", "all", "any", "count_nonzero", "nansum", "nanmean",
           "aminmax", "trace"]


_RETURN_TYPES = {}


def return_type(name, fields=("values", "indices")):
    """A named tuple printed as PyTorch's ``torch.return_types.max(values=..., indices=...)``."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        base = namedtuple(name, fields)

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"{_dtype.DISPLAY_NAMESPACE}.return_types.{name}(\n{body})"
        cls = _RETURN_TYPES[name] = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                                         "__module__": "ember.return_types"})
    return cls


def values_indices(values, indices, name="max"):
    return return_type(name)(values, indices)


def _axes(dim, ndim):
    if ndim:
        return norm_dims(dim, ndim)
    norm_dims(dim, 0)                                    # a 0-d tensor takes dim 0 / -1 only
    return ()


def _axes_or_all(dim, ndim):
    """NumPy's ``axis`` for ``dim``: None (every axis) when no dim is given."""
    return None if dim is None else _axes(dim, ndim)


def _every_axis(axes, ndim):
    """``axes`` with None (a full reduction) spelled out as every axis."""
    return axes if axes is not None else tuple(range(ndim))


def _count(shape, axes):
    """How many elements a reduction over ``axes`` takes together."""
    n = 1
    for ax in axes:
        n *= shape[ax]
    return n


def _save_reduction(ctx, a, out, axes, keepdim):
    """Save a reduction's input and output (and its axes, keepdim) for its backward; returns out."""
    ctx.save_for_backward(a, out)
    ctx.axes, ctx.keepdim = axes, keepdim
    return out


class Sum(Op):
    """out = sum of a over ``axes``;  dL/da = g broadcast back to a's shape"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        if dtype is None and a.dtype == np.float32:
            r = _torch_sum.reduce_last(a, axes, keepdim)     # PyTorch's order of adding (small sums)
            if r is not None:
                return r
        if axes is None and not keepdim and dtype is None:
            return np.asarray(sum_all(a))          # np.add.reduce(a), on ember's threads when large
        return np.asarray(np.add.reduce(a, axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdim)


class SumDim(Sum):
    backward_name = "SumBackward1"  # torch's name for the dim overload


class _NoDim:
    """The default ``dim`` of sum and mean: None, told apart from an explicit ``dim=None``
    (PyTorch's overload without ``dim`` takes no ``keepdim``; ``dim=None, keepdim=True`` is legal)."""
    __slots__ = ()

    def __repr__(self):
        return "None"


_NO_DIM = _NoDim()


def int_dim_args(name, dim, keepdim, axis=None, keepdims=None):
    """``(dim, keepdim)`` of a reduction whose ``dim`` must be an int or left out (prod, max, min,
    median): ``dim=None`` and ``keepdim`` without ``dim`` are PyTorch's TypeErrors; NumPy's
    ``axis``/``keepdims`` spellings are accepted as aliases."""
    if dim is _NO_DIM:
        dim = None
    elif dim is None:
        raise dim_none_refused(name)
    if keepdim is NO_KEEPDIM:
        if axis is not None or keepdims is not None:
            return numpy_dim(name, dim, axis, NO_KEEPDIM, keepdims, keepdim_needs_dim=True)
        return dim, False
    if axis is not None or keepdims is not None or dim is None:
        return numpy_dim(name, dim, axis, keepdim, keepdims, keepdim_needs_dim=True)
    return dim, keepdim


def _axis_as_dim(name, dim, axis):
    """NumPy's ``axis=`` given to sum or mean (``None`` included: an explicit every-element
    reduction, which takes ``keepdim`` as ``dim=None`` does) as their ``dim``."""
    if axis is _NO_DIM:
        return dim
    if dim is not _NO_DIM:
        raise TypeError(f"{name}() got both 'dim' and its alias 'axis'; pass only one")
    return axis


def _sum_mean_args(name, dim, keepdim, axis, keepdims):
    """``(dim, keepdim)`` of sum or mean: ``dim`` left out is None (keepdim without any dim is
    PyTorch's TypeError); NumPy's ``axis``/``keepdims`` spellings are accepted as aliases."""
    dim = _axis_as_dim(name, dim, axis)
    if dim is _NO_DIM:
        dim = _dim_given(name, dim, None, keepdim, keepdims)
    if keepdim is NO_KEEPDIM:
        keepdim = False
    if keepdims is not None:
        dim, keepdim = numpy_dim(name, dim, None, keepdim, keepdims)
    return dim, keepdim


def _dim_given(name, dim, axis, keepdim, keepdims):
    """``dim`` with the default resolved to None; keepdim without any dim is PyTorch's TypeError."""
    if dim is not _NO_DIM:
        return dim
    if axis is None and (keepdim is not NO_KEEPDIM or keepdims is not None):
        raise keepdim_without_dim(name)
    return None


def sum(input, dim=_NO_DIM, keepdim=NO_KEEPDIM, *, dtype=None, axis=_NO_DIM, keepdims=None):
    """Sum over all elements or over ``dim``; integer and bool tensors sum to int64."""
    dim, keepdim = _sum_mean_args("sum", dim, keepdim, axis, keepdims)
    d = input._data.dtype
    npd = np.dtype(dtype.np if hasattr(dtype, "np") else dtype) if dtype is not None else (
        np.int64 if d.kind in "biu" else None)
    if dim is None and not keepdim and input._data.ndim and npd is None:
        return Sum.apply(input, None, False, None)
    return (Sum if dim is None else SumDim).apply(input, _axes(dim, input._data.ndim), keepdim, npd)


class NanSum(Op):
    """out = sum of the non-NaN elements of a over ``axes``;  dL/da = g broadcast back * [a is not NaN]
    (a product, as PyTorch's: a NaN gradient reaches every element)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.save_for_backward(a)
        ctx.axes, ctx.keepdim = axes, keepdim
        return np.asarray(np.add.reduce(np.where(np.isnan(a), a.dtype.type(0), a), axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        xp = array_namespace(grad)
        present = np.logical_not(np.isnan(xp.asarray(a)))          # a constant: no gradient through it
        return expand_reduced(grad, a.shape, ctx.axes, ctx.keepdim) * present


def nansum(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Sum of the non-NaN elements, over all or over ``dim``.

    Example:
        >>> ember.tensor([1.0, float("nan"), 3.0]).nansum()
        tensor(4.)
    """
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("nansum", dim, axis, keepdim, keepdims)
    if input._data.dtype.kind != "f":
        return sum(input, dim, keepdim)
    return NanSum.apply(input, _axes_or_all(dim, input._data.ndim), keepdim)


@numpy_keywords
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the non-NaN elements, over all or over ``dim`` (nan where every one is NaN).

    Example:
        >>> ember.tensor([1.0, float("nan"), 3.0]).nanmean()
        tensor(2.)
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype}; call .float() first")
    present = logical_not(isnan(input))
    return div(nansum(input, dim, keepdim), sum(present, dim, keepdim))


class Mean(Op):
    """out = sum(a) / n over ``axes``;  dL/da = g / n broadcast back"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        n = _count(a.shape, _every_axis(axes, a.ndim))
        ctx.n = n
        if n == 0:  # mean of nothing is nan, as torch (without NumPy's warning)
            return np.full(np.sum(a, axis=axes, keepdims=keepdim).shape, np.nan, a.dtype)
        if a.dtype == np.float32:
            r = _torch_sum.reduce_last(a, axes, keepdim, mean=True)   # PyTorch's sum, then / n
            if r is not None:
                return r
        if axes is None and not keepdim:
            return np.asarray(mean_all(a))         # a.mean(), on ember's threads when large
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad / ctx.n if ctx.n else grad, ctx.shape, ctx.axes, ctx.keepdim)


class MeanDim(Mean):
    backward_name = "MeanBackward1"


def mean(input, dim=_NO_DIM, keepdim=NO_KEEPDIM, *, dtype=None, axis=_NO_DIM, keepdims=None):
    """Mean over all elements or over ``dim`` (floating-point tensors only)."""
    dim, keepdim = _sum_mean_args("mean", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {input.dtype}. Fix: call .float() first.")
    if dim is None and not keepdim:
        return Mean.apply(input, None, False)
    return (Mean if dim is None else MeanDim).apply(input, _axes(dim, input._data.ndim), keepdim)


class Prod(Op):
    """out = prod of a along ``axis``;  dL/da_i = g * prod_{j != i} a_j  (= g * out / a_i without zeros;
    with zeros, the exclusive cumulative products from both sides)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axis, keepdim):
        out = np.asarray(a.prod(axis=axis, keepdims=keepdim))
        return _save_reduction(ctx, a, out, None if axis is None else (axis,), keepdim)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        axes = _every_axis(ctx.axes, a.ndim)
        g = expand_reduced(grad, a.shape, axes, ctx.keepdim)
        if not (xp.asarray(a) == 0).any():
            return g * expand_reduced(out, a.shape, axes, ctx.keepdim) / a
        # With zeros, the product of the others: exclusive cumulative products from both sides.
        ax = None if ctx.axes is None else ctx.axes[0]
        flat = xp.reshape(a, (-1,)) if ax is None else a
        axis = 0 if ax is None else ax
        n = flat.shape[axis]
        head = (slice(None),) * axis
        ones = xp.ones_like(flat[head + (slice(0, 1),)])
        left = xp.cumprod(xp.concatenate([ones, flat[head + (slice(0, n - 1),)]], axis=axis), axis=axis)
        rev = xp.flip(flat[head + (slice(1, n),)], axis=axis)
        right = xp.flip(xp.cumprod(xp.concatenate([ones, rev], axis=axis), axis=axis), axis=axis)
        return g * xp.reshape(left * right, a.shape)


def prod(input, dim=_NO_DIM, keepdim=NO_KEEPDIM, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements or along ``dim``."""
    dim, keepdim = int_dim_args("prod", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind in "biu":
        axes = None if dim is None else _axes(dim, input._data.ndim)   # checks dim (PyTorch's IndexError)
        return _wrap(np.asarray(input._data.prod(axis=axes, keepdims=keepdim, dtype=np.int64)))
    return Prod.apply(input, None if dim is None else norm_dim(dim, input._data.ndim), keepdim)


class _Extreme(Op):
    """amax/amin and full max/min: the gradient is shared equally between tied extremes
    (dL/da = g * [a == out] / count; the mask is piecewise constant)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes, keepdim, fn):
        if a.size == 0 and (axes is None or not a.ndim or builtins.any(a.shape[ax] == 0 for ax in axes)):
            raise RuntimeError(f"{'max' if fn is np.max else 'min'}(): Expected reduction dim to be specified "
                               "for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        return _save_reduction(ctx, a, np.asarray(fn(a, axis=axes, keepdims=keepdim)), axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        a, out = xp.asarray(a), xp.asarray(out)   # the mask is a constant
        axes = _every_axis(ctx.axes, a.ndim)
        mask = a == expand_reduced(out, a.shape, axes, ctx.keepdim)
        count = mask.sum(axis=axes, keepdims=True)
        g = expand_reduced(grad, a.shape, axes, ctx.keepdim)
        return g * mask / count.astype(a.dtype)


class Amax(_Extreme):
    pass


class Amin(_Extreme):
    pass


class Max(_Extreme):
    backward_name = "MaxBackward1"  # torch's name for the full reduction


class Min(_Extreme):
    backward_name = "MinBackward1"  # torch's name for the full reduction


class _ExtremeDim(Op):
    """max/min along one dim: values and int64 indices; the gradient goes to the index."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim, keepdim, argfn):
        if a.shape and a.shape[dim] == 0:
            raise IndexError(f"max(): Expected reduction dim {dim} to have non-zero size.")
        idx = np.expand_dims(argfn(a, axis=dim), dim) if a.ndim else np.zeros((), np.int64)
        vals = np.take_along_axis(a, idx, dim) if a.ndim else a.copy()
        ctx.idx, ctx.shape, ctx.dim = idx, a.shape, dim
        if not keepdim and a.ndim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        ctx.mark_non_differentiable()
        return vals, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, grad, grad_idx):
        if not ctx.shape:
            return grad
        xp = array_namespace(grad)
        if xp.graph:  # scatter by a recorded op: the values at the arg-extreme positions
            index = list(np.indices(ctx.idx.shape, sparse=True))
            index[ctx.dim] = ctx.idx
            return xp.put(ctx.shape, xp.asarray(grad).dtype, tuple(index), xp.reshape(grad, ctx.idx.shape))
        g = np.zeros(ctx.shape, grad.dtype)
        grad = grad.reshape(ctx.idx.shape)
        np.put_along_axis(g, ctx.idx, grad, ctx.dim)
        return g


class MaxDim(_ExtremeDim):
    backward_name = "MaxBackward0"


class MinDim(_ExtremeDim):
    backward_name = "MinBackward0"


def _extreme(input, dim, keepdim, other, full_op, dim_op, npfn, argfn, pair):
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        return pair(input, other)
    if dim is None:
        return full_op.apply(input, None, False, npfn)
    vals, idx = dim_op.apply(input, norm_dim(dim, input._data.ndim), keepdim, argfn)
    return values_indices(vals, idx, "max" if npfn is np.max else "min")


def max(input, dim=_NO_DIM, keepdim=NO_KEEPDIM, *, other=None, axis=None, keepdims=None):
    """Largest element; with ``dim`` a ``(values, indices)`` pair; with a tensor, the elementwise maximum."""
    dim, keepdim = int_dim_args("max", dim, keepdim, axis, keepdims)
    return _extreme(input, dim, keepdim, other, Max, MaxDim, np.max, np.argmax, maximum)


def min(input, dim=_NO_DIM, keepdim=NO_KEEPDIM, *, other=None, axis=None, keepdims=None):
    """Smallest element; with ``dim`` a ``(values, indices)`` pair; with a tensor, the elementwise minimum."""
    dim, keepdim = int_dim_args("min", dim, keepdim, axis, keepdims)
    return _extreme(input, dim, keepdim, other, Min, MinDim, np.min, np.argmin, minimum)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim`` (all dims by default); ties share the gradient."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("amax", dim, axis, keepdim, keepdims, default=())
    return Amax.apply(input, _axes(dim if dim != () else None, input._data.ndim), keepdim, np.max)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim`` (all dims by default); ties share the gradient."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("amin", dim, axis, keepdim, keepdims, default=())
    return Amin.apply(input, _axes(dim if dim != () else None, input._data.ndim), keepdim, np.min)


def aminmax(input, *, dim=None, keepdim=False, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("aminmax", dim, axis, keepdim, keepdims)
    mm = return_type("aminmax", ("min", "max"))
    d = () if dim is None else dim
    return mm(amin(input, d, keepdim), amax(input, d, keepdim))


def _arg(input, dim, keepdim, fn):
    a = input._data
    name = fn.__name__
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0 "
                             f"(the input has shape {tuple(a.shape)})")
        out = np.asarray(fn(a.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
        return _wrap(out.astype(np.int64))
    d = norm_dim(dim, a.ndim)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size (the input has "
                         f"shape {tuple(a.shape)})")
    out = fn(a, axis=d) if a.ndim else np.asarray(0)
    if keepdim and a.ndim:
        out = np.expand_dims(out, d)
    return _wrap(np.asarray(out, dtype=np.int64))


def _no_bool(input, name):
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input (as PyTorch); convert with .long() first")


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the largest element (flattened, or along ``dim``)."""
    _no_bool(input, "argmax")
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("argmax", dim, axis, keepdim, keepdims)
    return _arg(input, dim, keepdim, np.argmax)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the smallest element (flattened, or along ``dim``)."""
    _no_bool(input, "argmin")
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("argmin", dim, axis, keepdim, keepdims)
    return _arg(input, dim, keepdim, np.argmin)


class Var(Op):
    """var = sum((a - mean)^2) / (n - correction);  dL/da = g * 2 (a - mean) / (n - correction);
    std = sqrt(var):  dL/da = g * (a - mean) / ((n - correction) std)  (0 where std is 0)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim, take_sqrt):
        n = _count(a.shape, axes)
        a0, dt = a, a.dtype
        if dt.kind == "f" and dt.itemsize <= 4:           # accumulate wider, as PyTorch: no overflow
            a = a.astype(np.float64 if dt.itemsize == 4 else np.float32)   # of the squares near max
        with np.errstate(divide="ignore", invalid="ignore"):
            m = a.sum(axis=axes, keepdims=True) / a.dtype.type(n) if n else np.zeros((1,) * a.ndim, a.dtype)
        centered = a - m
        denom = np.maximum(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            var = np.asarray((centered * centered).sum(axis=axes, keepdims=keepdim) / a.dtype.type(denom))
            out = np.asarray(np.sqrt(var) if take_sqrt else var).astype(dt, copy=False)
        centered, a = centered.astype(dt, copy=False), a0
        ctx.save_for_backward(centered, out, a)
        ctx.axes, ctx.keepdim, ctx.denom, ctx.take_sqrt = axes, keepdim, denom, take_sqrt
        return out

    @staticmethod
    def backward(ctx, grad):
        centered, out, a = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:  # the centred input as a function of the input
            centered = a - xp.mean(a, axis=ctx.axes, keepdims=True)
        g = expand_reduced(grad, centered.shape, ctx.axes, ctx.keepdim)
        scale = g * (2.0 / ctx.denom) if ctx.denom else g * float("nan")
        if ctx.take_sqrt:
            o = expand_reduced(out, centered.shape, ctx.axes, ctx.keepdim)
            with np.errstate(divide="ignore", invalid="ignore"):
                # d std = d var / (2 std); where std is 0 the gradient is taken as 0 (as torch)
                return xp.where(o == 0, 0.0, scale * centered / (2 * o))
        return scale * centered


class Std(Var):
    pass


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _float_only(name, input):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point and complex dtypes: {name}() got "
                           f"{input.dtype}; call .float() first")


def _var_args(dim, unbiased):
    # var(x, True) in the old API means unbiased=True
    if isinstance(dim, bool):
        return None, dim
    return dim, unbiased


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance with Bessel's correction by default (``correction=1``; ``unbiased=False`` gives 0)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("var", dim, axis, keepdim, keepdims)
    return _spread("var", Var, input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation with Bessel's correction by default."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("std", dim, axis, keepdim, keepdims)
    return _spread("std", Std, input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("var_mean", dim, axis, keepdim, keepdims)
    return _spread("var_mean", Var, input, dim, unbiased, keepdim, correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("std_mean", dim, axis, keepdim, keepdims)
    return _spread("std_mean", Std, input, dim, unbiased, keepdim, correction), mean(input, dim, keepdim)


def _spread(name, op, input, dim, unbiased, keepdim, correction):
    """var or std (``op``) over ``dim``; warns, as PyTorch, when no degree of freedom is left."""
    dim, unbiased = _var_args(dim, unbiased)
    _float_only(name, input)
    axes = _axes(dim, input._data.ndim)
    correction = _correction(unbiased, correction)
    shape = input._data.shape
    if _count(shape, _every_axis(axes, len(shape))) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0: the correction ({correction}) should be less than "
                      f"the number of elements each result reduces (input numel divided by output numel); the "
                      f"result is inf or nan. Fix: reduce over more elements or pass correction=0.",
                      UserWarning, stacklevel=3)
    return op.apply(input, axes, correction, keepdim, op is Std)


class Logsumexp(Op):
    """out = log(sum(exp(a)));  dL/da = g * exp(a - out)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # log(0) = -inf for all -inf (or empty) rows
            out = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            out = np.asarray(out.squeeze(axis=axes))
        return _save_reduction(ctx, a, out, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        if not ctx.keepdim:
            grad, out = xp.expand_dims(grad, ctx.axes), xp.expand_dims(out, ctx.axes)
        return grad * xp.exp(a - out)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) along ``dim``, computed stably."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("logsumexp", dim, axis, keepdim, keepdims)
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional argument: "dim"')
    if input._data.dtype.kind != "f":
        input = input.float()
    return Logsumexp.apply(input, _axes(dim, input._data.ndim), keepdim)


class Norm(Op):
    """out = (sum |a|^p)^(1/p);  dL/da = g * a |a|^(p-2) / out^(p-1)  (p = 2: g a / out; p = 1:
    g sign(a); p = +-inf: g sign(a) shared between the tied extremes; p = 0: 0)"""
    backward_name = "LinalgVectorNormBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        a0, dt = a, a.dtype
        if dt == np.float16:                              # accumulate in float32, as PyTorch
            a = a.astype(np.float32)
        absa = np.abs(a)
        if p == np.inf:
            out = absa.max(axis=axes, keepdims=True)
        elif p == -np.inf:
            out = absa.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (absa != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
        elif p == 2 and _count(a.shape, _every_axis(axes, a.ndim)) == 1:
            out = absa.copy()                            # one element per norm: |a|, as PyTorch (no underflow of a * a)
        elif p == 2:
            out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        elif p == 1:
            out = absa.sum(axis=axes, keepdims=True)
        else:
            out = (absa ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        out = out.astype(dt, copy=False)
        a = a0
        if not keepdim:
            out = np.asarray(out.squeeze(axis=axes))
        ctx.p = p
        return _save_reduction(ctx, a, out, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        p = ctx.p
        g = grad
        if not ctx.keepdim:
            g, out = xp.expand_dims(g, ctx.axes), xp.expand_dims(out, ctx.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                r = xp.where(out == 0, 0.0, a / out)
            elif p == 1:
                r = xp.sign(a)
            elif p == 0:
                r = xp.zeros_like(a)
            elif np.isinf(p):  # a piecewise-constant weight: a constant
                a0 = xp.asarray(a)
                mask = np.abs(a0) == xp.asarray(out)
                r = np.sign(a0) * mask / mask.sum(axis=ctx.axes, keepdims=True)
                r = r.astype(a0.dtype, copy=False)
            else:
                r = xp.where(out == 0, 0.0, a * xp.abs(a) ** (p - 2) / out ** (p - 1))
        return g * r


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over all elements or ``dim`` (``'fro'`` = 2, ``inf``, ``-inf``, 0, 1, any p).

    ``dtype``: compute in (and return) this floating-point dtype, which must not narrow the input's."""
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError("nuclear norm is not supported by ember")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, but got {input.dtype}")
    if dtype is not None:
        input = _norm_dtype(input, dtype)
    return Norm.apply(input, float(p), _axes(dim, input._data.ndim), keepdim)


def _norm_dtype(input, dtype):
    npd = to_numpy_dtype(dtype)
    if npd.kind != "f":
        raise RuntimeError(f"norm(): dtype should be floating point, but got {dtype}")
    if not np.can_cast(input._data.dtype, npd, "safe"):
        raise RuntimeError(f"norm(): the dtype of the input ({input.dtype}) should be convertible without "
                           f"narrowing to the specified dtype ({dtype}); convert the input first")
    return to_dtype(input, npd) if npd != input._data.dtype else input


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True if every element (along ``dim``) is non-zero."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("all", dim, axis, keepdim, keepdims)
    out = np.asarray(np.all(input._data, axis=_axes_or_all(dim, input._data.ndim), keepdims=keepdim))
    return _wrap(out.astype(np.uint8) if input._data.dtype == np.uint8 else out)   # uint8 stays uint8


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True if some element (along ``dim``) is non-zero."""
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dim("any", dim, axis, keepdim, keepdims)
    out = np.asarray(np.any(input._data, axis=_axes_or_all(dim, input._data.ndim), keepdims=keepdim))
    return _wrap(out.astype(np.uint8) if input._data.dtype == np.uint8 else out)   # uint8 stays uint8


def count_nonzero(input, dim=None, *, axis=None):
    if axis is not None:
        dim, _ = numpy_dim("count_nonzero", dim, axis)
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=_axes_or_all(dim, input._data.ndim)), dtype=np.int64))


def trace(input):
    """Sum of the main diagonal of a matrix."""
    return sum(diagonal(input))
