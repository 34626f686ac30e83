"""The rest of ``torch.special``'s elementwise functions: erfcx, log_ndtr, ndtri, entr, xlog1py, the
Hurwitz zeta and the multivariate log-gamma (the array math: ``_erf_math.py``, ``_gamma_math.py``).

- erfcx x = exp(x²)·erfc(x); d/dx = 2x·erfcx(x) - 2/√π;
- log_ndtr x = log Φ(x) (PyTorch's formula); d/dx = exp(-x²/2 - log_ndtr x)/√(2π);
- ndtri p = Φ⁻¹(p); d/dp = √(2π)·exp(ndtri(p)²/2);
- entr x = -x·log x (0 at 0, -inf below 0); d/dx = -(1 + log x);
- xlog1py(x, y) = x·log1p(y) (0 where x = 0 and y is not nan); d/dx = log1p(y) (0 where x = 0, y ≤ -1),
  d/dy = x/(1 + y);
- zeta(x, q) = Σₖ (q + k)^-x; no derivative (backward raises NotImplementedError, as PyTorch);
- multigammaln(a, p) = p(p-1)/4·log π + Σⱼ₌₀^(p-1) lgamma(a - j/2), composed of differentiable ops;
- gammainc(a, x) = P(a, x), gammaincc = Q = 1 - P (torch.igamma / igammac); d/dx P = x^(a-1)e^-x/Γ(a)
  (= -d/dx Q); no derivative in a (backward raises NotImplementedError, as PyTorch).

Layer: above special.
"""
import math

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from . import _erf_math, _gamma_math
from ._cast import to_dtype
from ._util import promote, require_tensor
from .arithmetic import add
from .reduce import sum as _sum
from .special import _in64, lgamma
from .views import unsqueeze

__all__ = ["erfcx", "log_ndtr", "ndtri", "entr", "xlog1py", "zeta", "multigammaln", "mvlgamma", "gammainc",
           "gammaincc", "igamma", "igammac"]

_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _float_input(name, input, half=True):
    require_tensor(name, "input", input)
    if input._data.dtype.kind != "f":
        input = to_dtype(input, np.float32)
    if not half:
        no_half(name, input)
    return input


def no_half(name, t):
    """PyTorch's error for the functions its CPU kernels lack in float16."""
    if t._data.dtype == np.float16:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Half\' (as in PyTorch); convert the input '
                                  f'with .float() first')


class Erfcx(Op):
    """exp(x²)·erfc(x); d/dx = 2x·erfcx(x) - 2/√π."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _in64(a, lambda x: _erf_math.erfcx(x, square32=a.dtype == np.float32))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        with np.errstate(invalid="ignore", over="ignore"):
            return grad * (2.0 * a * out - _TWO_OVER_SQRT_PI)


def erfcx(input):
    """The scaled complementary error function exp(x²)·erfc(x).
    Example: ``ember.special.erfcx(ember.tensor([0., 10.]))`` is ``tensor([1.0000, 0.0561])``."""
    return Erfcx.apply(_float_input("erfcx", input, half=False))


class LogNdtr(Op):
    """log Φ(x); d/dx = φ(x)/Φ(x) = exp(-x²/2 - log Φ(x))/√(2π)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _in64(a, lambda x: _erf_math.log_ndtr(x, t32=a.dtype == np.float32))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        with np.errstate(invalid="ignore", over="ignore"):
            return grad / _SQRT_2PI * xp.exp(-(out + a * a / 2))


def log_ndtr(input):
    """The log of the standard normal CDF, log Φ(x), accurate far into the lower tail.
    Example: ``ember.special.log_ndtr(ember.tensor([0.]))`` is ``tensor([-0.6931])``."""
    return LogNdtr.apply(_float_input("log_ndtr", input, half=False))


class Ndtri(Op):
    """Φ⁻¹(p); d/dp = √(2π)·exp(Φ⁻¹(p)²/2)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _in64(a, lambda p: _erf_math.ndtri(p, 1 if a.dtype == np.float32 else 2))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        xp = array_namespace(grad)
        with np.errstate(invalid="ignore", over="ignore"):
            return grad * _SQRT_2PI * xp.exp(out * out / 2)


def ndtri(input):
    """The standard normal quantile Φ⁻¹(p) (-inf at 0, inf at 1, nan outside [0, 1]).
    Example: ``ember.special.ndtri(ember.tensor([0.5, 0.975]))`` is ``tensor([0.0000, 1.9600])``."""
    return Ndtri.apply(_float_input("ndtri", input, half=False))


class Entr(Op):
    """-x·log x (0 at 0, -inf below 0); d/dx = -(1 + log x)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)

        def f(x):
            out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))
            return np.where(np.isnan(x), x, out)
        return _in64(a, f)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        xp = array_namespace(grad)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -grad * (1.0 + xp.log(a))


def entr(input):
    """The elementwise entropy -x·log x (0 at 0, -inf for x < 0).
    Example: ``ember.special.entr(ember.tensor([0.5]))`` is ``tensor([0.3466])``."""
    return Entr.apply(_float_input("entr", input))


