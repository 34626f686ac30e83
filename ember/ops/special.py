"""Special and extra elementwise functions (PyTorch's names, dtypes and special values).

Aliases: arccos, arcsin, arctan, arctan2 (= acos, asin, atan, atan2), fix (= trunc); positive (the
input itself); rsub(a, b, alpha) = b - alpha * a.

New elementwise math (integer inputs compute in float32, as PyTorch):
- acosh x = log(x + sqrt(x² - 1)), asinh, atanh (NumPy's); d/dx 1/sqrt(x² - 1), 1/sqrt(x² + 1), 1/(1 - x²);
- deg2rad x = x·π/180, rad2deg x = x·180/π; sinc x = sin(πx)/(πx) (1 at 0);
- logit x = log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given;
- copysign(a, b) = |a| with b's sign bit; heaviside(a, v) = 0, v, 1 for a <, =, > 0;
- logaddexp(a, b) = log(eᵃ + eᵇ), logaddexp2 in base 2; ldexp(a, e) = a·2ᵉ; nextafter(a, b);
- isposinf, isneginf, isreal (bool results); gcd, lcm (integers only, non-negative results).

Special functions, vectorised in float64 and rounded to the input's dtype (the array math:
``_erf_math.py``, ``_gamma_math.py``, ``_bessel_math.py``):
- erfc = 1 - erf (Cody's rational approximations); d/dx -2/√π·exp(-x²);
- erfinv: Giles' rational first guess, then Halley steps on erf (|y| ≤ 1/2) or on erfc (the tails, so
  1 - |y| keeps its digits); ±1 give ±inf, |y| > 1 nan; d/dy √π/2·exp(erfinv(y)²);
- lgamma = log|Γ(x)| (Lanczos, the Taylor series near the zeros 1 and 2, reflection below 1/2), +inf at
  the poles 0, -1, -2, ...; d/dx digamma(x);
- i0 = I₀ (NumPy's Chebyshev expansions), nan at ±inf as PyTorch; d/dx I₁, computed by its power
  series for |x| ≤ 20 and its asymptotic series beyond; d/dx I₁ = I₀ - I₁/x;
- digamma ψ(x) and polygamma ψ⁽ⁿ⁾(x): ψ and ψ' by recurrence and the asymptotic series in Bernoulli
  numbers, with reflection for x < 0 (ψ(x) = ψ(1 - x) - π/tan(πx), ψ'(x) = -ψ'(1 - x) + π²/sin²(πx));
  n ≥ 2 as PyTorch, (-1)ⁿ⁺¹·n!·ζ(n + 1, x). ψ(±0) = ∓inf, ψ at the negative integers nan, as PyTorch;
  d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾.

Layer: above arithmetic, math_functions and comparison.
"""
import math
import numbers

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from . import _gamma_math, _erf_math
from ._bessel_math import i0 as _i0_64, i1 as _i1_64
from ._cast import to_dtype
from ._util import promote, require_tensor
from .arithmetic import mul, pow, rsub_number, sub, trunc
from .math_functions import _unary, acos, asin, atan, atan2

__all__ = [
    "arccos", "arcsin", "arctan", "arctan2", "acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh",
    "fix", "positive", "rsub", "deg2rad", "rad2deg", "copysign", "heaviside", "logaddexp", "logaddexp2",
    "sinc", "logit", "isposinf", "isneginf", "isreal", "ldexp", "nextafter", "gcd", "lcm",
    "erfc", "erfinv", "lgamma", "digamma", "polygamma", "i0",
]

# -- aliases ---------------------------------------------------------------------------------------
arccos, arcsin, arctan, arctan2, fix = acos, asin, atan, atan2, trunc


def positive(input):
    """``+input``: the input itself (bool tensors raise, as PyTorch). Example: ``ember.positive(x) is x``."""
    require_tensor("positive", "input", input)
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported (as in PyTorch); convert with "
                        ".long() or .float() first")
    return input


def rsub(input, other, alpha=1):
    """``other - alpha * input`` (subtraction with the operands reversed).
    Example: ``ember.rsub(ember.tensor([1.]), 5)`` is ``tensor([4.])``."""
    require_tensor("rsub", "input", input)
    if alpha == 1 and isinstance(other, numbers.Number):
        return rsub_number(input, other)                # PyTorch's RsubBackward1
    return sub(other, input, alpha=alpha)


