"""PyTorch's CPU sampling algorithms: how each distribution turns a Generator's words into numbers.

Every function takes an ember ``Generator`` and returns a NumPy array; the callers (``rand``,
``Tensor.normal_``, ``nn.init``, dropout, samplers, ...) wrap it. Each follows what PyTorch's CPU
kernels do, found by testing against PyTorch (``tests/test_random_streams.py``):

- uniform float32: the low 24 bits of one 32-bit word times 2**-24; float64: the low 53 bits of
  one 64-bit word (two 32-bit words, the first high) times 2**-53; then ``u * (to - from) + from``
  as one fused multiply-add (float32 for float32/float16, float64 for float64; a result that
  rounds to ``to`` becomes ``from``);
- normal, 16 or more contiguous values: all the uniforms first, then Box-Muller on blocks of 16
  (``u1 = 1 - u[j]``, ``u2 = u[j + 8]``); a tail that is not a multiple of 16 redraws 16 fresh
  uniforms for the last 16 values. Fewer than 16: one double normal at a time, each Box-Muller
  pair cached in the generator;
- integers in [low, high): ``word % (high - low) + low`` with one 32-bit word, or one 64-bit word
  when the range needs it;
- randperm: a Fisher-Yates pass swapping ``i`` with ``i + word % (n - i)``;
- bernoulli with a scalar p, and exponential: one double uniform per value;
- poisson and binomial: one value after another, each drawing double uniforms until accepted
  (Poisson: multiplication below rate 10, Hörmann's PTRS from 10; binomial: inversion below
  count * p = 10, Hörmann's BTRS from 10, on min(p, 1 - p));
- standard gamma: Marsaglia and Tsang per value, with one-at-a-time double normals (the pair's
  second value cached in the generator) and double uniforms from the same stream.
"""
import math

import numpy as np

_U64_1 = np.uint64(1)


def _uniform01(gen, n, dtype):
    """``n`` uniforms in [0, 1) as PyTorch's ``uniform_real_distribution<dtype>`` draws them."""
    if np.dtype(dtype) == np.float64:
        bits = gen._u64(n) & np.uint64((1 << 53) - 1)
        return bits.astype(np.float64) * 2.0 ** -53
    return (gen._u32(n) & np.uint64(0xFFFFFF)).astype(np.float32) * np.float32(2.0 ** -24)


