"""Arithmetic: ``+ - * / **`` and their PyTorch names, rounding, integer-style division, ``out=``.

- add/sub (``alpha``), mul, div (``rounding_mode``), neg, pow, float_power, square; add/sub/mul/div
  take ``out=`` (``with_out`` below, PyTorch's rules for writing into a given tensor);
- rounding and sign: floor, ceil, trunc, round, frac, sign (piecewise constant: zero gradient);
- floor_divide, remainder (sign of the divisor), fmod (sign of the dividend);
- lerp, addcmul, addcdiv.

Binary ops broadcast; the engine sums gradients back to each input's shape.

Layer: the lowest op family (on ``_cast`` and ``_util``); every other family builds on it.
"""
import math
import warnings

import numpy as np

from .._dtype import from_numpy_dtype
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _State
from ..autograd.xp import array_namespace
from ._cast import to_dtype
from ._util import as_tensor_arg, broadcast_error, promote, require_tensor

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative",
    "pow", "float_power", "square", "floor", "ceil", "round", "trunc", "frac", "sign", "sgn",
    "floor_divide", "remainder", "fmod", "lerp", "addcmul", "addcdiv",
]


# -- + - * / ** ------------------------------------------------------------------------------
class Add(Op):
    differentiable_backward = True

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
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        try:
            return a - b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Rsub(Sub):
    """out = number - a (the operator with a number on the left; PyTorch's ``RsubBackward1``)"""
    backward_name = "RsubBackward1"


class Mul(Op):
    differentiable_backward = True

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
    differentiable_backward = True

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
            gb = -grad * ((a / b) / b) if ctx.needs_input_grad[1] else None  # as PyTorch (b * b underflows)
        return ga, gb


class Neg(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Op):
    """``a ** b``: d/da = b * a**(b-1) (0 where b == 0); d/db = a**b * log(a) (0 where a == 0 and
    b >= 0), as PyTorch. Written on ``array_namespace`` (differentiable again)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        if type(b) is int and b >= 0:
            out = a ** b
        elif isinstance(b, np.ndarray) and b.dtype.kind == "i" and np.asarray(a).dtype.kind in "iub":
            out = _int_pow(a, b)
        else:  # 0 ** -1 = inf and negative base with a fractional exponent is nan, silently (as torch)
            try:
                with np.errstate(invalid="ignore", divide="ignore"):
                    if isinstance(b, np.ndarray) and b.size == 1 and isinstance(a, np.ndarray) and b.flat[0] == 0.5:
                        # a tensor exponent of 0.5 takes pow (pow(-inf, 0.5) = inf), as PyTorch: not
                        # NumPy's sqrt for an exponent it broadcasts (nan there)
                        shape = np.broadcast_shapes(a.shape, b.shape)
                        out = (a ** np.full(shape or (1,), b.flat[0], b.dtype)).reshape(shape)
                    else:
                        out = a ** b
            except ValueError:
                raise broadcast_error(a, b) from None
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        xp = array_namespace(grad)
        scalar_b = not isinstance(b, (np.ndarray, Tensor))
        ga = gb = None
        with np.errstate(invalid="ignore", divide="ignore"):
            if ctx.needs_input_grad[0]:
                if not scalar_b:
                    ga = xp.where(b == 0, 0.0, grad * (b * a ** (b - 1)))
                elif b == 0:
                    ga = xp.zeros_like(grad)
                elif b == 2:
                    ga = grad * (2 * a)
                else:
                    ga = grad * (b * a ** (b - 1))
            if ctx.needs_input_grad[1]:
                if isinstance(a, (np.ndarray, Tensor)):
                    gb = grad * xp.where((a == 0) & (b >= 0), 0.0, out * xp.log(a))
                else:  # a number ** a tensor
                    la = float(np.log(a))
                    gb = grad * (xp.where(b >= 0, 0.0, out * la) if a == 0 else out * la)
        return ga, gb


def _int_pow(a, b):
    """Integer ``a ** b`` with integer tensor exponents, as PyTorch: a negative exponent gives 1 for
    base 1, +-1 for base -1 and 0 otherwise (NumPy refuses negative integer powers)."""
    try:
        a, b = np.broadcast_arrays(np.asarray(a), b)
    except ValueError:
        raise broadcast_error(a, b) from None
    dt = np.result_type(a, b)
    neg = b < 0
    with np.errstate(over="ignore"):
        out = np.asarray(a.astype(dt) ** np.where(neg, 0, b).astype(dt))
    odd = (-b) % 2 == 1
    at_neg = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0)).astype(dt)
    return np.where(neg, at_neg, out).astype(dt, copy=False)


class PowTensor(Pow):
    backward_name = "PowBackward1"  # torch's name for a tensor exponent


class PowScalarBase(Pow):
    backward_name = "PowBackward2"  # number ** tensor


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting."""
    if out is not None:
        return with_out(out, "add", add, input, other, alpha=alpha)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return Add.apply(a, b)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other`` with broadcasting."""
    if out is not None:
        return with_out(out, "sub", sub, input, other, alpha=alpha)
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input._data.dtype == other._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(type(x) is bool or isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (input, other)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    return Sub.apply(a, b)


def rsub_number(tensor, number):
    """``number - tensor`` (``Tensor.__rsub__``), recorded as PyTorch's ``RsubBackward1``."""
    if type(number) is bool or tensor._data.dtype == np.bool_:
        return sub(number, tensor)                      # sub's errors
    a, b = promote(number, tensor)
    return Rsub.apply(a, b)


