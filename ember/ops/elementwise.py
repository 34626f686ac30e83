"""Elementwise ops: arithmetic, unary math, clamp/maximum/minimum/where, rounding, comparisons.

Binary ops broadcast; the engine sums gradients back to each input's shape.
"""
import warnings

import numpy as np

from .._creation import tensor
from .._dtype import from_numpy_dtype
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _State
from . import _math
from ._cast import ToDtype, to_dtype  # noqa: F401  (public here; defined below promotion)
from ._util import as_tensor_arg, broadcast_error, promote

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative",
    "pow", "float_power", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
    "abs", "absolute", "sign", "sgn", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "tanh", "sigmoid", "relu", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum",
    "fmax", "fmin", "where", "reciprocal", "square", "floor", "ceil", "round", "trunc", "frac",
    "floor_divide", "remainder", "fmod", "lerp", "addcmul", "addcdiv", "atan2", "hypot", "erf",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal",
    "not_equal", "equal", "isnan", "isinf", "isfinite", "logical_and", "logical_or",
    "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "allclose", "isclose", "nan_to_num", "to_dtype", "signbit", "xlogy",
]


# -- arithmetic ------------------------------------------------------------------------------
class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        try:
            return a + b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        try:
            return a - b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need.__class__ is tuple:  # recording: save only what the backward will read (as torch)
            ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        try:
            return a * b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            if type(b) is np.ndarray:  # x / 0 is inf or nan, silently (as torch)
                with np.errstate(divide="ignore", invalid="ignore"):
                    return a / b
            return a / b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = grad / b if ctx.needs_input_grad[0] else None
            gb = -grad * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Op):
    @staticmethod
    def forward(ctx, a, b):
        if type(b) is int and b >= 0:
            out = a ** b
        else:  # 0 ** -1 = inf and negative base with a fractional exponent is nan, silently (as torch)
            try:
                with np.errstate(invalid="ignore", divide="ignore"):
                    out = a ** b
            except ValueError:
                raise broadcast_error(a, b) from None
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, np.ndarray):
                with np.errstate(invalid="ignore", divide="ignore"):
                    ga = np.where(b == 0, 0, grad * b * a ** (b - 1)).astype(out.dtype, copy=False)
            elif b == 0:
                ga = np.zeros_like(out)
            elif b == 2:
                ga = grad * (2 * a)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    ga = grad * (b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                la = np.log(a)
            if isinstance(a, np.ndarray):
                with np.errstate(invalid="ignore"):
                    gb = grad * np.where((a == 0) & (np.asarray(b) >= 0), 0, out * la)
            else:
                gb = grad * out * la
        return ga, gb


class PowTensor(Pow):
    backward_name = "PowBackward1"  # torch's name for a tensor exponent


class PowScalarBase(Pow):
    backward_name = "PowBackward2"  # number ** tensor


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting."""
    if out is not None:
        return _into(out, "add", add, input, other, alpha=alpha)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return Add.apply(a, b)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other`` with broadcasting."""
    if out is not None:
        return _into(out, "sub", sub, input, other, alpha=alpha)
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input._data.dtype == other._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    return Sub.apply(a, b)


def mul(input, other, *, out=None):
    """Elementwise product with broadcasting."""
    if out is not None:
        return _into(out, "mul", mul, input, other)
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    if a._data.dtype == np.bool_ and isinstance(b, Tensor) and b._data.dtype == np.bool_:
        return _wrap(a._data & b._data)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None, out=None):
    """Elementwise true division (integers divide to float32); ``rounding_mode`` 'trunc' or 'floor'."""
    if out is not None:
        return _into(out, "div", div, input, other, rounding_mode=rounding_mode)
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"{rounding_mode!r}")
    a, b = promote(input, other)
    if rounding_mode is not None:
        q = div(_float(a), _float(b))
        res = trunc(q) if rounding_mode == "trunc" else floor(q)
        ad = a._data if isinstance(a, Tensor) else np.asarray(a)
        if ad.dtype.kind in "iub":
            return to_dtype(res.detach(), np.result_type(ad, b._data if isinstance(b, Tensor) else b))
        return res
    a, b = _float(a), _float(b)
    return Div.apply(a, b)


def _into(out, name, fn, *args, **kwargs):
    """PyTorch's ``out=``: the result of ``fn(*args, **kwargs)`` written into ``out``, which is returned.

    Not differentiable: with grad mode on, neither ``out`` nor an argument may require grad.
    """
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _State.enabled and (out.requires_grad or any(
            isinstance(a, Tensor) and a.requires_grad for a in args + tuple(kwargs.values()))):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    return _store(out, fn(*args, **kwargs)._data)