def _two_sum(a, b):
    """``s = a + b`` rounded and its exact error ``e`` (``a + b == s + e``), elementwise (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_product(a, b):
    """``p = a * b`` rounded and its exact error (Dekker's product with Veltkamp's split), float64."""
    def split(x):
        c = 134217729.0 * x  # 2**27 + 1
        hi = c - (c - x)
        return hi, x - hi
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_to_odd(s, e):
    """The float64 ``s + e`` (``s`` its rounding to nearest, ``e`` the exact error) rounded to odd:
    of the two floats around an inexact sum, the one whose last significand bit is 1 (in place)."""
    bump = np.flatnonzero((s.view(np.int64) & 1) == 0)
    bump = bump[e[bump] != 0]
    s[bump] = np.nextafter(s[bump], np.where(e[bump] > 0, np.inf, -np.inf))
    return s


def _fma(x, d, a):
    """``x * d + a`` with one rounding (a fused multiply-add), float64, elementwise: the exact
    product and sum as error-free pairs, the small parts added with rounding to odd, then one
    rounding to nearest (Boldo and Melquiond's emulation)."""
    ph, pl = _two_product(x, d)
    sh, sl = _two_sum(a, ph)
    return sh + _round_to_odd(*_two_sum(sl, pl))


def _fma32(x, d, a):
    """``x * d + a`` rounded once to float32, for float32 values ``x`` (held in float64), ``d``,
    ``a``: the product is exact in float64, and the float64 sum rounded to nearest rounds to the
    right float32 except where it lands exactly on a float32 midpoint (or below float32's normal
    range): those are rounded to odd first, which keeps the final rounding single."""
    p = x * np.float64(d)
    s = p + np.float64(a)
    risky = np.flatnonzero(((s.view(np.int64) & 0x1FFFFFFF) == 0x10000000) | (np.abs(s) < 2.0 ** -126))
    if risky.size:
        pr = p[risky]
        s[risky] = _round_to_odd(*_two_sum(pr, np.full_like(pr, a)))
    return s.astype(np.float32)


def uniform(gen, shape, dtype, low=0.0, high=1.0):
    """U(low, high) samples of ``dtype``, as PyTorch's ``uniform_``: ``u * (to - from) + from``
    computed as one fused multiply-add (one rounding) in float64 for float64 and in float32 for
    the other dtypes (float16 then rounds that float32 value), and a value that rounds up to
    ``to`` becomes ``from`` so the range stays half-open."""
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    unit = float(low) == 0.0 and float(high) == 1.0       # u * 1 + 0 is u itself: no rounding to do
    if dtype == np.float64:
        lo, hi = float(low), float(high)
        values = _uniform01(gen, n, dtype)
        if not unit:
            values = _fma(values, np.float64(hi - lo), np.float64(lo))
    else:
        lo, hi = np.float32(low), np.float32(high)  # PyTorch's bounds in the float32 accumulator
        bits = gen._u32(n) & np.uint64(0xFFFFFF)
        if unit:
            values = (bits.astype(np.float32) * np.float32(2.0 ** -24)).astype(dtype, copy=False)
        else:
            u = bits.astype(np.float64) * 2.0 ** -24  # a float32, held in float64
            values = _fma32(u, np.float32(hi - lo), lo).astype(dtype, copy=False)
        lo, hi = dtype.type(lo), dtype.type(hi)
    values[values >= hi] = lo
    return values.reshape(shape)


def uniform_unfused(gen, n, low, high):
    """``n`` float64 U(low, high) values as ``u * (high - low) + low`` with two roundings: PyTorch's
    kernels compiled without fused multiply-add (rrelu's noise) compute it so."""
    return _uniform01(gen, n, np.float64) * (float(high) - float(low)) + float(low)


def _box_muller_blocks(data, dtype):
    """In place: each block of 16 uniforms becomes 16 standard normals (PyTorch's normal_fill_16)."""
    blocks = data.reshape(-1, 2, 8)
    u1 = dtype.type(1) - blocks[:, 0]
    u2 = blocks[:, 1]
    radius = np.sqrt(dtype.type(-2) * np.log(u1))
    theta = dtype.type(2.0 * math.pi) * u2
    blocks[:, 0] = radius * np.cos(theta)
    blocks[:, 1] = radius * np.sin(theta)


def _normal_scalar(gen, dtype):
    """One standard normal from PyTorch's ``normal_distribution<double>`` (caches the pair's sine)."""
    if gen._next_double_normal is not None:
        value, gen._next_double_normal = gen._next_double_normal, None
        return value
    u1, u2 = _uniform01(gen, 2, np.float64)
    radius = math.sqrt(-2.0 * math.log1p(-u2))
    theta = 2.0 * math.pi * u1
    gen._next_double_normal = radius * math.sin(theta)
    return radius * math.cos(theta)


def normal(gen, shape, dtype, mean=0.0, std=1.0, contiguous=True):
    """N(mean, std**2) samples of ``dtype`` (PyTorch fills a non-contiguous tensor one at a time)."""
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    if n < 16 or not contiguous or dtype not in (np.float32, np.float64):
        z = np.array([_normal_scalar(gen, dtype) for _ in range(n)], dtype=np.float64)
        return (z * std + mean).astype(dtype).reshape(shape)
    data = _uniform01(gen, n, dtype).astype(dtype, copy=False)
    whole = n - n % 16
    _box_muller_blocks(data[:whole], dtype)
    if whole != n:  # the last 16 values are recomputed from 16 fresh uniforms
        tail = _uniform01(gen, 16, dtype).astype(dtype, copy=False)
        _box_muller_blocks(tail, dtype)
        data[n - 16:] = tail
    mean, std = dtype.type(mean), dtype.type(std)
    if std != 1 or mean != 0:
        data = data * std + mean
    return data.reshape(shape)


def random_from_to(gen, shape, dtype, low, high):
    """Integers in [low, high) stored as ``dtype`` (``random_(low, high)``, ``randint``)."""
    span = int(high) - int(low)
    n = math.prod(shape)
    wide = span >= (1 << 32) and np.dtype(dtype) in (np.dtype(np.int64), np.dtype(np.float64),
                                                     np.dtype(np.float32))
    words = gen._u64(n) if wide else gen._u32(n)
    values = (words % np.uint64(span)).astype(np.int64) + int(low)
    return values.astype(dtype).reshape(shape)


def random_full(gen, shape, dtype):
    """``random_()`` without bounds: [0, 2**mantissa] for floats, [0, max] for integers, 0/1 for bool."""
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    if dtype == np.bool_:
        return (gen._u32(n) & _U64_1).astype(np.bool_).reshape(shape)
    if dtype.kind == "f":
        words = gen._u64(n) if dtype == np.float64 else gen._u32(n)
        top = np.uint64((1 << np.finfo(dtype).nmant + 1) + 1)
        return (words % top).astype(dtype).reshape(shape)
    words = gen._u64(n) if dtype == np.int64 else gen._u32(n)
    top = np.uint64(int(np.iinfo(dtype).max) + 1)
    return (words % top).astype(dtype).reshape(shape)


def randperm(gen, n):
    """A permutation of ``range(n)`` as int64, by PyTorch's CPU algorithm."""
    n = int(n)
    if n >= (1 << 32) // 20:  # PyTorch switches to an inside-out shuffle on 64-bit words here
        perm = np.empty(n, dtype=np.int64)
        picks = gen._u64(n)
        for i in range(n):
            z = int(picks[i] % np.uint64(i + 1))
            perm[i] = perm[z]
            perm[z] = i
        return perm
    perm = list(range(n))
    if n > 1:
        # the swap partners can be computed up front; the swaps themselves are sequential
        partners = (gen._u32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
        partners += np.arange(n - 1)
        for i, z in enumerate(partners.tolist()):
            perm[i], perm[z] = perm[z], perm[i]
    return np.array(perm, dtype=np.int64)


def bernoulli_scalar(gen, shape, p):
    """True with probability ``p`` (one double uniform each), as ``bernoulli_(p)``."""
    return _uniform01(gen, math.prod(shape), np.float64).reshape(shape) < p


def bernoulli_tensor(gen, probs):
    """True where a uniform of the probabilities' precision falls below them, as ``bernoulli(probs)``."""
    probs = np.asarray(probs)
    dtype = np.float64 if probs.dtype == np.float64 else np.float32
    return _uniform01(gen, probs.size, dtype).reshape(probs.shape) < probs


def exponential(gen, shape, lambd):
    """Exp(lambd) samples (float64; the caller casts), as ``exponential_``."""
    u = _uniform01(gen, math.prod(shape), np.float64)
    return (-1.0 / lambd * np.log1p(-u)).reshape(shape)


def multinomial(gen, probs, num_samples, replacement):
    """Category indices drawn from each row of ``probs`` (2-D), as ``torch.multinomial`` on CPU."""
    probs = np.asarray(probs)
    rows, k = probs.shape
    if not replacement or num_samples == 1:
        # PyTorch's Gumbel-style trick: the largest p / q with q ~ Exp(1)
        q = exponential(gen, probs.shape, 1.0).astype(probs.dtype)
        keys = probs / q
        if num_samples == 1:
            return np.argmax(keys, axis=-1)[:, None]
        return np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    out = np.empty((rows, num_samples), dtype=np.int64)
    for r in range(rows):
        cum = np.cumsum(probs[r])
        cum = cum / cum[-1]
        cum[-1] = 1
        u = _uniform01(gen, num_samples, np.float64)
        out[r] = np.searchsorted(cum, u, side="left")
    return out


class _DoubleUniforms:
    """Double uniforms in [0, 1) drawn one at a time for samplers that use a variable number per
    value (Poisson, binomial): read ahead in blocks for speed, and on ``close`` the generator is
    left exactly after the words that were used, as if they had been drawn one by one."""

    def __init__(self, gen, block=256):
        self._gen, self._block = gen, block
        self._start = gen._bits.state
        self._fresh = gen._fresh
        self._used = 0
        self._buf, self._pos = [], 0

    def __call__(self):
        if self._pos == len(self._buf):
            self._buf, self._pos = _uniform01(self._gen, self._block, np.float64).tolist(), 0
            self._block = min(self._block * 2, 1 << 16)
        self._pos += 1
        self._used += 1
        return self._buf[self._pos - 1]

    def close(self):
        gen = self._gen
        gen._bits.state = self._start
        gen._fresh = self._fresh
        if self._used:
            gen._u32(2 * self._used)


def _poisson_one(lam, uniform):
    """One Poisson(lam) draw as PyTorch's CPU kernel: for lam >= 10 Hörmann's transformed rejection
    (PTRS, two uniforms per try), else multiply uniforms until the product falls to exp(-lam)."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = (2 * a / us + b) * u + lam + 0.43
            # an infinite rate: C's cast of inf or nan to int64 gives int64's minimum, as in PyTorch
            k = math.floor(k) if math.isfinite(k) else -(1 << 63)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - _lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(gen, rates):
    """Poisson draws for each rate (any float array; the result has its dtype), in C order."""
    rates = np.asarray(rates)
    out = np.empty(rates.shape, dtype=np.float64)
    flat, res = rates.astype(np.float64).ravel(), out.reshape(-1)
    uniform = _DoubleUniforms(gen)
    try:
        for i, lam in enumerate(flat.tolist()):
            res[i] = _poisson_one(lam, uniform)
    finally:
        uniform.close()
    return out.astype(rates.dtype)


def _load_lgamma():
    """The C library's ``lgamma`` (PyTorch's ``std::lgamma``), else Python's."""
    import ctypes
    import ctypes.util
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        fn = libm.lgamma
        fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double]
        return fn
    except (OSError, AttributeError):
        return math.lgamma


