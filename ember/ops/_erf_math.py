"""The error-function family on float64 arrays, vectorised (no autograd): erf, erfc, erfcx, erfinv,
erfcinv, the normal quantile ndtri and log_ndtr.

erf/erfc/erfcx use W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969; the
coefficients of his CALERF), accurate to float64 round-off, in three ranges of |x|:
  |x| ≤ 0.46875        erf(x) = x·R₁(x²)
  0.46875 < |x| ≤ 4    erfc(|x|) = exp(-x²)·R₂(|x|)  (exp(-x²) split as exp(-h²)·exp(-(|x|-h)(|x|+h)),
                       h = |x| rounded down to 1/16, so no digits are lost in x²)
  |x| > 4              erfc(|x|) = exp(-x²)/|x|·(1/√π - R₃(1/x²)/x²)
with erfc(-x) = 2 - erfc(x), erfcx(x) = exp(x²)·erfc(x) (2·exp(x²) - erfcx(-x) for x < 0).

erfinv starts from Giles' single-precision approximation ("Approximating the erfinv function",
GPU Computing Gems, 2010) evaluated in float64, then takes Halley steps on erf (|y| ≤ 1/2) or erfc
(the tails, where 1 - |y| is exact and keeps its digits).
"""
import math

import numpy as np


def _flat(f):
    """``f`` on the flattened float64 array (1-d inside: masks and in-place steps work on 0-d input)."""
    def g(x, *args, **kwargs):
        x = np.asarray(x, np.float64)
        return np.asarray(f(x.reshape(-1), *args, **kwargs)).reshape(x.shape)
    g.__name__, g.__doc__ = f.__name__, f.__doc__
    return g

_SQRT_PI = math.sqrt(math.pi)
_INV_SQRT_PI = 1.0 / _SQRT_PI
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_SQRT2 = math.sqrt(2.0)

# Cody's coefficients: erf on |x| ≤ 0.46875 (A/B), erfc on (0.46875, 4] (C/D), erfc beyond 4 (P/Q)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)


def _horner_ratio(t, num, den, num_top, n):
    """Cody's evaluation, in place: xn = ((num_top·t + num₀)·t + ... + num_{n-1})·t, xd likewise from
    t with den₀.., then (xn + num_n) / (xd + den_n)."""
    xn = np.multiply(t, num_top)
    xd = t.copy()
    for i in range(n):
        xn += num[i]
        xn *= t
        xd += den[i]
        xd *= t
    xn += num[n]
    xd += den[n]
    xn /= xd
    return xn


def _small(y):
    """erf(y) for |y| ≤ 0.46875: y·(A·y²)/(B·y²)."""
    r = _horner_ratio(y * y, _A, _B, _A[4], 3)
    r *= y
    return r


def _mid_scaled(y):
    """erfcx(y) = exp(y²)·erfc(y) for 0.46875 < y ≤ 4."""
    return _horner_ratio(y, _C, _D, _C[8], 7)


def _big_scaled(y):
    """erfcx(y) for y > 4 (y finite)."""
    z = 1.0 / (y * y)
    r = _horner_ratio(z, _P, _Q, _P[5], 4)
    r *= z
    np.subtract(_INV_SQRT_PI, r, out=r)
    r /= y
    return r


def _gauss(y):
    """exp(-y²) without losing digits to the rounding of y² (y ≥ 0)."""
    h = np.trunc(y * 16.0) / 16.0
    return np.exp(-h * h) * np.exp(-(y - h) * (y + h))


def _erfc_pos(y):
    """erfc(y) for y ≥ 0 (nan stays nan, +inf gives 0)."""
    out = np.empty_like(y)
    small = y <= 0.46875
    mid = (y > 0.46875) & (y <= 4.0)
    big = ~(small | mid)
    if small.any():
        out[small] = 1.0 - _small(y[small])
    if mid.any():
        ym = y[mid]
        out[mid] = _gauss(ym) * _mid_scaled(ym)
    if big.any():
        yb = np.where(np.isinf(y[big]), 30.0, y[big])
        with np.errstate(all="ignore"):
            val = _gauss(yb) * _big_scaled(yb)
        out[big] = val        # underflows to subnormals and 0 past 27.2, as glibc; +inf gives 0
    return out


@_flat
def erf(x):
    """erf(x), float64 in and out."""
    x = np.asarray(x, np.float64)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= 0.46875
    if small.any():
        out[small] = _small(x[small])
    rest = ~small
    if rest.any():
        yr = y[rest]
        out[rest] = np.copysign(1.0 - _erfc_pos(yr), x[rest])
    return out


