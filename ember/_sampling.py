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
- bernoulli with a scalar p, and exponential: one double uniform per value.
"""
import math

import numpy as np

_U64_1 = np.uint64(1)


def _uniform01(gen, n, dtype):
    """``n`` uniforms in [0, 1) as PyTorch's ``uniform_real_distribution<dtype>`` draws them."""
    if np.dtype(dtype) == np.float64:
        bits = gen._u64(n) & np.uint64((1 << 53) - 1)
        return bits.astype(np.float64) * 2.0 ** -53
    if np.dtype(dtype) == np.float16:
        return (gen._u32(n) & np.uint64(0x7FF)).astype(np.float32) * np.float32(2.0 ** -11)
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
    of the two floats around an inexact sum, the one whose last significand bit is 1."""
    bump = (e != 0) & ((s.view(np.int64) & 1) == 0)
    return np.where(bump, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)


def _fma(x, d, a):
    """``x * d + a`` with one rounding (a fused multiply-add), float64, elementwise: the exact
    product and sum as error-free pairs, the small parts added with rounding to odd, then one
    rounding to nearest (Boldo and Melquiond's emulation)."""
    ph, pl = _two_product(x, d)
    sh, sl = _two_sum(a, ph)
    return sh + _round_to_odd(*_two_sum(sl, pl))


def _fma32(x, d, a):
    """``x * d + a`` rounded once to float32, for float32 ``x``, ``d``, ``a``: the product is exact
    in float64 and the sum rounded to odd in float64 keeps the final float32 rounding single."""
    p = x.astype(np.float64) * np.float64(d)
    return _round_to_odd(*_two_sum(p, np.full_like(p, a))).astype(np.float32)


def uniform(gen, shape, dtype, low=0.0, high=1.0):
    """U(low, high) samples of ``dtype``, as PyTorch's ``uniform_``: ``u * (to - from) + from``
    computed as one fused multiply-add (one rounding) in float64 for float64 and in float32 for
    the other dtypes (float16 then rounds that float32 value), and a value that rounds up to
    ``to`` becomes ``from`` so the range stays half-open."""
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    if dtype == np.float64:
        lo, hi = float(low), float(high)
        values = _fma(_uniform01(gen, n, dtype), np.float64(hi - lo), np.full(n, lo))
    else:
        lo, hi = np.float32(low), np.float32(high)  # PyTorch's bounds in the float32 accumulator
        bits = gen._u32(n) & np.uint64(0xFFFFFF)
        u = bits.astype(np.float32) * np.float32(2.0 ** -24)
        values = _fma32(u, np.float32(hi - lo), lo).astype(dtype, copy=False)
        lo, hi = dtype.type(lo), dtype.type(hi)
    values = np.where(values >= hi, dtype.type(lo), values).astype(dtype, copy=False)
    return values.reshape(shape)


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