def _checked(fn):
    """``fn`` raising PyTorch's TypeError for an input that is not a Tensor."""
    def checked(input):
        require_tensor(fn.__name__, "input", input)
        return fn(input)
    checked.__name__, checked.__doc__ = fn.__name__, fn.__doc__
    return checked


# -- inverse hyperbolic functions ---------------------------------------------------------------------
Acosh, acosh = _unary("Acosh", np.arccosh, lambda xp, g, a: g / xp.sqrt(a * a - 1), quiet=True,
                      doc="Inverse hyperbolic cosine (nan below 1). Example: ``ember.acosh(ember.tensor([1.]))``.")
Asinh, asinh = _unary("Asinh", np.arcsinh, lambda xp, g, a: g / xp.sqrt(a * a + 1),
                      doc="Inverse hyperbolic sine. Example: ``ember.asinh(ember.tensor([0.]))``.")
Atanh, atanh = _unary("Atanh", np.arctanh, lambda xp, g, a: g / (1 - a * a), quiet=True,
                      doc="Inverse hyperbolic tangent (±inf at ±1, nan beyond). "
                          "Example: ``ember.atanh(ember.tensor([0.5]))``.")
acosh, asinh, atanh = _checked(acosh), _checked(asinh), _checked(atanh)
arccosh, arcsinh, arctanh = acosh, asinh, atanh

# -- angles, sinc, logit -------------------------------------------------------------------------------
_D2R = math.pi / 180.0
_R2D = 180.0 / math.pi
Deg2rad, deg2rad = _unary("Deg2rad", lambda a: a * a.dtype.type(_D2R), lambda xp, g, a: g * _D2R,
                          doc="Degrees to radians, x·π/180. Example: ``ember.deg2rad(ember.tensor([180.]))``.")
Rad2deg, rad2deg = _unary("Rad2deg", lambda a: a * a.dtype.type(_R2D), lambda xp, g, a: g * _R2D,
                          doc="Radians to degrees, x·180/π. Example: ``ember.rad2deg(ember.tensor([3.1416]))``.")


def _sinc(a):
    pa = a * a.dtype.type(math.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sin(pa) / pa
    return np.where(a == 0, a.dtype.type(1), out)


def _sinc_grad(xp, g, a):
    pa = a * math.pi
    safe = xp.where(a == 0, 1.0, a)
    d = (pa * xp.cos(pa) - xp.sin(pa)) / (pa * safe)
    return g * xp.where(a == 0, 0.0, d)


Sinc, sinc = _unary("Sinc", _sinc, _sinc_grad, quiet=True,
                    doc="Normalised sinc, sin(πx)/(πx), 1 at 0. Example: ``ember.sinc(ember.tensor([0., .5]))``.")
deg2rad, rad2deg, sinc = _checked(deg2rad), _checked(rad2deg), _checked(sinc)


class Logit(Op):
    """log(x / (1 - x)) with x clamped to [eps, 1 - eps] when eps is given; d/dx 1/(x(1 - x)),
    0 outside [eps, 1 - eps] (eps given) or nan outside [0, 1] (no eps), as PyTorch."""
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, a, eps):
        ctx.save_for_backward(a)
        ctx.eps = eps
        x = a if eps is None else np.clip(a, a.dtype.type(eps), a.dtype.type(1 - eps))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x / (1 - x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        xp = array_namespace(grad)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = grad / (a * (1 - a))
            if ctx.eps is None:
                return xp.where((a < 0) | (a > 1), math.nan, d)
            return xp.where((a < ctx.eps) | (a > 1 - ctx.eps), 0.0, d)


def logit(input, eps=None):
    """log(p / (1 - p)), p first clamped to [eps, 1 - eps] when ``eps`` is given.
    Example: ``ember.logit(ember.tensor([0.25]))`` is ``tensor([-1.0986])``."""
    require_tensor("logit", "input", input)
    if input._data.dtype.kind != "f":
        input = to_dtype(input, np.float32)
    return Logit.apply(input, None if eps is None else float(eps))


# -- two-input functions -------------------------------------------------------------------------------
def _float_pair(name, input, other, ints="float32"):
    """Promote (input, other) as PyTorch's binary ops; integer/bool results compute in float32
    (``ints="float32"``) or raise (``ints="raise"``). Returns two Tensors of one float dtype."""
    require_tensor(name, "input", input)
    a, b = promote(input, other)
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    if dt.kind != "f":
        if ints == "raise":
            raise NotImplementedError(f'"{name}" is not implemented for {dt} inputs (as in PyTorch); convert '
                                      f'them with .float() first')
        dt = np.dtype(np.float32)
    a = to_dtype(a, dt) if isinstance(a, Tensor) else _wrap(np.asarray(a, dt))
    b = to_dtype(b, dt) if isinstance(b, Tensor) else _wrap(np.asarray(b, dt))
    return a, b


class Copysign(Op):
    """|a| with b's sign; d/da = result / a (0 where a is 0), nothing to b."""
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, a, b):
        out = np.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = xp.where(a == 0, 0.0, out / xp.where(a == 0, 1.0, a))
        return grad * ratio if ctx.needs_input_grad[0] else None, grad * 0.0 if ctx.needs_input_grad[1] else None