@_flat
def erf_for_float32(x):
    """erf on float64 x whose result will be rounded to float32: no masks (every element takes the
    |x| ≤ 0.46875 and the (0.46875, 4] formulas, one is kept), |x| clipped to 4 (erf(4) = 1 - 1.5e-8
    rounds to 1 in float32, as erf of anything beyond), and exp(-x²) without the split (its ~2e-15
    relative error is far below float32's). About twice as fast as ``erf``."""
    y = np.abs(x)
    small = _small(np.clip(x, -0.46875, 0.46875))
    ym = np.clip(y, 0.46875, 4.0)
    mid = _mid_scaled(ym)
    ym *= ym
    np.negative(ym, out=ym)
    mid *= np.exp(ym, out=ym)
    np.subtract(1.0, mid, out=mid)
    np.copysign(mid, x, out=mid)
    return np.where(y <= 0.46875, small, mid)


def _erfc_mid_for_float32(y):
    """erfc(y) for float64 y clipped into [0.46875, 4], the result rounded to float32 later."""
    ym = np.clip(y, 0.46875, 4.0)
    mid = _mid_scaled(ym)
    ym *= ym
    np.negative(ym, out=ym)
    mid *= np.exp(ym, out=ym)
    return mid


@_flat
def erfc_for_float32(x):
    """erfc on float64 x whose result will be rounded to float32: the first two formulas on every
    element (|x| clipped into each range), the third on the few beyond 4 (clipped at 10.5, past which
    erfc underflows float32 to 0); exp(-x²) without the split (~2e-15 relative, far below float32's)."""
    y = np.abs(x)
    small = _small(np.clip(x, -0.46875, 0.46875))
    np.subtract(1.0, small, out=small)
    pos = _erfc_mid_for_float32(y)
    far = np.flatnonzero(y > 4.0)         # usually few: these take the third formula by index
    if far.size:
        yb = np.minimum(y[far], 10.5)
        big = _big_scaled(yb)
        big *= np.exp(-yb * yb)
        pos[far] = big
    neg = x < 0
    np.subtract(2.0, pos, out=pos, where=neg)
    return np.where(y <= 0.46875, small, pos)


@_flat
def erfc(x):
    """erfc(x) = 1 - erf(x), without cancellation in the upper tail; float64 in and out."""
    x = np.asarray(x, np.float64)
    e = _erfc_pos(np.abs(x))
    return np.where(x < 0, 2.0 - e, e)


@_flat
def erfcx(x, square32=False):
    """exp(x²)·erfc(x) (inf below about -26.6, ~1/(x√π) for large x). ``square32``: for x < 0 take x²
    rounded to float32, as PyTorch's float32 kernel does in 2·exp(x²) - erfcx(-x) (its float32
    results there are off by up to x²·2⁻²⁴ relative, and this matches them)."""
    x = np.asarray(x, np.float64)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= 0.46875
    mid = (y > 0.46875) & (y <= 4.0)
    big = ~(small | mid)
    with np.errstate(all="ignore"):
        if small.any():
            xs = x[small]
            out[small] = np.exp(xs * xs) * (1.0 - _small(xs))
        if mid.any():
            out[mid] = _mid_scaled(y[mid])
        if big.any():
            yb = y[big]
            val = np.where(yb >= 6.71e7, _INV_SQRT_PI / yb, _big_scaled(np.where(np.isinf(yb), 30.0, yb)))
            out[big] = np.where(np.isinf(yb), 0.0, val)
        neg = (x < 0) & ~small
        if neg.any():
            yn = y[neg]
            if square32:
                two_exp = 2.0 * np.exp((yn * yn).astype(np.float32).astype(np.float64))
            else:
                h = np.trunc(yn * 16.0) / 16.0
                two_exp = 2.0 * np.exp(h * h) * np.exp((yn - h) * (yn + h))
            out[neg] = np.where(yn > 26.7, np.inf, two_exp - out[neg])
    return out


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682)


def _poly(t, coeffs):
    """Horner, in place: ((c₀·t + c₁)·t + ...) + c_last."""
    p = np.full_like(t, coeffs[0])
    for c in coeffs[1:]:
        p *= t
        p += c
    return p


def _erfinv_guess(ay, w, fast32=False):
    """Giles' single-precision rational guess for erfinv(|y|), w = -log((1 - y)(1 + y)) (``fast32``:
    both polynomials on every element, one kept: no masks)."""
    small = w < 5.0
    if fast32:
        central = _poly(w - 2.5, _GILES_CENTRAL)
        tail = _poly(np.sqrt(w) - 3.0, _GILES_TAIL)
        return np.where(small, central, tail) * ay
    if small.all():
        return _poly(w - 2.5, _GILES_CENTRAL) * ay
    if not small.any():
        return _poly(np.sqrt(w) - 3.0, _GILES_TAIL) * ay
    out = np.empty_like(ay)
    out[small] = _poly(w[small] - 2.5, _GILES_CENTRAL) * ay[small]
    big = ~small
    out[big] = _poly(np.sqrt(w[big]) - 3.0, _GILES_TAIL) * ay[big]
    return out


