"""Diagonals and triangles of matrices: diagonal, diag (a matrix's diagonal, or a matrix with a vector
on its diagonal), tril and triu (the elements on and below, or on and above, a diagonal).

Layer: beside arithmetic at the bottom of the op families (it uses none of them).
"""
import numpy as np

from ..autograd.function import Op
from ._util import norm_dim

__all__ = ["tril", "triu", "diagonal", "diag"]


class _Masked(Op):
    """A zero-gradient-outside-the-mask op: tril/triu/diag-like selections."""
    @staticmethod
    def forward(ctx, a, mask):
        ctx.mask = mask
        return np.where(mask, a, np.zeros((), a.dtype))

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.mask, grad, np.zeros((), grad.dtype))


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
    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return np.diagonal(a, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, grad):
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
    @staticmethod
    def forward(ctx, a, offset):
        ctx.offset = offset
        return np.diag(a, offset)

    @staticmethod
    def backward(ctx, grad):
        return np.diag(grad, ctx.offset).copy()


def diag(input, diagonal=0):
    """The diagonal of a matrix, or a matrix with a vector on its diagonal."""
    if input._data.ndim == 1:
        return DiagEmbed.apply(input, diagonal)
    return globals()["diagonal"](input, diagonal)