def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other`` (integers give float32).
    Example: ``ember.copysign(ember.tensor([1., -2.]), -1.)`` is ``tensor([-1., -2.])``."""
    return Copysign.apply(*_float_pair("copysign", input, other))


class _NoGrad(Op):
    """Forward through ``fn``; backward raises as PyTorch, which has no derivative for these."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, fn, name, *arrays):
        ctx.name = name
        return fn(*arrays)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"the derivative for '{ctx.name}' is not implemented (as in PyTorch)")


def heaviside(input, values):
    """The Heaviside step: 0 where input < 0, ``values`` where input == 0, 1 where input > 0.
    Both tensors must have one dtype (as PyTorch). Example: ``ember.heaviside(x, ember.tensor(0.5))``."""
    require_tensor("heaviside", "input", input)
    require_tensor("heaviside", "values", values)
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' must be a Tensor, not {type(values).__name__}")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes: input is "
                           f"{input.dtype}, values {values.dtype} (as in PyTorch); convert one with .to()")
    if input._data.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")

    def fn(a, v):
        return np.where(a == 0, v, a > 0).astype(a.dtype)
    return _NoGrad.apply(fn, "heaviside", input, values)


class LogAddExp(Op):
    """log(eᵃ + eᵇ) (base 2 when ``two``); d/da = 1 / (1 + e^(b - a)) (2^(b - a) in base 2)."""
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, a, b, two):
        ctx.save_for_backward(a, b)
        ctx.two = two
        with np.errstate(invalid="ignore"):   # -inf with -inf: -inf; nan stays nan, silently as PyTorch
            return np.logaddexp2(a, b) if two else np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        xp = array_namespace(grad)
        e = (lambda d: xp.exp(d * math.log(2.0))) if ctx.two else xp.exp
        with np.errstate(over="ignore", invalid="ignore"):
            return (grad / (1 + e(b - a)) if ctx.needs_input_grad[0] else None,
                    grad / (1 + e(a - b)) if ctx.needs_input_grad[1] else None)


def logaddexp(input, other):
    """log(exp(input) + exp(other)) without overflow. Example: ``ember.logaddexp(x, y)``."""
    require_tensor("logaddexp", "other", other)
    return LogAddExp.apply(*_float_pair("logaddexp", input, other, "raise"), False)


def logaddexp2(input, other):
    """log2(2**input + 2**other) without overflow. Example: ``ember.logaddexp2(x, y)``."""
    require_tensor("logaddexp2", "other", other)
    return LogAddExp.apply(*_float_pair("logaddexp2", input, other, "raise"), True)


def ldexp(input, other):
    """``input * 2**other`` (integers give float32). Example: ``ember.ldexp(ember.tensor([1.]), ember.tensor([3]))``."""
    require_tensor("ldexp", "input", input)
    require_tensor("ldexp", "other", other)
    with np.errstate(over="ignore", invalid="ignore"):   # 2**e beyond the dtype's range: inf, silently
        return mul(input, pow(2.0, other))


