"""Bessel functions on float64 arrays, vectorised (no autograd).

- I₀ (NumPy's Chebyshev expansions), I₁ (power series Σ (x/2)^(2k+1)/(k!(k+1)!) for |x| ≤ 20, the
  asymptotic series eˣ/√(2πx)·Σ (-1)ᵏ aₖ(ν)/xᵏ beyond, aₖ(ν) = Πⱼ₌₁ᵏ (4ν² - (2j-1)²)/(k!·8ᵏ)), and
  their scaled forms e^-|x|·Iν (the same asymptotic series without eˣ beyond 20);
- K₀, K₁: the series K₀ = -(log(x/2) + γ)·I₀ + Σ Hₖ (x²/4)ᵏ/(k!)² and
  K₁ = 1/x + log(x/2)·I₁ - (x/4)·Σ (ψ(k+1) + ψ(k+2)) (x²/4)ᵏ/(k!(k+1)!) for x ≤ 2; beyond, the
  integral eˣ·Kν(x) = ∫₀^∞ exp(-2x·sinh²(t/2))·cosh(νt) dt by the trapezoidal rule with step
  min(0.2, 0.5/√x) (exponentially accurate for this analytic, fast-decaying integrand);
- Airy Ai: the Maclaurin series Ai(0)·f(x) + Ai'(0)·g(x) in extended precision (NumPy's longdouble)
  on [-8, 2]; Ai(x) = √(x/3)/π·K_{1/3}(ζ) beyond 2 and the asymptotic expansion
  Ai(-y) ~ (cos(ζ - π/4)·Σ(-1)ᵏu₂ₖζ^-2k + sin(ζ - π/4)·Σ(-1)ᵏu₂ₖ₊₁ζ^-2k-1)/(√π·y^¼) below -8,
  ζ = (2/3)|x|^(3/2), uₖ = (2k+1)(2k+3)...(6k-1)/(216ᵏk!); nan at ±inf, as PyTorch;
- J₀, J₁, Y₀, Y₁: for |x| ≤ 25, Miller's backward recurrence J_{k-1} = (2k/x)·J_k - J_{k+1}
  normalised by J₀ + 2ΣJ₂ₖ = 1, and Neumann's series Y₀ = (2/π)(log(x/2) + γ)J₀ - (4/π)Σ(-1)ᵏJ₂ₖ/k,
  Y₁ = -Y₀' = (2/π)(log(x/2) + γ)J₁ - (2/π)J₀/x + (2/π)Σ(-1)ᵏ(J₂ₖ₋₁ - J₂ₖ₊₁)/k; beyond 25, Hankel's
  asymptotic expansion √(2/πx)·(P cos χ - Q sin χ), χ = x - (ν/2 + 1/4)π, with cos χ, sin χ
  formed from cos x and sin x (no rounding of x - χ).
"""
import math

import numpy as np


def _flat(f):
    """``f`` on the flattened float64 array (1-d inside: masks and in-place steps work on 0-d input)."""
    def g(*args):
        *lead, x = args
        x = np.asarray(x, np.float64)
        return np.asarray(f(*lead, x.reshape(-1))).reshape(x.shape)
    g.__name__, g.__doc__ = f.__name__, f.__doc__
    return g

_EULER = 0.5772156649015329
_TWO_OVER_PI = 2.0 / math.pi


def _asym_coeffs(nu, terms):
    """aₖ(ν) = Πⱼ₌₁ᵏ (4ν² - (2j-1)²) / (k!·8ᵏ), k = 0..terms-1."""
    out, a = [1.0], 1.0
    for k in range(1, terms):
        a = a * (4.0 * nu * nu - (2 * k - 1) ** 2) / (k * 8.0)
        out.append(a)
    return out


_ASYM_I = {nu: _asym_coeffs(nu, 40) for nu in (0, 1)}
_ASYM_J = {nu: _asym_coeffs(nu, 30) for nu in (0, 1)}


def _i_scaled_asym(nu, ax):
    """e^-x·Iν(x) for x > 20 (+inf gives 0 · series: patched by callers)."""
    inv = 1.0 / ax
    acc = np.zeros_like(ax)
    for a in reversed(_ASYM_I[nu]):
        acc = acc * -inv + a
    return acc / np.sqrt(2 * math.pi * ax)


