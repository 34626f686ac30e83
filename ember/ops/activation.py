"""Activation functions as ops. softmax/log_softmax are computed stably (max subtracted)."""
import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ._util import norm_dim

__all__ = ["softmax", "log_softmax", "softmin"]


def _implicit_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        e = x - x.max(axis=dim, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(e)
        ctx.dim = dim
        return e

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        gy = grad * out
        gy -= out * gy.sum(axis=ctx.dim, keepdims=True)
        return gy


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(shifted)
        ctx.dim = dim
        return shifted

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=ctx.dim, keepdims=True)


def _prep(input, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {input.dtype}; call .float() first")
    if dim is None:
        dim = _implicit_dim(input.data.ndim)
    nd = input.data.ndim
    return input, (norm_dim(dim, nd) if nd else None)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``."""
    input, d = _prep(input, dim, dtype, "softmax")
    if d is None:
        from .elementwise import mul
        return mul(input, 0.0) + 1.0
    return Softmax.apply(input, d)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, without overflow."""
    input, d = _prep(input, dim, dtype, "log_softmax")
    if d is None:
        from .elementwise import mul
        return mul(input, 0.0)
    return LogSoftmax.apply(input, d)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    from .elementwise import neg
    return softmax(neg(input), dim, dtype=dtype)
