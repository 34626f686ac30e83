"""Diagonals and triangles of matrices: diagonal, diag (a matrix's diagonal, or a matrix with a vector
on its diagonal), tril and triu (the elements on and below, or on and above, a diagonal).

Layer: beside arithmetic at the bottom of the op families (it uses none of them).
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import norm_dim

__all__ = ["tril", "triu", "diagonal", "diag"]


class _Masked(Op):
    """A zero-gradient-outside-the-mask op: tril/triu/diag-like selections.

    out = where(mask, a, 0);  dL/da = where(mask, g, 0)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, mask):
        ctx.mask = mask
        return np.where(mask, a, np.zeros((), a.dtype))

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).where(ctx.mask, grad, 0.0)


class Tril(_Masked):
    pass


class Triu(_Masked):
    pass


def tril(input, diagonal=0):
    r, c = input._data.shape[-2:]
    return Tril.apply(input, np.tri(r, c, diagonal, dtype=bool))


def triu(input, diagonal=0):
    r, c = input._data.shape[-2:]
    return Triu.apply(input, ~np.tri(r, c, diagonal - 1, dtype=bool))


class Diagonal(Op):
    """out = the diagonal of a (``offset`` along dims ``d1``, ``d2``);  dL/da = zeros with g on it"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return np.diagonal(a, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        if xp.graph:  # write g at the diagonal's flat positions
            n = int(np.prod(ctx.shape))
            flat = np.diagonal(np.arange(n).reshape(ctx.shape), *ctx.args)
            return xp.reshape(xp.put((n,), xp.asarray(grad).dtype, flat, grad), ctx.shape)
        g = np.zeros(ctx.shape, grad.dtype)
        offset, d1, d2 = ctx.args
        view = np.diagonal(g, offset, d1, d2)
        view.setflags(write=True)
        view[...] = grad
        return g


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input._data.ndim
    return Diagonal.apply(input, offset, norm_dim(dim1, nd), norm_dim(dim2, nd))


class DiagEmbed(Op):
    """out = a matrix with a on diagonal ``offset``;  dL/da = that diagonal of g"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, offset):
        ctx.offset = offset
        return np.diag(a, offset)

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).diagonal(grad, ctx.offset)


def diag(input, diagonal=0):
    """The diagonal of a matrix, or a matrix with a vector on its diagonal."""
    if input._data.ndim == 1:
        return DiagEmbed.apply(input, diagonal)
    return globals()["diagonal"](input, diagonal)