class Nextafter(Op):
    """The next float after a towards b; d/da = 1, d/db = 0 (as PyTorch)."""
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, a, b):
        return np.nextafter(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad if ctx.needs_input_grad[0] else None, grad * 0.0 if ctx.needs_input_grad[1] else None


def nextafter(input, other):
    """The next float after ``input`` towards ``other`` (floats only, as PyTorch).
    Example: ``ember.nextafter(ember.tensor([1.]), ember.tensor([2.]))``."""
    require_tensor("nextafter", "input", input)
    require_tensor("nextafter", "other", other)
    a, b = promote(input, other)
    a, b = [x if isinstance(x, Tensor) else _wrap(np.asarray(x, (b if x is a else a)._data.dtype)) for x in (a, b)]
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f'"nextafter_cpu" not implemented for {a.dtype} (as in PyTorch); convert the '
                                  f'inputs with .float() first')
    return Nextafter.apply(a, b)


def _int_pair(name, input, other):
    require_tensor(name, "input", input)
    require_tensor(name, "other", other)
    a, b = promote(input, other)
    a, b = [x if isinstance(x, Tensor) else _wrap(np.asarray(x, (b if x is a else a)._data.dtype)) for x in (a, b)]
    if a._data.dtype.kind not in "iu":
        raise NotImplementedError(f'"{name}_cpu" not implemented for {a.dtype} (as in PyTorch: integers only); '
                                  f'convert the inputs with .long() first')
    return a, b


def gcd(input, other):
    """Greatest common divisor, elementwise, of integer tensors (non-negative; gcd(0, 0) = 0).
    Example: ``ember.gcd(ember.tensor([12, 9]), ember.tensor([18, 6]))`` is ``tensor([6, 3])``."""
    a, b = _int_pair("gcd", input, other)
    return _NoGrad.apply(np.gcd, "gcd", a, b)


def lcm(input, other):
    """Least common multiple, elementwise, of integer tensors (non-negative; 0 if either is 0).
    Example: ``ember.lcm(ember.tensor([4, 6]), ember.tensor([6, 4]))`` is ``tensor([12, 12])``."""
    a, b = _int_pair("lcm", input, other)
    with np.errstate(over="ignore"):
        return _NoGrad.apply(np.lcm, "lcm", a, b)


# -- tests of value -------------------------------------------------------------------------------------
def _predicate(name, fn):
    def test(input):
        require_tensor(name, "input", input)
        d = input._data
        if d.dtype.kind == "c":
            raise NotImplementedError(f"{name} does not support complex inputs.")
        return _wrap(fn(d) if d.dtype.kind == "f" else np.zeros(d.shape, np.bool_))
    test.__name__ = name
    return test


isposinf = _predicate("isposinf", np.isposinf)
isposinf.__doc__ = "True where input is +inf. Example: ``ember.isposinf(ember.tensor([1., float('inf')]))``."
isneginf = _predicate("isneginf", np.isneginf)
isneginf.__doc__ = "True where input is -inf. Example: ``ember.isneginf(ember.tensor([-float('inf')]))``."


def isreal(input):
    """True where input has no imaginary part: everywhere, for ember's real dtypes.
    Example: ``ember.isreal(ember.tensor([1., 2.]))`` is ``tensor([True, True])``."""
    require_tensor("isreal", "input", input)
    return _wrap(np.ones(input._data.shape, np.bool_))


# -- special functions -------------------------------------------------------------------------------
def _in64(a, f):
    """``f`` on ``a`` in float64, rounded back to a's dtype."""
    with np.errstate(all="ignore"):
        return np.asarray(f(a.astype(np.float64))).astype(a.dtype, copy=False)


_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI


def _erfc_array(a):
    return _in64(a, _erf_math.erfc_for_float32 if a.dtype == np.float32 else _erf_math.erfc)


def _erfinv_array(a):
    single = a.dtype.itemsize <= 4
    return _in64(a, lambda y: _erf_math.erfinv(y, 1 if single else 2, fast32=single))


Erfc, erfc = _unary("Erfc", _erfc_array, lambda xp, g, a: -g * _TWO_OVER_SQRT_PI * xp.exp(-a * a), elementwise=False,
                    doc="Complementary error function 1 - erf(x), without cancellation for large x. "
                        "Example: ``ember.erfc(ember.tensor([0., 3.]))``.")