def _castable(src, dst):
    """PyTorch's rule for writing a result into a given tensor: never floating point into integer or
    bool, nor integer into bool; any other cast (narrowing included) is allowed."""
    if src.kind == "f":
        return dst.kind == "f"
    return dst.kind != "b" or src.kind == "b"


def _store(out, result):
    """Write the array ``result`` into the tensor ``out`` (cast to its dtype), resizing ``out`` if its
    shape differs: silently when it is empty, with PyTorch's deprecation warning otherwise."""
    old = out._data
    if not _castable(result.dtype, old.dtype):
        raise RuntimeError(f"result type {from_numpy_dtype(result.dtype)} can't be cast to the desired output "
                           f"type {out.dtype}; pass an out tensor of dtype {from_numpy_dtype(result.dtype)}")
    if old.shape != result.shape:
        if old.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(old.shape)}, "
                          f"which does not match the required output shape {list(result.shape)}. This behavior "
                          "is deprecated (as in PyTorch): pass an out tensor of the result's shape, or one with "
                          "zero elements.", UserWarning, stacklevel=4)
        out._data = result.astype(old.dtype)
    elif old.flags.writeable:
        np.copyto(old, result, casting="unsafe")
    else:  # an expanded view: its elements share memory, so it gets a buffer of its own
        out._data = result.astype(old.dtype)
    out._vc[0] += 1
    return out


def _float(x):
    if isinstance(x, Tensor):
        return x if x._data.dtype.kind == "f" else to_dtype(x, np.float32)
    return float(x) if isinstance(x, (bool, int)) else x


