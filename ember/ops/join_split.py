"""Joining and splitting: cat/concat, stack, hstack/vstack join tensors (promoted to a common dtype);
split, tensor_split, chunk and unbind cut one into views along a dim; meshgrid expands vectors into
coordinate grids.

Layer: above views.
"""
import numbers

import numpy as np

from .._dtype import _promote
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._cast import to_dtype
from ._util import norm_dim, numpy_keywords
from .views import Slice, atleast_1d, atleast_2d, dim_key, expand, reshape

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "tensor_split", "chunk", "unbind",
           "meshgrid"]


# -- join ---------------------------------------------------------------------------------------
class Cat(Op):
    """out = the arrays joined along ``axis``;  dL/da_i = the slice of g where a_i went"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, axis, *arrays):
        # 1-D empty tensors are skipped (legacy PyTorch behaviour) and get an empty gradient.
        skip = [a.ndim == 1 and a.size == 0 for a in arrays]
        if all(skip):
            skip = [False] * len(arrays)
        kept = [a for a, s in zip(arrays, skip) if not s]
        ctx.axis, ctx.skip = axis, skip
        ctx.bounds = [0] + [int(b) for b in np.cumsum([a.shape[axis] for a in kept])]
        return np.concatenate(kept, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        lead = (slice(None),) * ctx.axis
        parts = iter(grad[lead + (slice(a, b),)] for a, b in zip(ctx.bounds[:-1], ctx.bounds[1:]))
        empty = (slice(0, 0),) * len(grad.shape)  # the gradient of a skipped 1-D empty input
        return (None,) + tuple(xp.reshape(grad[empty], (0,)) if s else next(parts) for s in ctx.skip)


@numpy_keywords
def cat(tensors, dim=0):
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    shaped = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    nd = shaped[0]._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = norm_dim(dim, nd)
    ref = shaped[0]._data.shape
    for i, x in enumerate(tensors):
        s = x._data.shape
        if len(s) == 1 and s[0] == 0:
            continue
        if len(s) != nd or any(a != b for j, (a, b) in enumerate(zip(s, ref)) if j != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                               f"{list(ref)} but got size {list(s)} for tensor number {i} in the list.")
    tensors = _common_dtype(tensors)
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def _common_dtype(tensors):
    dt = tensors[0]._data.dtype
    for x in tensors[1:]:
        if x._data.dtype != dt:
            dt = _promote(dt, x._data.dtype)
    return [x if x._data.dtype == dt else to_dtype(x, dt) for x in tensors]


class Stack(Op):
    """out = the arrays stacked along a new ``axis``;  dL/da_i = g[..., i, ...] at that axis"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis, ctx.n = axis, len(arrays)
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        return (None,) + tuple(grad[lead + (i,)] for i in range(ctx.n))


@numpy_keywords
def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                               f"and {list(x._data.shape)} at entry {i}")
    d = norm_dim(dim, len(ref) + 1)
    return Stack.apply(d, *_common_dtype(tensors))


def hstack(tensors):
    tensors = [atleast_1d(x) for x in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(x) for x in tensors], 0)


# -- split --------------------------------------------------------------------------------------
def _need_dims(name, t):
    if t._data.ndim == 0:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor (got a 0-d tensor; use "
                           f"reshape(1) first)")


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (last may be smaller) or of the listed sizes."""
    _need_dims("split", tensor)
    d = norm_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = int(split_size_or_sections)
        if s < 0 or (s == 0 and n):
            raise RuntimeError(f"split expects split_size be non-negative (and 0 only for an empty dim), but "
                               f"got split_size={s} for a dim of size {n}")
        sizes = ([s] * (n // s) + ([n % s] if n % s else [])) if n else [0]   # empty: one empty piece
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(Slice.apply(tensor, dim_key(d, slice(start, start + s))))
        start += s
    return tuple(out)


@numpy_keywords
def tensor_split(input, indices_or_sections, dim=0):
    _need_dims("tensor_split", input)
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, numbers.Integral):
        k = indices_or_sections
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        b = [0] + list(indices_or_sections) + [n]
        sizes = [max(min(b[i + 1], n) - min(b[i], n), 0) for i in range(len(b) - 1)]
    return split(input, sizes, dim)


@numpy_keywords
def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (fewer if it divides unevenly)."""
    _need_dims("chunk", input)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[norm_dim(dim, input._data.ndim)]
    if n == 0:                                           # an empty dim gives `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


@numpy_keywords
def unbind(input, dim=0):
    """All slices along ``dim``, as a tuple."""
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions (unbind needs a tensor "
                         "with at least one dimension)")
    d = norm_dim(dim, input._data.ndim)
    return tuple(Slice.apply(input, dim_key(d, i)) for i in range(input._data.shape[d]))


# -- grids --------------------------------------------------------------------------------------
def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (matrix) or ``'xy'`` (Cartesian, the first
    two dims swapped)."""
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    n = len(tensors)
    shape = [t._data.size for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(tensors):
        view_shape = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view_shape[pos] = x._data.size
        out.append(expand(reshape(x, *view_shape), *shape))
    return tuple(out)
