"""New tensors from the input's elements, moved or replicated: flip/fliplr/flipud, roll, repeat,
tile; and clone, a copy that stays in the graph.

Layer: above views.
"""
import numbers

import numpy as np

from .._tensor import _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import norm_dim, size_args
from .views import reshape

__all__ = ["flip", "fliplr", "flipud", "roll", "repeat", "tile", "clone"]


class Flip(Op):
    """out = a reversed along ``axes``;  dL/da = g reversed along them"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes).copy()

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).flip(grad, ctx.axes)


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (a tuple or list; ``x.flip(0)`` takes ints)."""
    if isinstance(dims, numbers.Integral):
        raise TypeError(f"flip(): argument 'dims' must be a tuple of ints, not int; write flip(x, ({dims},)) "
                        f"or x.flip({dims})")
    axes = tuple(norm_dim(d, input._data.ndim) for d in tuple(dims))
    return Flip.apply(input, axes if input._data.ndim else ())   # a 0-d tensor: dim 0 / -1, unchanged


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


class Roll(Op):
    """out = a rolled by ``shifts``;  dL/da = g rolled back"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, grad):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return array_namespace(grad).roll(grad, neg, ctx.axes)


def roll(input, shifts, dims=None):
    if dims is None:
        return reshape(Roll.apply(reshape(input, -1), shifts, 0), *input._data.shape)
    return Roll.apply(input, tuple(shifts) if isinstance(shifts, (list, tuple)) else shifts,
                      tuple(dims) if isinstance(dims, (list, tuple)) else dims)


class Repeat(Op):
    """out = a tiled ``reps`` times;  dL/da = the sum of g over the copies"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, reps):
        lead = len(reps) - a.ndim
        shp = (1,) * lead + a.shape
        ctx.shp, ctx.reps = shp, reps
        return np.tile(a.reshape(shp), reps)

    @staticmethod
    def backward(ctx, grad):
        inter = []
        for r, s in zip(ctx.reps, ctx.shp):
            inter += [r, s]
        xp = array_namespace(grad)
        return xp.sum(xp.reshape(grad, inter), axis=tuple(range(0, len(inter), 2)))  # engine reshapes leading ones away


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim."""
    sizes = size_args(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return Repeat.apply(input, sizes)


def tile(input, dims):
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return Repeat.apply(input, dims)


def clone(input, *, memory_format=None):
    """A copy that stays in the graph."""
    if memory_format is not None:
        raise NotImplementedError(f"clone(memory_format={memory_format!r}) is not supported by ember: its tensors "
                                  "have one (contiguous) layout; call clone() without memory_format")
    if input._data.dtype.kind != "f":
        return _wrap(input._data.copy())
    return _Clone.apply(input)


class _Clone(Op):
    """out = a copy of a;  dL/da = g"""
    backward_name = "CloneBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad
