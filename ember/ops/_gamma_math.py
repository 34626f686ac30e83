"""The gamma family on float64 arrays, vectorised (no autograd): lgamma, digamma, the Hurwitz zeta.

lgamma = log|Γ(x)|:
- x ≥ 1/2: Lanczos' approximation (g = 7, nine terms; relative error of Γ about 1e-15)
  log Γ(x) = ½log 2π + (x - ½)·log t - t + log A(x),  t = x + g - ½,  A(x) = c₀ + Σ cₖ/(x + k - 1);
- near the zeros 1 and 2 (|x - 1| or |x - 2| < 0.2), where Lanczos would lose relative digits, the
  Taylor series log Γ(2 + z) = (1 - γ)z + Σₖ≥₂ (-1)ᵏ(ζ(k) - 1)/k·zᵏ (and log Γ(1 + z) = that - log1p z);
- 0 < x < 1/2: log Γ(x) = log Γ(x + 1) - log x;
- x < 0: the reflection log|Γ(x)| = log(π/|sin πx|) - log Γ(1 - x), sin taken of x reduced to
  [-½, ½] (exact); +inf at 0, the negative integers and ±inf, as PyTorch.

digamma ψ: ψ(x) = ψ(x + 10) - Σₖ₌₀⁹ 1/(x + k) below 10, then the asymptotic series
log x - 1/2x - Σ B₂ₖ/(2k x²ᵏ); reflection ψ(x) = ψ(1 - x) - π/tan πx for x < 0; ψ(±0) = ∓inf and
nan at the negative integers, as PyTorch.

Hurwitz zeta ζ(x, q) = Σₖ (q + k)^-x (Cephes' method, as PyTorch): direct terms until q + N > 9 and
N ≥ 9, then the Euler-Maclaurin tail with 12 Bernoulli terms; inf at x = 1 and at q = 0, -1, ...;
nan for x < 1 and for q < 0 with x not an integer.
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

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_EULER = 0.5772156649015329
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
# (-1)^k (ζ(k) - 1)/k, k = 2, 3, ...: the Taylor coefficients of log Γ(2 + z) beyond the linear one
_LG2 = (0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
        0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
        9.945751278180853e-05, -4.492623673813314e-05, 2.050721277567069e-05, -9.439488275268397e-06,
        4.374866789907488e-06, -2.039215753801366e-06, 9.55141213040742e-07, -4.492469198764566e-07,
        2.1207184805554665e-07, -1.0043224823968099e-07)
# Bernoulli numbers B_2k, k = 1..12
BERNOULLI_2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
                -174611 / 330, 854513 / 138, -236364091 / 2730)


def _lgamma2_series(z):
    """log Γ(2 + z) for |z| ≤ 0.2 (Horner in z, then times z)."""
    acc = np.full_like(z, _LG2[-1])
    for c in _LG2[-2::-1]:
        acc = acc * z + c
    return z * ((1.0 - _EULER) + z * acc)


def _lanczos(x):
    """log Γ(x) for x ≥ 1/2 (nan at +inf: callers patch it); in-place steps, no masks."""
    a = np.full_like(x, _LANCZOS[0])
    tmp = np.empty_like(x)
    for k in range(1, 9):
        np.add(x, k - 1.0, out=tmp)
        np.divide(_LANCZOS[k], tmp, out=tmp)
        a += tmp
    np.log(a, out=a)
    t = np.add(x, _LANCZOS_G - 0.5, out=tmp)
    out = np.log(t)
    out *= x - 0.5
    out -= t
    out += a
    out += _LOG_SQRT_2PI
    return out


@_flat
def lgamma(x, exact_near_zeros=True):
    """log|Γ(x)| in float64. Lanczos on max(x, 1 - x), the reflection below 1/2, then (when
    ``exact_near_zeros``) the Taylor series near the zeros 1 and 2, where Lanczos' absolute error of
    ~1e-15 is a large relative one. float32 results do not need it (the float32 numbers nearest 1 and
    2 are 6e-8 and 2.4e-7 away, where |log Γ| is already ≥ 3e-8)."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        low = x < 0.5
        xr = np.where(low, 1.0 - x, x)
        out = _lanczos(xr)
        if low.any():
            r = x - np.round(x)                                # exact, in [-1/2, 1/2]
            refl = np.log(math.pi / np.abs(np.sin(math.pi * r))) - out
            out = np.where(low, refl, out)
            out[low & (r == 0)] = np.inf                       # 0, -0, the negative integers
        out[np.isinf(x)] = np.inf
        out[(x == 1.0) | (x == 2.0)] = 0.0                    # exact zeros (Lanczos leaves ~4e-16)
        if exact_near_zeros:
            near = np.flatnonzero((x > 0.8) & (x < 2.2))
            if near.size:
                out = np.ascontiguousarray(out)
                flat = out.reshape(-1)
                xn = x.reshape(-1)[near]
                z1 = xn - 1.0
                z2 = xn - 2.0
                s = _lgamma2_series(np.where(np.abs(z1) < 0.2, z1, np.where(np.abs(z2) < 0.2, z2, 0.0)))
                flat[near] = np.where(np.abs(z1) < 0.2, s - np.log1p(z1), np.where(np.abs(z2) < 0.2, s, flat[near]))
    return out