def mul(input, other, *, out=None):
    """Elementwise product with broadcasting."""
    if out is not None:
        return with_out(out, "mul", mul, input, other)
    if _half_scalar(input, other):
        return _in_float32(mul, input, other)
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    if a._data.dtype == np.bool_ and isinstance(b, Tensor) and b._data.dtype == np.bool_:
        return _wrap(a._data & b._data)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None, out=None):
    """Elementwise true division (integers divide to float32); ``rounding_mode`` 'trunc' or 'floor'."""
    if out is not None:
        return with_out(out, "div", div, input, other, rounding_mode=rounding_mode)
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"{rounding_mode!r}")
    if rounding_mode is None and _half_scalar(input, other):
        return _in_float32(div, input, other)
    if rounding_mode is None and _int_tensors(input, other):
        # integer true division: each operand goes to float on its own (no cast through the
        # promoted integer type: 0-d int64 300 / uint8 tensor is 150, not 300 wrapped to 44)
        return Div.apply(_float(as_tensor_arg(input)), _float(as_tensor_arg(other)))
    a, b = promote(input, other)
    if rounding_mode is not None and all(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (a, b)):
        raise NotImplementedError(f'div with rounding_mode={rounding_mode!r} is not implemented for bool tensors '
                                  f'(as in PyTorch); convert them with .long() first')
    if rounding_mode is not None and _int_data(a) is not None and _int_data(b) is not None:
        dt = (a if isinstance(a, Tensor) else b)._data.dtype
        _check_int_divisor(a, b)
        return _wrap(_int_div(_int_data(a), _int_data(b), rounding_mode, dt))
    if rounding_mode is not None:
        q = div(_float(a), _float(b))
        res = trunc(q) if rounding_mode == "trunc" else FloorDivFloat.apply(_float(a), _float(b), q._data.dtype)
        ad = a._data if isinstance(a, Tensor) else np.asarray(a)
        if isinstance(a, Tensor) and ad.dtype.kind in "iub":
            return to_dtype(res.detach(), np.result_type(ad, b._data if isinstance(b, Tensor) else b))
        return res
    a, b = _float(a), _float(b)
    return Div.apply(a, b)


