"""Math functions, elementwise: exp and log, roots, trigonometric and hyperbolic functions, erf,
sigmoid, abs, reciprocal; and atan2, hypot and xlogy of two inputs.

Integer inputs compute in float32 (as PyTorch). Outside a function's domain (log of a negative
number, sqrt(-1), 1/0) the result is nan or inf, silently, as in PyTorch.

Layer: above arithmetic.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from . import _math
from ._cast import to_dtype
from ._util import promote, require_tensor

__all__ = [
    "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf", "reciprocal", "abs", "absolute",
    "atan2", "hypot", "xlogy",
]


# -- one input: an Op each, declared by its forward and derivative ------------------------------
def _unary(name, fwd, bwd, save="input", doc="", quiet=False, elementwise=True):
    """Declare a one-input op: ``bwd(xp, grad, saved)`` where saved is the input or the output and
    ``xp`` the array namespace of ``grad`` (so the backward is differentiable again).

    ``quiet``: outside the domain the result is nan/inf without NumPy warnings (as in torch).
    ``elementwise``: ember/_blocked.py may split large arrays across threads (False where the op is
    cheap per element and the split costs more than it saves, as measured there).
    """
    def forward(ctx, a):
        out = fwd(a)
        ctx.save_for_backward(a if save == "input" else out)
        return out

    def backward(ctx, grad):
        return bwd(array_namespace(grad), grad, ctx.saved_tensors[0])

    if quiet:
        plain_f, plain_b = forward, backward

        def forward(ctx, a):
            with np.errstate(divide="ignore", invalid="ignore"):
                return plain_f(ctx, a)

        def backward(ctx, grad):
            with np.errstate(divide="ignore", invalid="ignore"):
                return plain_b(ctx, grad)

    op = type(name, (Op,), {"forward": staticmethod(forward), "backward": staticmethod(backward),
                            "differentiable_backward": True, "elementwise": elementwise})

    def fn(input):
        if input._data.dtype.kind != "f":
            input = to_dtype(input, np.float32)
        return op.apply(input)
    fn.__name__ = name.lower()
    fn.__doc__ = doc or f"Elementwise {name.lower()}."
    return op, fn


_LN2 = float(np.log(2.0))      # Python floats keep float32 arrays float32
_LN10 = float(np.log(10.0))
_TWO_OVER_SQRT_PI = float(2 / np.sqrt(np.pi))
Exp, exp = _unary("Exp", _math.exp, lambda xp, g, out: g * out, "output", "Elementwise e**x.")
Exp2, exp2 = _unary("Exp2", np.exp2, lambda xp, g, out: g * out * _LN2, "output", elementwise=False)
Log, log = _unary("Log", np.log, lambda xp, g, a: g / a, doc="Natural logarithm.", quiet=True, elementwise=False)
Log2, log2 = _unary("Log2", np.log2, lambda xp, g, a: g / (a * _LN2), quiet=True, elementwise=False)
Log10, log10 = _unary("Log10", np.log10, lambda xp, g, a: g / (a * _LN10), quiet=True, elementwise=False)
Log1p, log1p = _unary("Log1P", np.log1p, lambda xp, g, a: g / (a + 1), quiet=True)
Expm1, expm1 = _unary("Expm1", np.expm1, lambda xp, g, out: g * (out + 1), "output", elementwise=False)
Sqrt, sqrt = _unary("Sqrt", np.sqrt, lambda xp, g, out: g / (2 * out), "output", quiet=True, elementwise=False)
Rsqrt, rsqrt = _unary("Rsqrt", lambda a: 1 / np.sqrt(a), lambda xp, g, out: g * (-0.5 * out * out * out), "output",
                      quiet=True, elementwise=False)
Sin, sin = _unary("Sin", np.sin, lambda xp, g, a: g * xp.cos(a))
Cos, cos = _unary("Cos", np.cos, lambda xp, g, a: -g * xp.sin(a))
Tan, tan = _unary("Tan", np.tan, lambda xp, g, out: g * (1 + out * out), "output")
Asin, asin = _unary("Asin", np.arcsin, lambda xp, g, a: g / xp.sqrt(1 - a * a), quiet=True)
Acos, acos = _unary("Acos", np.arccos, lambda xp, g, a: -g / xp.sqrt(1 - a * a), quiet=True)
Atan, atan = _unary("Atan", np.arctan, lambda xp, g, a: g / (1 + a * a))
Sinh, sinh = _unary("Sinh", np.sinh, lambda xp, g, a: g * xp.cosh(a))
Cosh, cosh = _unary("Cosh", np.cosh, lambda xp, g, a: g * xp.sinh(a))
Tanh, tanh = _unary("Tanh", np.tanh, lambda xp, g, out: g * _math.one_minus_square(out), "output",
                     "Hyperbolic tangent.")
Reciprocal, reciprocal = _unary("Reciprocal", lambda a: 1 / a,
                                lambda xp, g, out: -g * (out * out),   # torch's order of rounding
                                "output", quiet=True, elementwise=False)
Erf, erf = _unary("Erf", _math.erf, lambda xp, g, a: g * _TWO_OVER_SQRT_PI * xp.exp(-a * a),
                  elementwise=False)   # math.erf per element holds the GIL: threads would not help


Sigmoid, sigmoid = _unary("Sigmoid", _math.sigmoid, lambda xp, g, out: g * out * (1 - out), "output",
                          "Logistic sigmoid 1 / (1 + exp(-x)), stable for large |x|.")


def sigmoid_branch(a):
    """Which formula ``_math.sigmoid`` takes for ``a`` (it decides from the whole array's minimum):
    ember/_blocked.py splits an op using it only where every block takes the same one."""
    return a.min() > -_math._EXP_OVERFLOW.get(a.dtype, np.inf)


Sigmoid.elementwise_branch = staticmethod(sigmoid_branch)


class Abs(Op):
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        xp = array_namespace(grad)
        return grad * xp.where(a != a, 0.0, xp.sign(a))  # sgn(nan) is 0, as PyTorch's


def abs(input):
    """Elementwise absolute value."""
    if input._data.dtype == np.bool_:
        raise NotImplementedError('"abs" is not implemented for bool tensors (as in PyTorch); convert with '
                                  '.long() or .float() first')
    return Abs.apply(input)


absolute = abs


# -- two inputs ------------------------------------------------------------------------------
def atan2(input, other):
    """Elementwise arctan(input / other) in the right quadrant."""
    require_tensor("atan2", "input", input)
    require_tensor("atan2", "other", other)
    if not any(isinstance(x, float) or isinstance(x, Tensor) and x._data.dtype.kind == "f" for x in (input, other)):
        # integers: each straight to float32, as PyTorch (not through the promoted integer type)
        input, other = [to_dtype(x, np.float32) if isinstance(x, Tensor) else float(x) for x in (input, other)]
    a, b = promote(input, other)
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    raw = tuple(x._data if isinstance(x, Tensor) and x._data.dtype != dt else None for x in (input, other))
    return Atan2.apply(a, b, raw if raw[0] is not None or raw[1] is not None else None)


class Atan2(Op):
    """d/da atan2(a, b) = b / (a² + b²), d/db = -a / (a² + b²)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, raw=None):
        ctx.save_for_backward(a, b)
        ctx.raw = raw  # inputs of another dtype before promotion (PyTorch's backward squares them as they are)
        if a.dtype.kind != "f" or a.dtype.itemsize <= 4:   # rounded from float64: NumPy's float32
            dt = a.dtype if a.dtype.kind == "f" else np.float32   # atan2 is off by an ulp; integer
            return np.arctan2(a.astype(np.float64), b).astype(dt)   # inputs give float32
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        xp = array_namespace(grad)
        r2 = a * a + b * b
        if ctx.raw is not None and not xp.graph:
            ra, rb = ctx.raw
            if ra is not None and ra.dtype == np.bool_ and ctx.needs_input_grad[1]:
                raise RuntimeError("atan2 backward: Negation, the `-` operator, on a bool tensor is not supported "
                                   "(as in PyTorch: input is bool); convert input with .float() first")
            with np.errstate(over="ignore"):  # as PyTorch: an input's square in its own dtype (ints wrap)
                sq = [x * x if r is None else (r * r).astype(x.dtype) for x, r in ((a, ra), (b, rb))]
                r2 = sq[0] + sq[1]
                if ra is not None and ra.dtype != np.bool_:  # and so does its negation (uint8: -255 is 1)
                    a = -(np.negative(ra).astype(a.dtype))
        with np.errstate(divide="ignore", over="ignore"):
            recip = xp.where(r2 == 0, 0.0, 1 / r2)  # as PyTorch: 0 where a² + b² is 0, not nan
        return (grad * b * recip if ctx.needs_input_grad[0] else None,
                -grad * a * recip if ctx.needs_input_grad[1] else None)


