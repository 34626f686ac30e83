"""Special functions the distributions need and ember's ops do not have yet: lgamma, digamma,
trigamma, erfinv, the regularised incomplete gamma function, and the triangular solve of
MultivariateNormal in the form it uses (the Cholesky factor is ``ember.linalg.cholesky``).

Each is an ``autograd.Function`` whose backward is written in Tensor operations, so gradients
(and gradients of gradients) flow through them:

    d lgamma(x)/dx = digamma(x),   d digamma(x)/dx = trigamma(x)
    d erfinv(y)/dy = sqrt(pi)/2 exp(erfinv(y)^2)
    d P(a, x)/dx = x^(a-1) e^-x / Gamma(a)   (d/da: not implemented, as PyTorch)
"""
import math

import numpy as np

from .._tensor import _wrap
from ..autograd.function import Function
from ..ops import _erf_math, _gamma_math, exp, log
from ..ops.decompositions import cholesky, solve_triangular as _solve_triangular  # noqa: F401  (cholesky: re-exported)

def _np_lgamma(x):
    return _gamma_math.lgamma(np.asarray(x, dtype=np.float64)).astype(np.asarray(x).dtype)


def _np_digamma(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    neg = x < 0.5
    # reflection: psi(1 - x) - psi(x) = pi / tan(pi x)
    refl = np.where(neg, math.pi / np.tan(math.pi * np.where(neg, x, 0.5)), 0.0)
    z = np.where(neg, 1.0 - x, x)
    for _ in range(10):
        small = z < 10
        out -= np.where(small, 1.0 / z, 0.0)
        z = np.where(small, z + 1, z)
    r = 1.0 / (z * z)
    out += np.log(z) - 0.5 / z - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132)))))
    out = np.where(neg, out - refl, out)
    return np.where((x <= 0) & (x == np.floor(x)), np.nan, out)


def _np_trigamma(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    z = x.copy()
    for _ in range(10):
        small = z < 10
        out += np.where(small, 1.0 / (z * z), 0.0)
        z = np.where(small, z + 1, z)
    r = 1.0 / (z * z)
    out += 1 / z + r / 2 + (r / z) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30))))
    return out


_erf = _erf_math.erf          # vectorised (Cody), float64
_erfc = _erf_math.erfc


def _np_erfinv(y):
    """Inverse of erf on [-1, 1]: Winitzki's closed-form guess (~2e-3 relative), then Newton steps
    (quadratic convergence: 4 reach float64 round-off) on erf(x) = |y|, or on erfc(x) = 1 - |y|
    for |y| > 0.5, where 1 - |y| is exact and erf would lose the digits near 1."""
    y = np.asarray(y, dtype=np.float64)
    z = np.abs(y)
    with np.errstate(all="ignore"):
        k = 0.147
        ln = np.log1p(-z * z)
        t = 2 / (math.pi * k) + ln / 2
        x = np.sqrt(np.sqrt(t * t - ln / k) - t)
        inner = z < 1
        xi, zi = x[inner], z[inner]
        tail = zi > 0.5
        for _ in range(4):
            resid = np.where(tail, (1 - zi) - _erfc(xi), _erf(xi) - zi)
            xi = xi - resid / (2 / math.sqrt(math.pi) * np.exp(-xi * xi))
        x[inner] = xi
        x = np.where(z == 1, np.inf, np.where(z > 1, np.nan, x))
    return np.copysign(x, y)


def _np_gammainc(a, x):
    """P(a, x) = gamma(a, x) / Gamma(a): the series x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n))
    for x < a + 1, else 1 - Q(a, x) with Q's continued fraction (modified Lentz)."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x >= 0)
    out[ok & (x == 0)] = 0.0
    out[ok & np.isinf(x)] = 1.0
    live = ok & (x > 0) & np.isfinite(x)
    low = live & (x < a + 1)
    high = live & ~low
    with np.errstate(all="ignore"):
        if low.any():
            aa, xx = a[low], x[low]
            term = 1 / aa
            total, n = term.copy(), aa.copy()
            for _ in range(5000):
                n = n + 1
                term = term * xx / n
                total = total + term
                if np.all(np.abs(term) < np.abs(total) * 1e-17):
                    break
            out[low] = total * np.exp(aa * np.log(xx) - xx - _np_lgamma(aa))
        if high.any():
            aa, xx = a[high], x[high]
            tiny = 1e-300
            b = xx + 1 - aa
            c = np.full_like(b, 1 / tiny)
            d = 1 / b
            h = d.copy()
            for i in range(1, 5000):
                an = -i * (i - aa)
                b = b + 2
                d = an * d + b
                d = np.where(np.abs(d) < tiny, tiny, d)
                c = b + an / c
                c = np.where(np.abs(c) < tiny, tiny, c)
                d = 1 / d
                delta = d * c
                h = h * delta
                if np.all(np.abs(delta - 1) < 1e-16):
                    break
            out[high] = 1 - np.exp(aa * np.log(xx) - xx - _np_lgamma(aa)) * h
    return out


def _unary(np_fn):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(np.asarray(np_fn(x._data)).astype(x._data.dtype))
    return forward


class Lgamma(Function):
    forward = staticmethod(_unary(_np_lgamma))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * digamma(x)


class Digamma(Function):
    forward = staticmethod(_unary(_np_digamma))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * Trigamma.apply(x)


class Trigamma(Function):
    forward = staticmethod(_unary(_np_trigamma))

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("ember.distributions: the derivative of trigamma (polygamma(2)) is not implemented")


def lgamma(x):
    return Lgamma.apply(x)


def digamma(x):
    return Digamma.apply(x)


class Erfinv(Function):
    @staticmethod
    def forward(ctx, y):
        ctx.save_for_backward(y)
        return _wrap(_np_erfinv(y._data).astype(y._data.dtype))

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        out = erfinv(y)          # recomputed from the input, so that it records under create_graph
        return grad * (math.sqrt(math.pi) / 2) * exp(out * out)


def erfinv(y):
    """The inverse error function (``torch.erfinv``): erf(erfinv(y)) = y on (-1, 1), +-inf at +-1."""
    return Erfinv.apply(y)


class Gammainc(Function):
    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        dtype = np.result_type(a._data.dtype, x._data.dtype)
        return _wrap(_np_gammainc(a._data, x._data).astype(dtype))

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        return None, grad * exp((a - 1) * log(x) - x - lgamma(a))


def gammainc(a, x):
    """The regularised lower incomplete gamma function P(a, x) (``torch.special.gammainc``);
    differentiable in x only."""
    return Gammainc.apply(a, x)


def _mT(t):
    return t.transpose(-1, -2)


def solve_triangular(L, B, upper_from_lower=False):
    """L^-1 B (L lower-triangular); with ``upper_from_lower``, L^-T B."""
    if upper_from_lower:
        return _solve_triangular(_mT(L), B, upper=True)
    return _solve_triangular(L, B, upper=False)