def _i_series(nu, ax):
    """Iν(|x|) by its power series (|x| ≤ 20)."""
    h = ax / 2
    h2 = h * h
    term = np.ones_like(ax) if nu == 0 else h.copy()
    series = term.copy()
    for k in range(1, 60):
        term = term * h2 / (k * (k + nu))
        series = series + term
    return series


@_flat
def i_scaled(nu, x):
    """e^-|x|·Iν(x), ν = 0 or 1 (odd in x for ν = 1); 0 at ±inf... as PyTorch: see callers."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    with np.errstate(all="ignore"):
        small = ax <= 20
        out = np.where(small, _i_series(nu, np.where(small, ax, 0.0)) * np.exp(-ax),
                       _i_scaled_asym(nu, np.where(small, 21.0, ax)))
        out = np.where(np.isposinf(ax), 0.0, out)
    return np.copysign(out, x) if nu == 1 else out


@_flat
def i0(x):
    """I₀(x) (NumPy's Chebyshev expansions); nan at ±inf, as PyTorch's torch.i0."""
    x = np.asarray(x, np.float64)
    return np.where(np.isinf(x), np.nan, np.i0(np.where(np.isinf(x), 0.0, x)))


@_flat
def i1(x):
    """I₁(x): power series for |x| ≤ 20, asymptotic beyond; odd; nan at ±inf (torch.special.i1's)."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    with np.errstate(all="ignore"):
        small = ax <= 20
        big = np.where(small, 21.0, ax)
        out = np.where(small, _i_series(1, np.where(small, ax, 0.0)), _i_scaled_asym(1, big) * np.exp(big))
        out = np.where(np.isposinf(big), np.nan, out)
    return np.copysign(out, x)


def _k_series(nu, x):
    """Kν(x) for 0 < x ≤ 2 by the series with digamma values."""
    h2 = (x / 2) ** 2
    log_half = np.log(x / 2)
    if nu == 0:
        term = np.ones_like(x)
        psi = -_EULER
        acc = term * psi
        for k in range(1, 30):
            term = term * h2 / (k * k)
            psi += 1.0 / k
            acc = acc + term * psi
        return -log_half * _i_series(0, x) + acc
    term = np.ones_like(x)
    psi1, psi2 = -_EULER, 1.0 - _EULER       # ψ(k+1), ψ(k+2) at k = 0
    acc = term * (psi1 + psi2)
    for k in range(1, 30):
        term = term * h2 / (k * (k + 1))
        psi1 += 1.0 / k
        psi2 += 1.0 / (k + 1)
        acc = acc + term * (psi1 + psi2)
    return 1.0 / x + log_half * _i_series(1, x) - x / 4 * acc


def _k_scaled_integral(nu, x):
    """eˣ·Kν(x) for x > 1.5 (finite) by the trapezoidal rule (any real order ν)."""
    h = np.minimum(0.2, 0.5 / np.sqrt(x))
    acc = np.full_like(x, 0.5)          # the t = 0 node, halved
    for j in range(1, 40):
        t = j * h
        s = np.sinh(t / 2)
        f = np.exp(-2.0 * x * s * s)
        acc = acc + (f * np.cosh(nu * t) if nu else f)
    return acc * h


@_flat
def k_scaled(nu, x):
    """eˣ·Kν(x), ν = 0 or 1: inf at 0, nan below 0, 0 at +inf."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        small = x <= 2
        xs = np.where(small & (x > 0), x, 1.0)
        xb = np.where(small | np.isinf(x), 3.0, x)
        out = np.where(small, _k_series(nu, xs) * np.exp(xs), _k_scaled_integral(nu, xb))
        out = np.where(np.isposinf(x), 0.0, out)
        out = np.where(x == 0, np.inf, out)
        return np.where((x < 0) | np.isnan(x), np.nan, out)


@_flat
def k(nu, x):
    """Kν(x), ν = 0 or 1: inf at 0, nan below 0, 0 at +inf (underflows to 0 past ~745)."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        small = x <= 2
        xs = np.where(small & (x > 0), x, 1.0)
        xb = np.where(small | np.isinf(x), 3.0, x)
        out = np.where(small, _k_series(nu, xs), _k_scaled_integral(nu, xb) * np.exp(-xb))
        out = np.where(np.isposinf(x), 0.0, out)
        out = np.where(x == 0, np.inf, out)
        return np.where((x < 0) | np.isnan(x), np.nan, out)


def _miller(ax):
    """(J₀, J₁, Y₀, Y₁) for 0 < ax ≤ 25 by Miller's backward recurrence and Neumann's series."""
    n_top = 2 * int((float(ax.max()) + 40) // 2) + 2 if ax.size else 2
    nxt = np.zeros_like(ax)                  # J_{k+1}, unnormalised
    cur = np.full_like(ax, 1e-30)            # J_k
    norm = np.zeros_like(ax)                 # J₀ + 2ΣJ₂ₖ so far
    y0_sum = np.zeros_like(ax)               # Σ (-1)ᵏ J₂ₖ / k
    y1_sum = np.zeros_like(ax)               # Σ (-1)ᵏ (J₂ₖ₋₁ - J₂ₖ₊₁) / k
    j_odd_above = np.zeros_like(ax)          # J_{2k+1} when we reach J_{2k}
    j1 = np.zeros_like(ax)
    inv = 2.0 / ax
    for kk in range(n_top, 0, -1):
        prev = kk * inv * cur - nxt          # J_{kk-1}
        nxt, cur = cur, prev
        m = kk - 1                           # cur is J_m
        if m % 2 == 0 and m > 0:
            norm = norm + 2.0 * cur
            sgn = 1.0 if (m // 2) % 2 == 0 else -1.0
            y0_sum = y0_sum + sgn * cur / (m // 2)
            y1_sum = y1_sum + sgn * (-j_odd_above) / (m // 2)     # -J_{2k+1}/k part
        if m % 2 == 1:
            j_odd_above = cur
            k2 = (m + 1) // 2                # J_{2k-1} with k = (m + 1)/2
            sgn = 1.0 if k2 % 2 == 0 else -1.0
            y1_sum = y1_sum + sgn * cur / k2
        if m == 1:
            j1 = cur
        big = np.abs(cur) > 1e200
        if big.any():
            s = np.where(big, 1e-200, 1.0)
            cur, nxt, norm, y0_sum, y1_sum, j_odd_above, j1 = (v * s for v in (cur, nxt, norm, y0_sum, y1_sum,
                                                                                j_odd_above, j1))
    norm = norm + cur
    j0 = cur / norm
    j1 = j1 / norm
    lg = np.log(ax / 2) + _EULER
    y0 = _TWO_OVER_PI * (lg * j0 - 2.0 * y0_sum / norm)
    y1 = _TWO_OVER_PI * (lg * j1 - j0 / ax + y1_sum / norm)
    return j0, j1, y0, y1


def _tiny(ax):
    """(J₀, J₁, Y₀, Y₁) for 0 < ax ≤ 1e-3 by the first terms of their series."""
    h = ax / 2
    h2 = h * h
    lg = np.log(h) + _EULER
    j0 = 1.0 - h2 + h2 * h2 / 4
    j1 = h * (1.0 - h2 / 2 + h2 * h2 / 12)
    y0 = _TWO_OVER_PI * (lg * j0 + h2 - 0.375 * h2 * h2)
    y1 = -_TWO_OVER_PI / ax + _TWO_OVER_PI * np.log(h) * j1 - ((1 - 2 * _EULER) * h
                                                                - (2.5 - 2 * _EULER) * h * h2 / 2) / math.pi
    return j0, j1, y0, y1


def _hankel(nu, ax):
    """(Jν, Yν) for ax > 25 (finite) by Hankel's expansion."""
    coeffs = _ASYM_J[nu]
    inv = 1.0 / ax
    inv2 = inv * inv
    p = np.zeros_like(ax)
    q = np.zeros_like(ax)
    evens = coeffs[0::2]
    odds = coeffs[1::2]
    for i in range(len(evens) - 1, -1, -1):
        p = p * -inv2 + evens[i]
    for i in range(len(odds) - 1, -1, -1):
        q = q * -inv2 + odds[i]
    q = q * inv
    c, s = np.cos(ax), np.sin(ax)
    if nu == 0:      # χ = x - π/4
        cc, sc = (c + s), (s - c)
    else:            # χ = x - 3π/4
        cc, sc = (s - c), (-s - c)
    amp = np.sqrt(_TWO_OVER_PI * inv) / math.sqrt(2.0)
    return amp * (p * cc - q * sc), amp * (p * sc + q * cc)


def bessel_jy(x):
    """(J₀, J₁, Y₀, Y₁) of float64 x: J odd/even in x, Y nan for x < 0 and -inf at 0, all nan at ±inf
    (PyTorch's values)."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    shape = x.shape
    ax = ax.ravel()
    j0, j1, y0, y1 = (np.full_like(ax, np.nan) for _ in range(4))
    with np.errstate(all="ignore"):
        tiny = (ax > 0) & (ax <= 1e-3)
        if tiny.any():
            for out, v in zip((j0, j1, y0, y1), _tiny(ax[tiny])):
                out[tiny] = v
        mid = (ax > 1e-3) & (ax <= 25)
        if mid.any():
            r = _miller(ax[mid])
            for out, v in zip((j0, j1, y0, y1), r):
                out[mid] = v
        far = (ax > 25) & np.isfinite(ax)
        if far.any():
            a0, b0 = _hankel(0, ax[far])
            a1, b1 = _hankel(1, ax[far])
            j0[far], y0[far], j1[far], y1[far] = a0, b0, a1, b1
        zero = ax == 0
        j0[zero], j1[zero], y0[zero], y1[zero] = 1.0, 0.0, -np.inf, -np.inf
        inf = np.isinf(ax)
        j0[inf], j1[inf], y0[inf], y1[inf] = np.nan, np.nan, np.nan, np.nan     # as PyTorch
    j0, j1, y0, y1 = (v.reshape(shape) for v in (j0, j1, y0, y1))
    j1 = np.where(x < 0, -j1, j1)
    neg = x < 0
    y0 = np.where(neg, np.nan, y0)
    y1 = np.where(neg, np.nan, y1)
    return j0, j1, y0, y1


@_flat
def spherical_j0(x):
    """sin(x)/x (1 at 0, 0 at ±inf)."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        out = np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1.0, x))
    return np.where(np.isinf(x), 0.0, out)


_AI0 = 0.355028053887817239260          # Ai(0)
_AIP0 = -0.258819403792806798405        # Ai'(0)


def _airy_u(terms):
    out = [1.0]
    for k in range(1, terms):
        num = 1.0
        for j in range(2 * k + 1, 6 * k, 2):
            num *= j
        out.append(num / (216.0 ** k * math.factorial(k)))
    return out


_AIRY_U = _airy_u(28)


def _airy_series(x):
    """Ai(x) for -8 ≤ x ≤ 2 by the Maclaurin series, summed in longdouble (the terms grow to ~e^ζ)."""
    z = x.astype(np.longdouble)
    z3 = z * z * z
    f_term = np.ones_like(z)
    g_term = z.copy()
    f_sum, g_sum = f_term.copy(), g_term.copy()
    for k in range(1, 45):
        f_term = f_term * z3 / ((3 * k - 1) * (3 * k))
        g_term = g_term * z3 / ((3 * k) * (3 * k + 1))
        f_sum += f_term
        g_sum += g_term
    return (np.longdouble(_AI0) * f_sum + np.longdouble(_AIP0) * g_sum).astype(np.float64)


def _airy_negative(y):
    """Ai(-y) for y > 8 (finite) by the asymptotic expansion."""
    zeta = 2.0 / 3.0 * y * np.sqrt(y)
    inv = 1.0 / zeta
    inv2 = inv * inv
    p = np.zeros_like(y)
    q = np.zeros_like(y)
    for k in range(len(_AIRY_U) // 2 - 1, -1, -1):
        p = p * -inv2 + _AIRY_U[2 * k]
        q = q * -inv2 + _AIRY_U[2 * k + 1]
    q = q * inv
    c, s = np.cos(zeta), np.sin(zeta)
    return ((c + s) * p + (s - c) * q) / (math.sqrt(2.0 * math.pi) * np.sqrt(np.sqrt(y)))


@_flat
def airy_ai(x):
    """Ai(x) on float64 x (0 past ~104 by underflow; nan at ±inf and nan, as PyTorch)."""
    out = np.full_like(x, np.nan)
    with np.errstate(all="ignore"):
        mid = (x >= -8.0) & (x <= 2.0)
        if mid.any():
            out[mid] = _airy_series(x[mid])
        pos = (x > 2.0) & np.isfinite(x)
        if pos.any():
            xp = x[pos]
            zeta = 2.0 / 3.0 * xp * np.sqrt(xp)
            out[pos] = np.sqrt(xp / 3.0) / math.pi * _k_scaled_integral(1.0 / 3.0, zeta) * np.exp(-zeta)
        neg = (x < -8.0) & np.isfinite(x)
        if neg.any():
            out[neg] = _airy_negative(-x[neg])
    return out
