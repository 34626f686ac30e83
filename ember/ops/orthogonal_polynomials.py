"""The orthogonal polynomials of ``torch.special``: Chebyshev T, U, V, W (and shifted, of 2x - 1),
Hermite H (physicists') and He (probabilists'), Laguerre L, Legendre P, each ``f(input, n)``.

As PyTorch: ``input`` and ``n`` promote to one dtype (integers give float32), ``n`` is truncated to
an integer, n < 0 gives 0; the results have no gradient. PyTorch's rules at the edges are kept:
Chebyshev at |x| = 1 in closed form and, for |x| < 1 and n above 6 (T) or 8 (U, V, W), the
trigonometric forms cos(nθ), sin((n+1)θ)/sin θ, cos((n+½)θ)/cos(θ/2), sin((n+½)θ)/sin(θ/2) with
θ = acos x; otherwise the three-term recurrences
  T, U, V, W: p_{k+1} = 2x·p_k - p_{k-1}     (p₁ = x, 2x, 2x - 1, 2x + 1)
  H: H_{k+1} = 2x·H_k - 2k·H_{k-1}           He: He_{k+1} = x·He_k - k·He_{k-1}
  L: L_{k+1} = ((2k + 1 - x)·L_k - k·L_{k-1})/(k + 1)
  P: P_{k+1} = ((2k + 1)·x·P_k - k·P_{k-1})/(k + 1)
evaluated in the result's dtype, as PyTorch (so a float32 recurrence overflows, inf - inf = nan, where
PyTorch's does).

Layer: above special (shares its two-operand promotion).
"""
import numpy as np

from .._tensor import _wrap
from .special_extra import _pair, no_half

__all__ = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p"]


def _degrees(n):
    """n truncated to int64, as PyTorch's cast (nan and ±inf give a negative degree: result 0)."""
    n = np.asarray(n, np.float64)
    bad = ~np.isfinite(n) | (np.abs(n) > 2.0 ** 62)
    return np.where(bad, -1, np.trunc(np.where(bad, 0.0, n))).astype(np.int64)


def _recur(x, n, p0, p1, step):
    """p_n by the recurrence p_{k+1} = step(k, p_k, p_{k-1}), for n ≥ 2 (p0, p1 given)."""
    p, q = np.broadcast_to(p0, x.shape).astype(x.dtype), np.broadcast_to(p1, x.shape).astype(x.dtype)
    top = int(n.max()) if n.size else 0
    for k in range(1, top):
        live = n > k
        r = step(k, q, p)
        p = np.where(live, q, p)
        q = np.where(live, r, q)
    return np.where(n == 0, p0, np.where(n == 1, p1, q))


def _chebyshev(kind, x, n):
    one = np.ones_like(x)
    two = x.dtype.type(2)
    p1 = {"t": x, "u": two * x, "v": two * x - 1, "w": two * x + 1}[kind]
    todo = (np.abs(x) != 1) & ~((n > (6 if kind == "t" else 8)) & (np.abs(x) < 1))
    nr = np.where(todo, n, 0)
    out = _recur(x, nr, one, p1, lambda k, q, p: (x + x) * q - p)
    nf = n.astype(x.dtype)
    odd = n % 2 == 1
    # |x| = 1
    if kind == "t":
        edge = np.where((x > 0) | ~odd, 1.0, -1.0)
    elif kind == "u":
        edge = np.where((x > 0) | ~odd, nf + 1, -(nf + 1))
    elif kind == "v":
        edge = np.where(x > 0, 1.0, np.where(~odd, 2 * nf + 1, -(2 * nf + 1)))
    else:
        edge = np.where(x > 0, 2 * nf + 1, np.where(~odd, 1.0, -1.0))
    # |x| < 1 and n large: trigonometric forms
    th = np.arccos(np.clip(x, -1, 1)).astype(x.dtype)
    if kind == "t":
        trig = np.cos(nf * th)
    elif kind == "u":
        s = np.sin(th)
        trig = np.where(s != 0, np.sin((nf + 1) * th) / np.where(s != 0, s, 1), (nf + 1) * np.cos((nf + 1) * th) * x)
    elif kind == "v":
        c = np.cos(th / 2)
        trig = np.cos((nf + 0.5) * th) / np.where(c != 0, c, 1)
    else:
        s = np.sin(th / 2)
        trig = np.sin((nf + 0.5) * th) / np.where(s != 0, s, 1)
    out = np.where(todo, out, np.where(np.abs(x) == 1, edge, trig))
    return np.where(n < 0, 0.0, out)