def _pair(name, input, other):
    """PyTorch's promotion of two operands, at least one a Tensor; integer results compute in float32."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, received {type(input).__name__} and "
                        f"{type(other).__name__}; wrap one in ember.tensor(...)")
    a, b = promote(input, other)
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    if dt.kind != "f":
        dt = np.dtype(np.float32)
    a = to_dtype(a, dt) if isinstance(a, Tensor) else _wrap(np.asarray(a, dt))
    b = to_dtype(b, dt) if isinstance(b, Tensor) else _wrap(np.asarray(b, dt))
    return a, b


class Xlog1py(Op):
    """x·log1p(y), 0 where x = 0 and y is not nan; d/dx = log1p(y) (0 where x = 0 and y ≤ -1, as
    PyTorch), d/dy = x/(1 + y)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((a == 0) & ~np.isnan(b), np.zeros((), a.dtype), a * np.log1p(b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        xp = array_namespace(grad)
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = gb = None
            if ctx.needs_input_grad[0]:
                ga = xp.where((a == 0) & (b <= -1), 0.0, grad * xp.log1p(b))
            if ctx.needs_input_grad[1]:
                gb = grad * a / (b + 1.0)
            return ga, gb


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is nan).
    Example: ``ember.special.xlog1py(ember.tensor([0., 2.]), ember.tensor([-1., 1.]))`` is
    ``tensor([0.0000, 1.3863])``."""
    return Xlog1py.apply(*_pair("xlog1py", input, other))


class Zeta(Op):
    """The Hurwitz zeta function; PyTorch has no derivative for it: backward raises."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, q):
        return _in64(x, lambda xx: _gamma_math.zeta(xx, q.astype(np.float64)))

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for 'zeta' is not implemented (as in PyTorch).")


def zeta(input, other):
    """The Hurwitz zeta function ζ(x, q) = Σₖ (q + k)^-x (``input`` is x, ``other`` q; inf at x = 1,
    nan for x < 1). Example: ``ember.special.zeta(ember.tensor([2.]), 1.)`` is ``tensor([1.6449])`` (π²/6)."""
    x, q = _pair("zeta", input, other)
    no_half("zeta", x)
    return Zeta.apply(x, q)


def multigammaln(input, p):
    """The multivariate log-gamma function of dimension ``p``:
    p(p-1)/4·log π + Σⱼ₌₀^(p-1) lgamma(a - j/2). Example: ``ember.special.multigammaln(ember.tensor([2.5]), 2)``."""
    require_tensor("multigammaln", "input", input)
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"multigammaln(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1 (received p={p})")
    a = _float_input("multigammaln", input)
    shifts = _wrap(np.arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=np.float64).astype(a._data.dtype))
    terms = lgamma(add(unsqueeze(a, -1), shifts))
    return add(_sum(terms, -1), p * (p - 1) * math.log(math.pi) * 0.25)


mvlgamma = multigammaln


class Igamma(Op):
    """P(a, x) (Q(a, x) when ``upper``); d/dx P = exp((a - 1)·log x - x - lgamma(a)) = -d/dx Q; no
    derivative in a (PyTorch has none)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, x, upper):
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        return _in64(a, lambda aa: _gamma_math.gammainc(aa, x.astype(np.float64), upper))

    @staticmethod
    def backward(ctx, grad):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{'igammac' if ctx.upper else 'igamma'}: input' is not "
                                      f"implemented (as in PyTorch).")
        a, x = ctx.saved_tensors
        xp = array_namespace(grad)
        lg = lgamma(a) if isinstance(a, Tensor) else _in64(a, _gamma_math.lgamma)
        with np.errstate(all="ignore"):
            d = xp.exp((a - 1.0) * xp.log(x) - x - lg)
        return None, -grad * d if ctx.upper else grad * d


def _igamma(name, input, other, upper):
    require_tensor(name, "input", input)
    require_tensor(name, "other", other)
    a, x = promote(input, other)
    a = a if isinstance(a, Tensor) else _wrap(np.asarray(a, x._data.dtype))
    x = x if isinstance(x, Tensor) else _wrap(np.asarray(x, a._data.dtype))
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f'"{"igammac" if upper else "igamma"}_cpu" not implemented for {a.dtype} (as in '
                                  f'PyTorch: floating inputs only); convert them with .float() first')
    return Igamma.apply(a, x, upper)


def gammainc(input, other):
    """The regularised lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a) (``input`` is a, ``other`` x).
    Example: ``ember.special.gammainc(ember.tensor([1.]), ember.tensor([1.]))`` is ``tensor([0.6321])``."""
    return _igamma("gammainc", input, other, False)


def gammaincc(input, other):
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x).
    Example: ``ember.special.gammaincc(ember.tensor([1.]), ember.tensor([1.]))`` is ``tensor([0.3679])``."""
    return _igamma("gammaincc", input, other, True)


igamma, igammac = gammainc, gammaincc