def neg(input):
    """Elementwise negation."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


def pow(input, exponent):
    """``input ** exponent`` (either may be a scalar)."""
    a, b = promote(input, exponent)
    if isinstance(a, Tensor) and a._data.dtype.kind in "iu" and isinstance(b, int) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return (Pow if not isinstance(b, Tensor) else PowTensor if isinstance(a, Tensor) else PowScalarBase).apply(a, b)


def float_power(input, exponent):
    return pow(to_dtype(input, np.float64) if isinstance(input, Tensor) else input,
               to_dtype(exponent, np.float64) if isinstance(exponent, Tensor) else exponent)


# -- unary math ------------------------------------------------------------------------------
def _unary(name, fwd, bwd, save="input", doc="", quiet=False):
    """Declare a one-input op: ``bwd(grad, saved)`` where saved is the input or the output.

    ``quiet``: outside the domain the result is nan/inf without NumPy warnings (as in torch).
    """
    def forward(ctx, a):
        out = fwd(a)
        ctx.save_for_backward(a if save == "input" else out)
        return out

    def backward(ctx, grad):
        return bwd(grad, ctx.saved_tensors[0])

    if quiet:
        plain_f, plain_b = forward, backward

        def forward(ctx, a):
            with np.errstate(divide="ignore", invalid="ignore"):
                return plain_f(ctx, a)

        def backward(ctx, grad):
            with np.errstate(divide="ignore", invalid="ignore"):
                return plain_b(ctx, grad)

    op = type(name, (Op,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})

    def fn(input):
        if input._data.dtype.kind != "f":
            input = to_dtype(input, np.float32)
        return op.apply(input)
    fn.__name__ = name.lower()
    fn.__doc__ = doc or f"Elementwise {name.lower()}."
    return op, fn


_LN2 = np.log(2.0)
_LN10 = np.log(10.0)

Exp, exp = _unary("Exp", np.exp, lambda g, out: g * out, "output", "Elementwise e**x.")
Exp2, exp2 = _unary("Exp2", np.exp2, lambda g, out: g * out * out.dtype.type(_LN2), "output")
Log, log = _unary("Log", np.log, lambda g, a: g / a, doc="Natural logarithm.", quiet=True)
Log2, log2 = _unary("Log2", np.log2, lambda g, a: g / (a * a.dtype.type(_LN2)), quiet=True)
Log10, log10 = _unary("Log10", np.log10, lambda g, a: g / (a * a.dtype.type(_LN10)), quiet=True)
Log1p, log1p = _unary("Log1P", np.log1p, lambda g, a: g / (a + 1), quiet=True)
Expm1, expm1 = _unary("Expm1", np.expm1, lambda g, out: g * (out + 1), "output")
Sqrt, sqrt = _unary("Sqrt", np.sqrt, lambda g, out: g / (2 * out), "output", quiet=True)
Rsqrt, rsqrt = _unary("Rsqrt", lambda a: 1 / np.sqrt(a), lambda g, out: g * (-0.5 * out * out * out), "output", quiet=True)
Sin, sin = _unary("Sin", np.sin, lambda g, a: g * np.cos(a))
Cos, cos = _unary("Cos", np.cos, lambda g, a: -g * np.sin(a))
Tan, tan = _unary("Tan", np.tan, lambda g, out: g * (1 + out * out), "output")
Asin, asin = _unary("Asin", np.arcsin, lambda g, a: g / np.sqrt(1 - a * a), quiet=True)
Acos, acos = _unary("Acos", np.arccos, lambda g, a: -g / np.sqrt(1 - a * a), quiet=True)
Atan, atan = _unary("Atan", np.arctan, lambda g, a: g / (1 + a * a))
Sinh, sinh = _unary("Sinh", np.sinh, lambda g, a: g * np.cosh(a))
Cosh, cosh = _unary("Cosh", np.cosh, lambda g, a: g * np.sinh(a))
Tanh, tanh = _unary("Tanh", np.tanh, lambda g, out: g * (1 - out * out), "output", "Hyperbolic tangent.")
Reciprocal, reciprocal = _unary("Reciprocal", lambda a: 1 / a, lambda g, out: -g * out * out, "output", quiet=True)


Erf, erf = _unary("Erf", _math.erf, lambda g, a: g * (2 / np.sqrt(np.pi)) * np.exp(-a * a))


Sigmoid, sigmoid = _unary("Sigmoid", _math.sigmoid, lambda g, out: g * out * (1 - out), "output",
                          "Logistic sigmoid 1 / (1 + exp(-x)), stable for large |x|.")


class Relu(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * (out > 0)


def relu(input, inplace=False):
    """max(x, 0) elementwise."""
    if inplace:
        return input._inplace_from(Relu.apply(input))
    return Relu.apply(input)


class Abs(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * np.sign(a)


def abs(input):
    """Elementwise absolute value."""
    return Abs.apply(input)


def square(input):
    """``input * input``."""
    return Pow.apply(input, 2) if input._data.dtype.kind == "f" else _wrap(input._data * input._data)


class _ZeroGrad(Op):
    """Piecewise-constant functions: the gradient is zero wherever it exists."""
    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)


def _piecewise(name, f):
    op = type(name, (_ZeroGrad,), {"forward": staticmethod(lambda ctx, a, *args: f(a, *args))})

    def fn(input, *args):
        if input._data.dtype.kind != "f":
            return _wrap(f(input._data, *args))
        return op.apply(input, *args)
    fn.__name__ = name.lower()
    fn.__doc__ = f"Elementwise {name.lower()} (zero gradient)."
    return op, fn


Sign, sign = _piecewise("Sign", np.sign)
Floor, floor = _piecewise("Floor", np.floor)
Ceil, ceil = _piecewise("Ceil", np.ceil)
Trunc, trunc = _piecewise("Trunc", np.trunc)
_Round, _round = _piecewise("Round", lambda a, d=0: np.round(a, d))
sgn = sign
absolute = abs
negative = neg
subtract = sub
multiply = mul
divide = div
true_divide = div


def round(input, *, decimals=0):
    """Round half to even, as PyTorch; ``decimals`` digits after the point."""
    return _round(input, decimals) if decimals else _round(input)


def frac(input):
    return sub(input, trunc(input))


def signbit(input):
    return _wrap(np.signbit(input._data))


# -- clamp, maximum, minimum, where ---------------------------------------------------------
class Clamp(Op):
    backward_name = "ClampBackward1"  # torch's name for scalar bounds
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        mask = np.ones(a.shape, bool)
        if ctx.lo is not None:
            mask &= a >= ctx.lo
        if ctx.hi is not None:
            mask &= a <= ctx.hi
        return grad * mask


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
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


class _Extremum(Op):
    """Elementwise maximum/minimum: ``pick`` chooses, ``wins`` says where ``a`` is chosen outright.

    d/da = 1 where a wins, 1/2 where a == b (ties share the gradient equally, as PyTorch does),
    0 elsewhere; d/db = 1 - d/da.
    """
    pick = wins = None

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
        w = (ctx.fn.wins(a, b) + 0.5 * (a == b)).astype(grad.dtype, copy=False)
        return (grad * w if ctx.needs_input_grad[0] else None,
                grad * (1 - w) if ctx.needs_input_grad[1] else None)


class Maximum(_Extremum):
    pick, wins = np.maximum, np.greater


class Minimum(_Extremum):
    pick, wins = np.minimum, np.less


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
        z = np.zeros((), grad.dtype)
        return (None,
                np.where(c, grad, z) if ctx.needs_input_grad[1] else None,
                np.where(c, z, grad) if ctx.needs_input_grad[2] else None)


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


# -- division-like -------------------------------------------------------------------------
def floor_divide(input, other):
    """Floor of ``input / other`` (not differentiable, as in PyTorch)."""
    a, b = promote(input, other)
    ad = a._data if isinstance(a, Tensor) else a
    bd = b._data if isinstance(b, Tensor) else b
    if (np.asarray(bd).dtype.kind in "iu" and np.any(np.asarray(bd) == 0)):
        raise RuntimeError("ZeroDivisionError: integer floor division by zero")
    return _wrap(np.asarray(np.floor_divide(ad, bd)))


class Remainder(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.remainder(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * np.floor_divide(a, b) if ctx.needs_input_grad[1] else None)


class Fmod(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.fmod(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * np.trunc(a / b) if ctx.needs_input_grad[1] else None)


def remainder(input, other):
    """Python-style modulus (sign of the divisor)."""
    a, b = promote(input, other)
    return Remainder.apply(a, b)


def fmod(input, other):
    """C-style remainder (sign of the dividend)."""
    a, b = promote(input, other)
    return Fmod.apply(a, b)


def lerp(input, end, weight):
    return add(input, mul(sub(end, input), weight))


def addcmul(input, tensor1, tensor2, *, value=1):
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    return add(input, mul(div(tensor1, tensor2), value))


def atan2(input, other):
    """Elementwise arctan(input / other) in the right quadrant."""
    a, b = promote(input, other)
    return Atan2.apply(a, b)


class Atan2(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        return grad * b / r2, -grad * a / r2


def hypot(input, other):
    return sqrt(add(mul(input, input), mul(other, other)))


class Xlogy(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((a == 0) & ~np.isnan(b), np.zeros((), a.dtype), a * np.log(b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * np.log(b) if ctx.needs_input_grad[0] else None,
                    grad * a / b if ctx.needs_input_grad[1] else None)


def xlogy(input, other):
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a = _wrap(np.asarray(a, b._data.dtype))
    if not isinstance(b, Tensor):
        b = _wrap(np.asarray(b, a._data.dtype))
    if a._data.dtype.kind != "f":
        a, b = to_dtype(a, np.float32), to_dtype(b, np.float32)
    return Xlogy.apply(a, b)


class Fill(Op):
    """``x.fill_(v)`` when recorded: the output does not depend on x (zero gradient)."""
    backward_name = "FillBackward0"

    @staticmethod
    def forward(ctx, a, value):
        return np.full_like(a, value)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)


class Zero(Fill):
    backward_name = "ZeroBackward0"


def zeros_like_t(t):
    return _wrap(np.zeros_like(t._data))


# -- comparisons and logic (no gradient) ---------------------------------------------------
def _cmp(name, f):
    def fn(input, other):
        a = input._data if isinstance(input, Tensor) else input
        o = as_tensor_arg(other)
        b = o._data if isinstance(o, Tensor) else o
        try:
            return _wrap(np.asarray(f(a, b)))
        except ValueError:
            raise broadcast_error(a, b) from None
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` comparison; a bool tensor."
    return fn


eq = _cmp("eq", np.equal)
ne = not_equal = _cmp("ne", np.not_equal)
lt = less = _cmp("lt", np.less)
le = less_equal = _cmp("le", np.less_equal)
gt = greater = _cmp("gt", np.greater)
ge = greater_equal = _cmp("ge", np.greater_equal)
logical_and = _cmp("logical_and", np.logical_and)
logical_or = _cmp("logical_or", np.logical_or)
logical_xor = _cmp("logical_xor", np.logical_xor)


def _bitwise(name, f):
    def fn(input, other):
        o = as_tensor_arg(other)
        b = o._data if isinstance(o, Tensor) else o
        return _wrap(np.asarray(f(input._data, b)))
    fn.__name__ = name
    return fn


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)


def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise TypeError("bitwise_not (~) is only defined for integer and bool tensors; "
                        "for a float mask compare first, e.g. ~(x > 0)")
    return _wrap(np.invert(input._data))


def logical_not(input):
    return _wrap(np.logical_not(input._data))


def isnan(input):
    return _wrap(np.isnan(input._data))


def isinf(input):
    return _wrap(np.isinf(input._data))


def isfinite(input):
    return _wrap(np.isfinite(input._data))


def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(input._data, as_tensor_arg(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(input._data, as_tensor_arg(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return _wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))
