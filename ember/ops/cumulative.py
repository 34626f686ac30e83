"""Cumulative ops along a dim: cumsum and cumprod, the running sum and product (integer and bool
inputs accumulate in int64, as PyTorch).

Layer: beside arithmetic at the bottom of the op families (it uses none of them).
"""
import numpy as np

from .._tensor import _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import norm_dim, numpy_dim

__all__ = ["cumsum", "cumprod"]


def _reversed_cumsum(xp, x, d):
    """sum_{j>=i} x_j along ``d``."""
    return xp.flip(xp.cumsum(xp.flip(x, d), axis=d), d)


def _cumulative(input, dim, dtype, npfn, op):
    """cumsum / cumprod: cast to ``dtype`` first; integer and bool inputs accumulate in int64
    (no gradient), floating ones through ``op``."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind in "biu":
        out = npfn(input._data, axis=norm_dim(dim, input._data.ndim), dtype=np.int64)
        return _wrap(out.reshape(input._data.shape))    # NumPy gives a 0-d input shape (1,)
    return op.apply(input, norm_dim(dim, input._data.ndim))


class Cumsum(Op):
    """out_j = sum_{i<=j} a_i;  dL/da_i = sum_{j>=i} g_j (a reversed cumulative sum)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return np.cumsum(a, axis=dim) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 0:
            return grad
        xp = array_namespace(grad)
        d = ctx.dim
        return _reversed_cumsum(xp, grad, d)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Running sum along ``dim``."""
    if axis is not None:
        dim, _ = numpy_dim("cumsum", dim, axis)
    if dim is None:
        raise TypeError('cumsum() missing 1 required positional argument: "dim"')
    return _cumulative(input, dim, dtype, np.cumsum, Cumsum)


class Cumprod(Op):
    """out_j = prod_{i<=j} a_i;  dL/da_i = sum_{j>=i} g_j prod_{k<=j, k!=i} a_k  (without zeros:
    the reversed cumulative sum of g * out, divided by a)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim):
        with np.errstate(all="ignore"):           # inf * 0 is nan, silently, as PyTorch
            out = np.cumprod(a, axis=dim) if a.ndim else a.copy()
        ctx.save_for_backward(a, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if a.ndim == 0 or a.shape[ctx.dim] == 1 or 0 in a.shape:
            return grad                                  # out = a: PyTorch passes grad through
        xp = array_namespace(grad)
        d = ctx.dim
        if not xp.graph:
            return _cumprod_grad(a, out, grad, d)
        if not (xp.asarray(a) == 0).any():
            return _reversed_cumsum(xp, grad * out, d) / a
        # Exact form with zeros: d out_j / d a_i = prod_{k<=j, k!=i} a_k.
        a_m = xp.moveaxis(a, d, -1)
        g_m = xp.moveaxis(grad, d, -1)
        n = a_m.shape[-1]
        position = np.arange(n)
        cols = []
        for i in range(n):
            cp = xp.cumprod(xp.where(position == i, 1.0, a_m), axis=-1)   # a with a_i set to 1
            cols.append(xp.sum(g_m[..., i:] * cp[..., i:], axis=-1))
        return xp.moveaxis(xp.stack(cols, axis=-1), -1, d)


def _cumprod_grad(a, out, g, d):
    """First-order cumprod gradient in PyTorch's O(n) form (so nan / inf propagate as there).

    Before the first zero z1 of each line: reversed_cumsum(out * g) / a. At z1:
    prod(a before z1) * sum_{z1 <= i < z2} g_i prod_{z1 < j <= i} a_j. After z1: 0.
    """
    is_zero = a == 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if not is_zero.any():
            return _reversed_cumsum(np, out * g, d) / a
        cs = np.cumsum(is_zero, axis=d)
        m0, m1 = cs == 0, cs == 1
        first = m1 & is_zero
        gi = np.where(m0, _reversed_cumsum(np, np.where(m0, out * g, 0), d) / a, 0)
        s = np.sum(np.cumprod(np.where(m1 & ~first, a, 1), axis=d) * np.where(m1, g, 0), axis=d, keepdims=True)
        before = np.prod(np.where(m0, a, 1), axis=d, keepdims=True)
        return np.where(first, s * before, gi).astype(a.dtype, copy=False)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """Running product along ``dim``."""
    if axis is not None:
        dim, _ = numpy_dim("cumprod", dim, axis)
    if dim is None:
        raise TypeError('cumprod() missing 1 required positional argument: "dim"')
    return _cumulative(input, dim, dtype, np.cumprod, Cumprod)