_lgamma = _load_lgamma()


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.01387612882307075, 0.01189670994589177, 0.01041126526197209,
                  0.009255462182712733, 0.008330563433362871)  # log k! - Stirling's formula, k < 10


def _stirling_tail(k):
    """log(k!) minus Stirling's approximation of it: a table below 10, else its asymptotic series."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(count, prob, T, uniform):
    """Hörmann's BTRS transformed rejection for count * prob >= 10 (prob <= 0.5), two uniforms
    per try. ``T`` is the count's float type: PyTorch computes a few terms in it."""
    one = T(1)
    stddev = float(np.sqrt(count * prob * (one - prob)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * float(prob)
    c = float(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(prob / (one - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(np.floor((count + one) * prob))
    n = float(count)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        k = float(T(math.floor((2 * a / us + b) * u + c)))
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + (n + 1) * math.log((n - m + 1) / (n - k + 1))
                 + (k + 0.5) * math.log(r * (n - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(n - m) - _stirling_tail(k) - _stirling_tail(n - k))
        if v <= bound:
            return k


def _binomial_inversion(count, prob, T, uniform):
    """Successes before the failures' geometric waiting times pass ``count`` (count * prob < 10)."""
    logprob = float(np.log1p(-prob))
    n, geom_sum, successes = float(count), 0.0, 0
    while True:
        geom_sum += math.ceil(math.log(uniform()) / logprob)
        if geom_sum > n:
            return successes
        successes += 1


def _binomial_one(count, prob, T, uniform):
    """One Binomial(count, prob) draw as PyTorch's CPU kernel (``T`` the float type of both)."""
    if count <= 0 or prob <= 0:
        return 0.0
    if not math.isfinite(count):
        return math.nan  # PyTorch loops forever on a nan or infinite count
    if prob >= 1:
        return float(count)
    if prob <= 0.5:
        if count * prob >= 10:
            return _btrs(count, prob, T, uniform)
        return _binomial_inversion(count, prob, T, uniform)
    if prob > 0.5:
        q = T(1.0 - float(prob))
        if count * q >= 10:
            return float(count - T(_btrs(count, q, T, uniform)))
        return float(count - T(_binomial_inversion(count, q, T, uniform)))
    return math.nan


def binomial(gen, count, prob):
    """Binomial draws for each (count, prob) pair (float arrays of one dtype and shape), C order."""
    count, prob = np.asarray(count), np.asarray(prob)
    T = count.dtype.type
    out = np.empty(count.shape, dtype=np.float64)
    res = out.reshape(-1)
    uniform = _DoubleUniforms(gen)
    try:
        for i, (n, p) in enumerate(zip(count.ravel(), prob.ravel())):
            res[i] = _binomial_one(n, p, T, uniform)
    finally:
        uniform.close()
    return out.astype(count.dtype)


class _Normals:
    """Standard normals drawn one at a time from a ``_DoubleUniforms`` stream, as PyTorch's
    ``normal_distribution<double>``: Box-Muller on two uniforms, the pair's sine cached in the
    generator for the next call."""

    def __init__(self, gen, uniform):
        self._gen, self._uniform = gen, uniform

    def __call__(self):
        gen = self._gen
        if gen._next_double_normal is not None:
            value, gen._next_double_normal = gen._next_double_normal, None
            return value
        u1, u2 = self._uniform(), self._uniform()
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        gen._next_double_normal = radius * math.sin(theta)
        return radius * math.cos(theta)


_F32_THIRD = float(np.float32(1.0) / np.float32(3.0))   # PyTorch's 1.0f / 3.0f
_F32_0331 = float(np.float32(0.0331))                    # and its 0.0331f


def _gamma_one(alpha, T, uniform, normal):
    """One Gamma(alpha, 1) draw as PyTorch's CPU kernel: Marsaglia and Tsang's squeeze-and-reject
    (one normal and one uniform per try), alpha < 1 boosted to alpha + 1 and scaled by
    (1 - u) ** (1 / alpha). ``T`` is alpha's float type (PyTorch computes ``d`` in it)."""
    scale = 1.0
    if alpha < 1:
        if alpha == 0:
            return 0.0
        scale *= (1 - uniform()) ** float(np.float32(1.0) / alpha if T is np.float32 else 1.0 / alpha)
        alpha = T(alpha + T(1))
    d = float(T(alpha - T(_F32_THIRD)))
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1 - uniform()
        xx = x * x
        if u < 1.0 - _F32_0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(gen, alpha):
    """Gamma(alpha, 1) draws for each alpha (float32 or float64 array), in C order, as
    ``torch._standard_gamma``: at least the dtype's smallest normal number."""
    alpha = np.asarray(alpha)
    T = np.float32 if alpha.dtype != np.float64 else np.float64
    out = np.empty(alpha.shape, dtype=np.float64)
    res = out.reshape(-1)
    uniform = _DoubleUniforms(gen)
    normal = _Normals(gen, uniform)
    try:
        for i, a in enumerate(alpha.astype(T).ravel()):
            res[i] = _gamma_one(a, T, uniform, normal)
    finally:
        uniform.close()
    out = out.astype(alpha.dtype)
    return np.maximum(out, np.finfo(out.dtype).tiny)