_WIDER = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


def hypot(input, other):
    """sqrt(input**2 + other**2) elementwise, without overflow of the squares (computed in a wider
    float and rounded back, so float32 near its largest value is finite, as PyTorch)."""
    require_tensor("hypot", "input", input)
    require_tensor("hypot", "other", other)
    a, b = promote(input, other)
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    if dt.kind != "f":
        raise NotImplementedError(f'"hypot" is not implemented for {dt} inputs (as in PyTorch); convert '
                                  f'them with .float() first')
    return Hypot.apply(a, b)


class Hypot(Op):
    """sqrt(a² + b²), computed in a wider float and rounded back; d/da = a / out, d/db = b / out
    (nan at the origin, as PyTorch)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        dt = (a if isinstance(a, np.ndarray) else b).dtype
        wide = _WIDER.get(dt, dt)
        out = np.asarray(np.hypot(np.asarray(a, wide), np.asarray(b, wide))).astype(dt, copy=False)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * a / out if ctx.needs_input_grad[0] else None,
                    grad * b / out if ctx.needs_input_grad[1] else None)


class Xlogy(Op):
    """d/da a log(b) = log(b), d/db = a / b."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((a == 0) & ~np.isnan(b), np.zeros((), a.dtype), a * np.log(b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * array_namespace(grad).log(b) if ctx.needs_input_grad[0] else None,
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
