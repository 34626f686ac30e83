"""Choosing values elementwise: clamp/clip (into bounds), maximum/minimum and fmax/fmin (the larger
or smaller of two), where (by a condition) and nan_to_num (nan and inf replaced).

Layer: above arithmetic and comparison.
"""
import numpy as np

from .._creation import tensor
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._cast import to_dtype
from ._util import broadcast_error, promote
from .comparison import isnan

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin", "where", "nan_to_num"]


class Clamp(Op):
    """d/da clamp(a, lo, hi) = 1 where lo <= a <= hi, else 0 (as PyTorch: the bounds themselves
    pass the gradient)."""
    backward_name = "ClampBackward1"  # torch's name for scalar bounds
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        lo, hi = ctx.lo, ctx.hi
        if lo is None:
            inside = a <= hi
        elif hi is None:
            inside = a >= lo
        else:
            inside = (a >= lo) & (a <= hi)
        return array_namespace(grad).where(inside, grad, 0.0)  # (not grad * inside: an inf gradient outside is 0)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None or a tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _wrap(np.asarray(min, input._data.dtype)))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _wrap(np.asarray(max, input._data.dtype)))
        return out
    if input._data.dtype.kind in "iu" and (isinstance(min, float) or isinstance(max, float)):
        input = to_dtype(input, np.float32)
    elif input._data.dtype.kind in "iu":  # integer bounds in the tensor's type, as PyTorch (uint8: -1 is 255)
        min, max = [_wrap_int(v, input._data.dtype) for v in (min, max)]
    return Clamp.apply(input, min, max)


def _wrap_int(v, dt):
    """An int bound converted to the integer dtype ``dt`` as PyTorch: out of range raises, except that
    an unsigned type takes a negative -n (n up to its maximum) as its two's complement."""
    if type(v) is not int:
        return v
    info = np.iinfo(dt)
    if v > info.max or v < (-int(info.max) if info.min == 0 else info.min):
        raise RuntimeError(f"clamp: value cannot be converted to type {dt} without overflow (got {v}; the range of "
                           f"{dt} is {info.min}..{info.max})")
    return int(np.array(v).astype(dt)) if v < 0 and info.min == 0 else v


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


class _Extremum(Op):
    """Elementwise maximum/minimum: ``pick`` chooses; ``greater``: maximum (a loses where a < b).

    d/da = 1/2 where a == b (ties share the gradient equally), 0 where a loses, else 1 (so a NaN
    passes the gradient to both inputs); d/db the same with a and b swapped. As PyTorch.
    """
    pick = greater = None
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return ctx.fn.pick(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        xp = array_namespace(grad)
        dtype = grad.dtype
        half_tie = xp.astype(a == b, dtype) * 0.5
        ga = gb = None
        if ctx.needs_input_grad[0]:
            a_loses = (a < b) if ctx.fn.greater else (a > b)
            ga = grad * (1 - xp.astype(a_loses, dtype) - half_tie)
        if ctx.needs_input_grad[1]:
            b_loses = (a > b) if ctx.fn.greater else (a < b)
            gb = grad * (1 - xp.astype(b_loses, dtype) - half_tie)
        return ga, gb


class Maximum(_Extremum):
    pick, greater = np.maximum, True


class Minimum(_Extremum):
    pick, greater = np.minimum, False


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN propagates)."""
    a, b = promote(input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    """Elementwise minimum of two tensors (NaN propagates)."""
    a, b = promote(input, other)
    return Minimum.apply(a, b)


def fmax(input, other):
    a, b = promote(input, other)
    return where(isnan(b) | (a >= b), a, b)


def fmin(input, other):
    a, b = promote(input, other)
    return where(isnan(b) | (a <= b), a, b)


class Where(Op):
    """The gradient goes to ``a`` where the condition holds, to ``b`` elsewhere."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        try:
            return np.where(cond, a, b)
        except ValueError:
            raise broadcast_error(cond, a, b) from None

    @staticmethod
    def backward(ctx, grad):
        c = ctx.cond
        xp = array_namespace(grad)
        return (None,
                xp.where(c, grad, 0.0) if ctx.needs_input_grad[1] else None,
                xp.where(c, 0.0, grad) if ctx.needs_input_grad[2] else None)


def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` is true, else ``other``; ``where(cond)`` gives indices."""
    if input is None and other is None:
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(condition._data))
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
    a, b = promote(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a)
    return Where.apply(cond, a, b)


class NanToNum(Op):
    """nan, +inf and -inf replaced by numbers: the gradient passes where the input is finite."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.save_for_backward(a)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * array_namespace(grad).isfinite(a)   # as torch: an inf gradient times 0 is nan


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace nan by ``nan``, +inf/-inf by ``posinf``/``neginf`` (default: the dtype's largest and
    smallest finite values)."""
    return NanToNum.apply(input, nan, posinf, neginf)