class FloorDivFloat(Op):
    """Float ``floor(a / b)`` as PyTorch's kernel (and NumPy's floor_divide): from ``fmod``, so
    ``1 // -inf`` is -1 and ``inf // 2`` is nan; float16 is computed in float32. Zero gradient."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, dt):
        wide = np.float32 if np.dtype(dt).itemsize < 4 else dt
        with np.errstate(all="ignore"):
            return np.asarray(np.floor_divide(np.asarray(a, wide), np.asarray(b, wide))).astype(dt, copy=False)

    @staticmethod
    def backward(ctx, grad):
        zero = array_namespace(grad).zeros_like(grad)
        return zero, zero, None


def _half_scalar(a, b):
    """A float16 tensor with dims, then a number or 0-d tensor (not bool) that float16 cannot hold
    exactly: PyTorch computes in float32 with the scalar's own value, so ``x * 1e5`` is finite where
    the product fits in float16 (a scalar float16 holds gives the same result either way)."""
    if not (isinstance(a, Tensor) and a._data.dtype == np.float16 and a._data.ndim):
        return False
    if isinstance(b, Tensor):
        if b._data.ndim or b._data.dtype.kind not in "iuf" or b._data.dtype == np.float16:
            return False
        b = b._data.item()
    elif type(b) not in (int, float):
        return False
    with np.errstate(over="ignore"):
        return float(np.float16(b)) != b


def _in_float32(fn, a, b):
    a32, b32 = [to_dtype(x, np.float32) if isinstance(x, Tensor) else float(x) for x in (a, b)]
    return to_dtype(fn(a32, b32), np.float16)


def _int_tensors(a, b):
    """Both operands integer or bool (tensors or Python ints), at least one a tensor."""
    ok = [isinstance(x, Tensor) and x._data.dtype.kind in "iub" or type(x) in (int, bool) for x in (a, b)]
    return all(ok) and (isinstance(a, Tensor) or isinstance(b, Tensor))


def _int_data(x):
    """The integer array of a promoted operand (tensor or Python int), else None."""
    d = x._data if isinstance(x, Tensor) else (np.asarray(x) if type(x) is int else None)
    return d if d is not None and d.dtype.kind in "iu" else None


def _check_int_divisor(a, b):
    """Integer division or modulo by zero raises, as PyTorch (a, b: promoted operands)."""
    t = a if isinstance(a, Tensor) else b
    bd = b._data if isinstance(b, Tensor) else np.asarray(b)
    ad = a._data if isinstance(a, Tensor) else np.asarray(a)
    if t._data.dtype.kind in "iub" and np.any(bd == 0) and math.prod(np.broadcast_shapes(ad.shape, bd.shape)):
        raise RuntimeError("ZeroDivisionError: integer division or modulo by zero (PyTorch raises "
                           "for integer tensors; convert to float for inf/nan results)")


def _int_div(a, b, mode, dt):
    """Exact integer division rounded to 'floor' or 'trunc' (no round trip through float)."""
    with np.errstate(over="ignore"):
        q = np.floor_divide(a, b)
        if mode == "trunc":                              # floor is one below trunc when the signs
            r = np.remainder(a, b)                       # differ and the division is inexact
            q = q + ((r != 0) & ((a < 0) != (b < 0)))
    return np.asarray(q).astype(dt, copy=False)


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
    if all(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (a, b)):
        raise NotImplementedError('"pow" is not implemented for two bool tensors (as in PyTorch); convert '
                                  'one with .long() or .float() first')
    if isinstance(a, Tensor) and a._data.dtype.kind in "iu" and isinstance(b, int) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return (Pow if not isinstance(b, Tensor) else PowTensor if isinstance(a, Tensor) else PowScalarBase).apply(a, b)


def float_power(input, exponent):
    return pow(to_dtype(input, np.float64) if isinstance(input, Tensor) else input,
               to_dtype(exponent, np.float64) if isinstance(exponent, Tensor) else exponent)


def square(input):
    """``input * input``."""
    if input._data.dtype == np.bool_:                    # as pow(bool, 2): int64
        return _wrap(input._data.astype(np.int64))
    return Pow.apply(input, 2) if input._data.dtype.kind == "f" else _wrap(input._data * input._data)


subtract = sub
multiply = mul
divide = div
true_divide = div
negative = neg


# -- out=: the result written into a given tensor -------------------------------------------
def with_out(out, name, fn, *args, **kwargs):
    """PyTorch's ``out=``: the result of ``fn(*args, **kwargs)`` written into ``out``, which is returned.

    Not differentiable: with grad mode on, neither ``out`` nor an argument may require grad.
    """
    require_tensor(name, "out", out)
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


# -- rounding and sign: piecewise constant, zero gradient ---------------------------------------
class _ZeroGrad(Op):
    """Piecewise-constant functions: the gradient is zero wherever it exists."""
    differentiable_backward = True

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).zeros_like(grad)


def _piecewise(name, f):
    op = type(name, (_ZeroGrad,), {"forward": staticmethod(lambda ctx, a, *args: f(a, *args))})

    def fn(input, *args):
        if input._data.dtype == np.bool_ and name != "Sign":
            raise NotImplementedError(f'"{name.lower()}" is not implemented for bool tensors (as in PyTorch); '
                                      'convert with .float() or .long() first')
        if input._data.dtype.kind != "f":
            return _wrap(f(input._data, *args))
        return op.apply(input, *args)
    fn.__name__ = name.lower()
    fn.__doc__ = f"Elementwise {name.lower()} (zero gradient)."
    return op, fn


def _sign(a):
    """PyTorch's sign: 0 for nan, a bool stays itself."""
    if a.dtype == np.bool_:
        return a.copy()
    out = np.asarray(np.sign(a))
    if a.dtype.kind == "f":
        out = np.asarray(np.where(np.isnan(out), out.dtype.type(0), out))
    return out