def _digamma_big(x):
    """ψ(x) for x ≥ 10 (inf at +inf)."""
    with np.errstate(all="ignore"):
        inv2 = 1.0 / (x * x)
        acc = np.full_like(x, BERNOULLI_2K[6] / 14)
        for k in range(6, 0, -1):
            acc = acc * inv2 + BERNOULLI_2K[k - 1] / (2 * k)
        return np.log(x) - 0.5 / x - acc * inv2


def _digamma_pos(x):
    """ψ(x) for x > 0."""
    out = np.empty_like(x)
    big = x >= 10.0
    if big.all():
        return _digamma_big(x)
    out[big] = _digamma_big(x[big])
    xs = x[~big]
    s = 1.0 / xs
    for k in range(1, 10):
        s += 1.0 / (xs + k)
    out[~big] = _digamma_big(xs + 10.0) - s
    return out


@_flat
def digamma(x):
    """ψ(x) in float64 with PyTorch's values at 0 (∓inf for ±0), the negative integers and -inf (nan)."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        pos = x > 0
        if pos.all():
            return _digamma_pos(x)
        out = np.full_like(x, np.nan)
        if pos.any():
            out[pos] = _digamma_pos(x[pos])
        neg = (x < 0) & (x != np.floor(x)) & (x > -np.inf)
        if neg.any():
            xn = x[neg]
            r = xn - np.round(xn)                            # tan has period π: reduce exactly first
            out[neg] = _digamma_pos(1.0 - xn) - math.pi / np.tan(math.pi * r)
        zero = x == 0
        out[zero] = np.copysign(np.inf, -x[zero])
    return out


# (2k)!/B_2k, k = 1..12: the Euler-Maclaurin divisors
_EM = tuple(math.factorial(2 * k) / b for k, b in enumerate(BERNOULLI_2K, start=1))


def _inv_power(x):
    """a ↦ a^-x: for an integer x in [2, 64] (polygamma's case) by squarings and multiplications
    (several times faster than ``**``), else ``**``."""
    if np.ndim(x) == 0 and float(x) == int(x) and 2 <= x <= 64:
        k = int(x)

        def power(a):
            base, out, e = 1.0 / a, None, k
            while e:
                if e & 1:
                    out = base if out is None else out * base
                e >>= 1
                if e:
                    base = base * base
            return out
        return power
    return lambda a: a ** -x


def zeta(x, q):
    """The Hurwitz zeta function ζ(x, q) = Σₖ₌₀^∞ (q + k)^-x on broadcast float64 arrays (a 0-d x,
    as polygamma's n + 1, stays a scalar: its Euler-Maclaurin coefficients are then plain numbers)."""
    x = np.asarray(x, np.float64)
    q = np.asarray(q, np.float64)
    if x.ndim:
        x, q = np.broadcast_arrays(x, q)
        x = x.copy()
    q = np.array(q, np.float64)
    power = _inv_power(x)
    with np.errstate(all="ignore"):
        shifts = np.where(q > 0, 9.0, np.maximum(9.0, np.floor(9.0 - q) + 1.0))
        shifts = np.where(np.isfinite(shifts), shifts, 9.0)
        s = power(q)
        top = int(shifts.max()) if shifts.size else 9
        a = q.copy()
        b = np.zeros_like(s)
        for i in range(1, top + 1):
            a = a + 1.0
            if i <= 9:
                b = power(a)
                s = s + b
            else:
                live = i <= shifts
                b = np.where(live, power(a), b)
                s = s + np.where(live, b, 0.0)
                a = np.where(live, a, a - 1.0)
        w = a
        s = s + b * w / (x - 1.0) - 0.5 * b
        inv_w = 1.0 / w
        if x.ndim == 0:        # Σᵢ cᵢ·b/w^(2i+1), cᵢ = x(x+1)...(x+2i)/EMᵢ: Horner in 1/w²
            coeffs, fac, k = [], 1.0, 0.0
            for i in range(12):
                fac *= float(x) + k
                coeffs.append(fac / _EM[i])
                fac *= float(x) + k + 1.0
                k += 2.0
            inv_w2 = inv_w * inv_w
            acc = np.full_like(s, coeffs[-1])
            for c in coeffs[-2::-1]:
                acc *= inv_w2
                acc += c
            s = s + acc * b * inv_w
        else:
            fac = np.ones_like(s)
            k = 0.0
            for i in range(12):
                fac = fac * (x + k)
                b = b * inv_w
                s = s + fac * b / _EM[i]
                k += 1.0
                fac = fac * (x + k)
                b = b * inv_w
                k += 1.0
        s = np.where(x == 1.0, np.inf, s)
        s = np.where(x < 1.0, np.nan, s)
        bad_q = q <= 0
        s = np.where(bad_q & (q == np.floor(q)) & ~(x < 1.0), np.inf, s)     # x nan too, as PyTorch
        s = np.where(bad_q & (q != np.floor(q)) & (x != np.floor(x)) & (x > 1.0), np.nan, s)
        # x = +inf: PyTorch's inf for q < 1, 1 at q = 1, nan beyond (and for q = nan)
        s = np.where(np.isposinf(x), np.where(q < 1, np.inf, np.where(q == 1, 1.0, np.nan)), s)
        s = np.where(np.isposinf(q), np.nan, s)
        s = np.where(x == 1.0, np.inf, s)                      # checked first by PyTorch: any q
    return s


# Bernoulli numbers B_2k for the asymptotic series of ψ⁽ⁿ⁾
_B2K = BERNOULLI_2K[:10]


def _polygamma_pos(n, x):
    """ψ⁽ⁿ⁾(x) for x > 0 in float64: recurrence up to x ≥ 10, then the asymptotic series."""
    acc = np.zeros_like(x)
    x = x.copy()
    nfact = math.factorial(n)
    sgn = (-1) ** (n + 1)
    for _ in range(10):
        low = x < 10
        if not low.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            # ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) - (-1)ⁿ n! / x^(n+1)  (n = 0: ψ(x) = ψ(x + 1) - 1/x)
            term = np.where(low, sgn * nfact / x ** (n + 1), 0.0)
        acc = acc + term
        x = np.where(low, x + 1, x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1.0 / x
        inv2 = inv * inv
        if n == 0:
            series = np.log(x) - 0.5 * inv
            pw = inv2
            for k, b in enumerate(_B2K, start=1):
                series = series - b / (2 * k) * pw
                pw = pw * inv2
        else:
            # (-1)^(n+1) [ (n-1)!/xⁿ + n!/(2x^(n+1)) + Σ B_2k (2k+n-1)!/((2k)! x^(2k+n)) ]
            xn = inv ** n
            series = math.factorial(n - 1) * xn + nfact / 2 * xn * inv
            pw = xn * inv2
            for k, b in enumerate(_B2K, start=1):
                series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * pw
                pw = pw * inv2
            series = sgn * series
    return np.where(np.isposinf(x), 0.0 if n else np.inf, series) + acc


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x) in float64 with PyTorch's values at the poles and for x < 0 (reflection for n ≤ 1)."""
    x = np.asarray(x, np.float64)
    if n == 0:
        return digamma(x)
    if n >= 2:       # PyTorch's form: (-1)^(n+1)·n!·ζ(n + 1, x), the Hurwitz zeta summing past any negative x
        with np.errstate(all="ignore"):
            out = (-1.0) ** (n + 1) * math.factorial(n) * zeta(np.float64(n + 1), x)
        is_pole = (x <= 0) & (x == np.floor(x))
        out = np.where(is_pole | np.isneginf(x), np.inf if n % 2 else -np.inf, out)
        return np.where(np.isposinf(x), np.nan, out)
    neg = x < 0
    if n > 1 or not neg.any():
        out = _polygamma_pos(n, np.where(neg & (n <= 1), 1.0, x))
    else:
        xr = np.where(neg, 1.0 - x, x)
        out = _polygamma_pos(n, xr)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = x - np.round(x)    # exact: tan and sin² have period π, so reduce before multiplying by π
            if n == 0:
                refl = out - math.pi / np.tan(math.pi * r)
            else:
                refl = -out + (math.pi / np.sin(math.pi * r)) ** 2
        out = np.where(neg, refl, out)
    is_pole = (x <= 0) & (x == np.floor(x))
    if n == 0:       # ψ(±0) = ∓inf, nan at the negative integers and -inf
        out = np.where(x == 0, np.copysign(np.inf, -x), out)
        return np.where(is_pole & (x != 0) | np.isneginf(x), np.nan, out)
    if n == 1:       # PyTorch reflects without reducing the argument: at -k it gives (π / sin(-kπ))², finite
        with np.errstate(divide="ignore", invalid="ignore"):
            at_pole = (math.pi / np.sin(math.pi * x)) ** 2
        out = np.where(is_pole & (x != 0), at_pole, out)
        out = np.where(x == 0, np.inf, out)
        return np.where(np.isneginf(x), np.nan, out)
    sgn_inf = np.inf if n % 2 else -np.inf   # n ≥ 2: (-1)^(n+1)·inf at the poles and at -inf, nan at +inf
    out = np.where(is_pole | np.isneginf(x), sgn_inf, out)
    return np.where(np.isposinf(x), np.nan, out)


def _lentz_q(a, x):
    """Q(a, x) for x ≥ a + 1 by the continued fraction of Γ(a, x) (modified Lentz), x > 0 finite."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(b, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    live = np.arange(a.size)
    for i in range(1, 2000):
        an = -i * (i - a[live])
        b[live] += 2.0
        dl = an * d[live] + b[live]
        dl = np.where(np.abs(dl) < tiny, tiny, dl)
        cl = b[live] + an / c[live]
        cl = np.where(np.abs(cl) < tiny, tiny, cl)
        dl = 1.0 / dl
        delta = dl * cl
        d[live], c[live] = dl, cl
        h[live] *= delta
        if i % 8 == 0:
            keep = np.abs(delta - 1.0) > 1e-16
            live = live[keep]
            if not live.size:
                break
    return np.exp(a * np.log(x) - x - lgamma(a)) * h


def _series_p(a, x):
    """P(a, x) for 0 < x < a + 1 by x^a e^-x / Γ(a + 1) · Σ xⁿ / ((a+1)...(a+n))."""
    term = np.ones_like(a)
    total = np.ones_like(a)
    n = a.copy()
    live = np.arange(a.size)
    for i in range(1, 5000):
        n[live] += 1.0
        term[live] *= x[live] / n[live]
        total[live] += term[live]
        if i % 8 == 0:
            live = live[term[live] > total[live] * 1e-17]
            if not live.size:
                break
    return total * np.exp(a * np.log(x) - x - lgamma(a + 1.0))


def gammainc(a, x, upper=False):
    """The regularised incomplete gamma functions P(a, x) (``upper=False``) and Q(a, x) = 1 - P on
    broadcast float64 arrays: the series for x < a + 1, the continued fraction beyond; PyTorch's values
    at the edges (nan for a < 0 or x < 0, P(0, x > 0) = 1, P(a, 0) = 0, P(inf, x) = 0, P(a, inf) = 1,
    nan at a = 0 = x and a = inf = x)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.ravel().copy(), x.ravel().copy()
    p = np.full(a.shape, np.nan)
    q = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"):
        live = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        low = np.flatnonzero(live & (x < a + 1.0))
        high = np.flatnonzero(live & (x >= a + 1.0))
        if low.size:
            p[low] = _series_p(a[low], x[low])
            q[low] = 1.0 - p[low]
        if high.size:
            q[high] = _lentz_q(a[high], x[high])
            p[high] = 1.0 - q[high]
        # PyTorch's checks, the first that applies wins (so they are applied here last to first)
        for mask, value in ((np.isposinf(x), 1.0), (np.isinf(a), np.where(np.isinf(x), np.nan, 0.0)),
                            (x == 0, 0.0), (a == 0, np.where(x > 0, 1.0, np.nan)), ((x < 0) | (a < 0), np.nan)):
            value = np.broadcast_to(value, p.shape)
            p[mask] = value[mask]
            q[mask] = 1.0 - value[mask]
    return (q if upper else p).reshape(shape)
