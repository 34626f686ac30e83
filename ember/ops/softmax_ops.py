"""softmax, log_softmax and softmin: exponentials normalised along a dim, computed stably (the max
subtracted first).

Without ``dim``, PyTorch's deprecated implicit choice (dim 0 for 0-, 1- and 3-d inputs, else 1) with
its warning, which ``_stacklevel`` points at the caller.

Layer: above arithmetic; below activation.
"""
import numbers
import warnings

import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import norm_dim, numpy_keywords
from .arithmetic import neg
from .rearrange import clone
from .views import reshape

__all__ = ["softmax", "log_softmax", "softmin"]


def _implicit_dim(name, ndim, stacklevel):
    """PyTorch's choice of dim when none is given, with its deprecation warning at ``stacklevel``."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _dim_dtype(name, input, dim, stacklevel, dtype):
    """``dim`` resolved; a dtype given third, as ``torch.softmax(x, dim, dtype)`` and
    ``Tensor.softmax(dim, dtype)`` take it, is the dtype (not a stack level to ignore)."""
    if not isinstance(stacklevel, numbers.Integral):
        if dtype is not None:
            raise TypeError(f"{name}() got two dtypes: {stacklevel} (third argument) and dtype={dtype}")
        dtype, stacklevel = stacklevel, 3
    if dim is None:
        dim = _implicit_dim(name, input._data.ndim, stacklevel + 1)
    return dim, dtype


def _stable_forward(ctx, x, dim, finish):
    """The forward of softmax and log_softmax along ``dim``: an empty input is passed through
    (copied); otherwise ``finish(x - max(x), dim)`` (a new array it may change in place) is the
    output. What it returns is saved for the backward."""
    if x.size == 0:
        ctx.save_for_backward(x)
        ctx.dim = dim
        return x.copy()
    out = finish(x - x.max(axis=dim, keepdims=True), dim)
    ctx.save_for_backward(out)
    ctx.dim = dim
    return out


def _softmax_shifted(e, dim):
    np.exp(e, out=e)
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _log_softmax_shifted(shifted, dim):
    shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    return shifted


class Softmax(Op):
    """y = exp(x) / sum(exp(x));  dL/dx = y * (g - sum(g * y))"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, dim):
        return _stable_forward(ctx, x, dim, _softmax_shifted)

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        xp = array_namespace(grad)
        gy = grad * out
        if xp.graph:
            return gy - out * xp.sum(gy, axis=ctx.dim, keepdims=True)
        gy -= out * gy.sum(axis=ctx.dim, keepdims=True)
        return gy


class LogSoftmax(Op):
    """y = x - log(sum(exp(x)));  dL/dx = g - exp(y) * sum(g)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, dim):
        return _stable_forward(ctx, x, dim, _log_softmax_shifted)

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        if type(grad) is np.ndarray:  # first order: the array method (no np.sum wrapper)
            return grad - np.exp(out) * grad.sum(axis=ctx.dim, keepdims=True)
        xp = array_namespace(grad)
        return grad - xp.exp(out) * xp.sum(grad, axis=ctx.dim, keepdims=True)


def _prep(input, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f" and input._data.size:   # (an empty one is returned as it is, as PyTorch)
        raise RuntimeError(f"{name}: expected a floating-point input, got {input.dtype}; call .float() first")
    nd = input._data.ndim
    d = norm_dim(dim, nd)                                # a 0-d tensor takes dim 0 / -1 only
    return input, (d if nd else None)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``."""
    dim, dtype = _dim_dtype("softmax", input, dim, _stacklevel, dtype)
    input, d = _prep(input, dim, dtype, "softmax")
    if input._data.dtype.kind != "f":  # empty
        return clone(input)
    if d is None:  # a scalar: as a one-element row (an inf or nan input gives nan, and a nan gradient)
        return reshape(Softmax.apply(reshape(input, (1,)), 0), ())
    return Softmax.apply(input, d)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, without overflow."""
    dim, dtype = _dim_dtype("log_softmax", input, dim, _stacklevel, dtype)
    input, d = _prep(input, dim, dtype, "log_softmax")
    if input._data.dtype.kind != "f":  # empty
        return clone(input)
    if d is None:
        return reshape(LogSoftmax.apply(reshape(input, (1,)), 0), ())
    return LogSoftmax.apply(input, d)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    dim, dtype = _dim_dtype("softmin", input, dim, _stacklevel, dtype)
    return softmax(neg(input), dim, dtype=dtype)


def _native(fn):
    """PyTorch's native ``torch.<fn>`` / ``Tensor.<fn>``: ``dim`` required, NumPy's ``axis=`` accepted
    (``F.<fn>``, which PyTorch writes in Python, keeps an optional ``dim`` and takes no ``axis``)."""
    @numpy_keywords
    def native(input, dim, *dtype_positional, dtype=None):
        if dim is None:
            raise TypeError(f"{fn.__name__}(): argument 'dim' must be an int, not None; "
                            f"write {fn.__name__}(x, dim=1) (or F.{fn.__name__} for the implicit choice)")
        return fn(input, dim, *dtype_positional, dtype=dtype)
    native.__name__ = native.__qualname__ = fn.__name__
    native.__doc__ = (f"``torch.{fn.__name__}(x, dim, dtype=None)``: {fn.__doc__} ``dim`` is required; "
                      f"``axis=`` is accepted for it.\n\n    Example: ``x.{fn.__name__}(axis=1)``")
    return native


tensor_softmax = _native(softmax)
tensor_log_softmax = _native(log_softmax)