Sign, sign = _piecewise("Sign", _sign)
Floor, floor = _piecewise("Floor", np.floor)
Ceil, ceil = _piecewise("Ceil", np.ceil)
Trunc, trunc = _piecewise("Trunc", np.trunc)
_Round, _round = _piecewise("Round", lambda a, d=0: np.round(a, d))
sgn = sign


def round(input, *, decimals=0):
    """Round half to even, as PyTorch; ``decimals`` digits after the point."""
    return _round(input, decimals) if decimals else _round(input)


def frac(input):
    return sub(input, trunc(input))


# -- integer-style division ------------------------------------------------------------------
def floor_divide(input, other):
    """Floor of ``input / other`` (not differentiable, as in PyTorch)."""
    a, b = promote(input, other)
    ad = a._data if isinstance(a, Tensor) else a
    bd = b._data if isinstance(b, Tensor) else b
    if (np.asarray(bd).dtype.kind in "iu" and np.any(np.asarray(bd) == 0)):
        raise RuntimeError("ZeroDivisionError: integer floor division by zero")
    return _wrap(np.asarray(np.floor_divide(ad, bd)))


class Remainder(Op):
    """``a - b * floor(a / b)``: d/da = 1, d/db = -floor(a / b) (piecewise constant)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        r = np.asarray(np.remainder(a, b))
        if r.dtype.kind == "f":
            # a zero remainder has the dividend's sign, as PyTorch's (NumPy gives the divisor's)
            np.copysign(r, a, out=r, where=r == 0)
        return r

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * (a // b) if ctx.needs_input_grad[1] else None)


class Fmod(Op):
    """``a - b * trunc(a / b)``: d/da = 1, d/db = -trunc(a / b) (piecewise constant)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.fmod(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * array_namespace(grad).trunc(a / b) if ctx.needs_input_grad[1] else None)


def remainder(input, other):
    """Python-style modulus (sign of the divisor)."""
    a, b = promote(input, other)
    if all(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (a, b)):
        raise NotImplementedError('"remainder" is not implemented for bool tensors (as in PyTorch); convert '
                                  'them with .long() first')
    _check_int_divisor(a, b)
    return Remainder.apply(a, b)


def fmod(input, other):
    """C-style remainder (sign of the dividend)."""
    a, b = promote(input, other)
    if all(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (a, b)):
        raise NotImplementedError('"fmod" is not implemented for bool tensors (as in PyTorch); convert '
                                  'them with .long() first')
    _check_int_divisor(a, b)
    return Fmod.apply(a, b)


# -- fused forms ------------------------------------------------------------------------------
def lerp(input, end, weight):
    return add(input, mul(sub(end, input), weight))


def addcmul(input, tensor1, tensor2, *, value=1):
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    return add(input, mul(div(tensor1, tensor2), value))