def _evaluate(name, input, n, f):
    x, nn = _pair(name, input, n)
    no_half(name, x)
    dt = x._data.dtype
    xb, nb = np.broadcast_arrays(x._data, _degrees(nn._data))
    with np.errstate(all="ignore"):
        return _wrap(np.asarray(f(xb, nb)).astype(dt, copy=False))


def _make(name, f, doc):
    def fn(input, n):
        return _evaluate(name, input, n, f)
    fn.__name__ = name
    fn.__doc__ = doc + f" No gradient (as PyTorch). Example: ``ember.special.{name}(ember.tensor([0.5]), 3)``."
    return fn


def _hermite_h(x, n):
    out = _recur(x, n, np.ones_like(x), x + x, lambda k, q, p: (x + x) * q - (k + k) * p)
    return np.where(n < 0, 0.0, out)


def _hermite_he(x, n):
    out = _recur(x, n, np.ones_like(x), x, lambda k, q, p: x * q - k * p)
    return np.where(n < 0, 0.0, out)


def _laguerre(x, n):
    out = _recur(x, np.where(x == 0, 0, n), np.ones_like(x), 1 - x,
                 lambda k, q, p: ((2 * k + 1 - x) * q - k * p) / (k + 1))
    return np.where(n < 0, 0.0, out)


def _legendre(x, n):
    todo = np.abs(x) != 1
    out = _recur(x, np.where(todo, n, 0), np.ones_like(x), x, lambda k, q, p: ((2 * k + 1) * x * q - k * p) / (k + 1))
    edge = np.where((x > 0) | (n % 2 == 0), 1.0, -1.0)
    return np.where(n < 0, 0.0, np.where(todo, out, edge))


chebyshev_polynomial_t = _make("chebyshev_polynomial_t", lambda x, n: _chebyshev("t", x, n),
                               "The Chebyshev polynomial of the first kind Tₙ(x).")
chebyshev_polynomial_u = _make("chebyshev_polynomial_u", lambda x, n: _chebyshev("u", x, n),
                               "The Chebyshev polynomial of the second kind Uₙ(x).")
chebyshev_polynomial_v = _make("chebyshev_polynomial_v", lambda x, n: _chebyshev("v", x, n),
                               "The Chebyshev polynomial of the third kind Vₙ(x).")
chebyshev_polynomial_w = _make("chebyshev_polynomial_w", lambda x, n: _chebyshev("w", x, n),
                               "The Chebyshev polynomial of the fourth kind Wₙ(x).")
shifted_chebyshev_polynomial_t = _make("shifted_chebyshev_polynomial_t", lambda x, n: _chebyshev("t", x + x - 1, n),
                                       "The shifted Chebyshev polynomial of the first kind Tₙ(2x - 1).")
shifted_chebyshev_polynomial_u = _make("shifted_chebyshev_polynomial_u", lambda x, n: _chebyshev("u", x + x - 1, n),
                                       "The shifted Chebyshev polynomial of the second kind Uₙ(2x - 1).")
shifted_chebyshev_polynomial_v = _make("shifted_chebyshev_polynomial_v", lambda x, n: _chebyshev("v", x + x - 1, n),
                                       "The shifted Chebyshev polynomial of the third kind Vₙ(2x - 1).")
shifted_chebyshev_polynomial_w = _make("shifted_chebyshev_polynomial_w", lambda x, n: _chebyshev("w", x + x - 1, n),
                                       "The shifted Chebyshev polynomial of the fourth kind Wₙ(2x - 1).")
hermite_polynomial_h = _make("hermite_polynomial_h", _hermite_h, "The physicists' Hermite polynomial Hₙ(x).")
hermite_polynomial_he = _make("hermite_polynomial_he", _hermite_he, "The probabilists' Hermite polynomial Heₙ(x).")
laguerre_polynomial_l = _make("laguerre_polynomial_l", _laguerre, "The Laguerre polynomial Lₙ(x).")
legendre_polynomial_p = _make("legendre_polynomial_p", _legendre, "The Legendre polynomial Pₙ(x).")