def _residual(x, ay, tail, central, fast32=False):
    """erf(x) - |y| where |y| ≤ 1/2, else (1 - |y|) - erfc(x) (the tail keeps its digits). ``fast32``:
    for a float32 result, both sides on every element by the mask-free forms (x ≤ 3.9 there)."""
    if fast32:      # one small-|x| and one mid-range evaluation on every element, no masks
        mid = _erfc_mid_for_float32(x)
        small = _small(np.clip(x, -0.46875, 0.46875))
        erf_x = np.where(x <= 0.46875, small, 1.0 - mid)
        return np.where(central, erf_x - ay, tail - mid)
    if central.all():
        return erf(x) - ay
    if not central.any():
        return tail - erfc(x)
    out = np.empty_like(x)
    out[central] = erf(x[central]) - ay[central]
    side = ~central
    out[side] = tail[side] - erfc(x[side])
    return out


def _erfinv_abs(ay, tail, steps, fast32=False):
    """erfinv(|y|) ≥ 0 given |y| and tail = 1 - |y| (exact), both float64; ``steps`` Halley steps
    (``fast32``: the residuals by the mask-free float32 forms, valid while erfinv ≤ 3.9, i.e. for
    |y| of float32 inputs)."""
    with np.errstate(all="ignore"):
        w = -np.log(tail * (2.0 - tail))
        x = _erfinv_guess(ay, w, fast32)
        deep = w > 16.0        # beyond Giles' range: erfc(x) ~ exp(-x²)/(x√π), fixed-point steps
        if deep.any():
            t = tail[deep]
            xd = np.sqrt(-np.log(t))
            for _ in range(4):
                xd = np.sqrt(np.maximum(-np.log(t * _SQRT_PI * xd), 0.0))
            x[deep] = xd
        x[~np.isfinite(x)] = 0.0
        central = ay <= 0.5
        for it in range(steps + 1):
            if it == steps:        # one more step for the deep tails, whose first guess is rougher
                if not deep.any():
                    break
                xt, ct, at, tt = x[deep], central[deep], ay[deep], tail[deep]
            else:
                xt, ct, at, tt = x, central, ay, tail
            core = _residual(xt, at, tt, ct, fast32=fast32)
            gauss = np.exp(-xt * xt) * _TWO_OVER_SQRT_PI
            step = np.where(gauss > 0, core / np.where(gauss > 0, gauss, 1.0), 0.0)
            xt = xt - step / (1.0 + xt * step)        # Halley: erf'' = -2x·erf'
            if it == steps:
                x[deep] = xt
            else:
                x = xt
    return x


@_flat
def erfinv(y, steps=2, fast32=False):
    """erfinv(y) for float64 y: ±inf at ±1, nan outside [-1, 1] (``fast32``: y are float32 values and
    the result is rounded to float32)."""
    y = np.asarray(y, np.float64)
    ay = np.abs(y)
    x = _erfinv_abs(ay, 1.0 - ay, steps, fast32)
    out = np.copysign(x, y)
    out = np.where(ay == 1.0, np.copysign(np.inf, y), out)
    return np.where((ay > 1.0) | np.isnan(y), np.nan, out)


@_flat
def ndtri(p, steps=2):
    """The standard normal quantile Φ⁻¹(p) = -√2·erfcinv(2p): -inf at 0, +inf at 1, nan outside [0, 1].
    The tail's probability min(p, 1 - p) is exact, so tiny p keep their digits."""
    p = np.asarray(p, np.float64)
    lower = p < 0.5
    c = 2.0 * np.where(lower, p, 1.0 - p)       # erfc's argument, in (0, 1]
    x = _erfinv_abs(1.0 - c, c, steps)          # erfcinv(c) = erfinv(1 - c)
    out = _SQRT2 * np.where(lower, -x, x)
    out = np.where(p == 0.0, -np.inf, np.where(p == 1.0, np.inf, out))
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, out)


@_flat
def log_ndtr(x, t32=False):
    """log Φ(x), PyTorch's formula: log(erfcx(-x/√2)/2) - x²/2 below -1, log1p(-erfc(x/√2)/2) above.
    ``t32``: t = x/√2 rounded to float32 first, as PyTorch's float32 kernel (its tail then carries the
    argument's rounding, ~2t² ulp, and this matches it)."""
    x = np.asarray(x, np.float64)
    t = x / _SQRT2
    if t32:
        t = (x.astype(np.float32) * np.float32(1 / _SQRT2)).astype(np.float64)
    with np.errstate(all="ignore"):
        low = np.log(erfcx(-t) / 2.0) - t * t
        high = np.log1p(-erfc(t) / 2.0)
    return np.where(x < -1.0, low, high)