Erfinv, erfinv = _unary("Erfinv", _erfinv_array, lambda xp, g, out: g * (_SQRT_PI / 2) * xp.exp(out * out), "output",
                        elementwise=False, doc="Inverse error function on [-1, 1] (±inf at ±1, nan outside). "
                                               "Example: ``ember.erfinv(ember.tensor([0., 0.5]))``.")
erfc, erfinv = _checked(erfc), _checked(erfinv)


class Polygamma(Op):
    """ψ⁽ⁿ⁾(x) (n = 0: digamma); d/dx = ψ⁽ⁿ⁺¹⁾(x)."""
    differentiable_backward = True
    elementwise = False

    @staticmethod
    def forward(ctx, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        return _in64(a, lambda x: _gamma_math.polygamma(n, x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (_polygamma(ctx.n + 1, a) if isinstance(a, Tensor) else _in64(a, lambda x: _gamma_math.polygamma(
            ctx.n + 1, x)))


def _polygamma(n, input):
    if input._data.dtype.kind != "f":
        input = to_dtype(input, np.float32)
    return Polygamma.apply(input, n)


def digamma(input):
    """ψ(x) = d/dx log Γ(x) (-inf at 0, nan at the negative integers, as PyTorch).
    Example: ``ember.digamma(ember.tensor([1.]))`` is ``tensor([-0.5772])``."""
    require_tensor("digamma", "input", input)
    return _polygamma(0, input)


def polygamma(n, input):
    """The n-th derivative of digamma, ψ⁽ⁿ⁾(x), for an integer n ≥ 0.
    Example: ``ember.polygamma(1, ember.tensor([1.]))`` is ``tensor([1.6449])`` (π²/6)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (received n={n}).")
    require_tensor("polygamma", "input", input)
    return _polygamma(int(n), input)


class Lgamma(Op):
    """log|Γ(x)|; d/dx ψ(x)."""
    differentiable_backward = True
    elementwise = False

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _in64(a, lambda x: _gamma_math.lgamma(x, exact_near_zeros=a.dtype != np.float32))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (digamma(a) if isinstance(a, Tensor) else _in64(a, lambda x: _gamma_math.polygamma(0, x)))


def lgamma(input):
    """log|Γ(x)| (+inf at the poles 0, -1, -2, ...). Example: ``ember.lgamma(ember.tensor([3.]))`` is
    ``tensor([0.6931])``."""
    require_tensor("lgamma", "input", input)
    if input._data.dtype.kind != "f":
        input = to_dtype(input, np.float32)
    return Lgamma.apply(input)


# -- modified Bessel functions of the first kind ---------------------------------------------------
class BesselI(Op):
    """I₀ (order 0) or I₁ (order 1); d/dx I₀ = I₁, d/dx I₁ = I₀ - I₁/x (1/2 at 0)."""
    differentiable_backward = True
    elementwise = False

    @staticmethod
    def forward(ctx, a, order):
        ctx.save_for_backward(a)
        ctx.order = order
        out = _in64(a, _i0_64 if order == 0 else _i1_64)
        if a.dtype == np.float32:     # PyTorch's float32 kernel forms eˣ in float32: inf past log(FLT_MAX)
            out = np.where(np.isfinite(a) & (np.abs(a) > np.float32(88.72284)), np.copysign(np.inf, out), out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        xp = array_namespace(grad)
        if isinstance(a, Tensor):
            i1 = BesselI.apply(a, 1)
            if ctx.order == 0:
                return grad * i1
            i0 = BesselI.apply(a, 0)
        else:
            i1 = _in64(a, _i1_64)
            if ctx.order == 0:
                return grad * i1
            i0 = _in64(a, _i0_64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * xp.where(a == 0, 0.5, i0 - i1 / xp.where(a == 0, 1.0, a))


def i0(input):
    """The modified Bessel function of the first kind of order 0, I₀(x) = Σ (x²/4)ᵏ / (k!)².
    Example: ``ember.i0(ember.tensor([0., 1.]))`` is ``tensor([1.0000, 1.2661])``."""
    require_tensor("i0", "input", input)
    if input._data.dtype.kind != "f":
        input = to_dtype(input, np.float32)
    return BesselI.apply(input, 0)
