"""Row kernels behind the layer, group and RMS norm ops (``ember/ops/normalization.py`` holds the
ops and their math): NumPy passes arranged for speed, with the same numbers as the plain formulas.

- Row sums and weighted row sums are BLAS gemvs against a vector of ones or the weight (a gemv
  runs at memory speed; a gemv's result for a row depends on the rows around it, so gemvs always
  run over all rows, on the calling thread).
- The elementwise rest of a kernel is per row (``*_rows`` functions writing into preallocated
  outputs), shared out to ember's threads by ``split_rows``: bitwise the one-thread result.
- A vector broadcast along short rows (a weight, a bias) is applied to rows tiled past NumPy's
  ufunc buffer (``_row_op``), which runs the loop at the speed of a same-shape one.
"""
import functools

import numpy as np

# Smallest input (elements) whose row kernels are shared out to ember's threads. The kernels are
# many short NumPy passes, each holding the GIL for its setup: measured at 2 threads (under load),
# a layer norm step on 2^19 elements took 2.4 ms split against 2.0 whole, on 3.1M 17 against 23.
SPLIT_MIN_ELEMENTS = 1 << 21


def split_work(a):
    """The work ``split_rows`` weighs for a row kernel over ``a``: its size when worth splitting, else 0."""
    return a.size if a.size >= SPLIT_MIN_ELEMENTS else 0



def _unoverflowed(mean, x, axis, count):
    """``mean`` (x's mean over ``axis``) where finite; where the sum of finite values overflowed
    (values near the float's largest), the mean of x / count, which does not (nor does PyTorch's
    running mean)."""
    if np.isfinite(mean).all():
        return mean
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (x / x.dtype.type(count)).sum(axis=axis, keepdims=mean.ndim == x.ndim)
    return np.where(np.isinf(mean) & np.isfinite(scaled), scaled, mean).astype(mean.dtype, copy=False)


@functools.lru_cache(maxsize=32)
def _ones(n, dtype):
    """A read-only vector of ``n`` ones: ``rows @ _ones(k)`` sums each row through BLAS (a gemv runs
    at memory speed; ``np.add.reduce`` along a short last axis costs several times more)."""
    v = np.ones(n, dtype)
    v.flags.writeable = False
    return v


def _row_sums(a):
    """Sums of the rows of the 2-D array ``a`` (a gemv against ones)."""
    return a @ _ones(a.shape[1], a.dtype)


def channel_sums(a):
    """The sum of ``a`` (N, C, ...) over every axis but 1, as (C,): for C-contiguous float32 or
    float64 arrays a row sum per (image, channel), then the sum over images (several times faster
    than NumPy's reduction over axes 0, 2, ...).

    Example:
        >>> channel_sums(np.ones((2, 3, 4, 4), np.float32))
        array([32., 32., 32.], dtype=float32)
    """
    if a.ndim > 2 and a.size and a.flags.c_contiguous and a.dtype in (np.float32, np.float64):
        return np.add.reduce(_row_sums(a.reshape(a.shape[0] * a.shape[1], -1)).reshape(a.shape[:2]), axis=0)
    return np.add.reduce(a, axis=(0,) + tuple(range(2, a.ndim)))


def _col_sums(a):
    """Sums of the columns of the 2-D array ``a`` (a gemv against ones)."""
    return _ones(a.shape[0], a.dtype) @ a


_BUFSIZE = 8192    # NumPy's default ufunc buffer, in elements


def _row_op(ufunc, a, v):
    """``ufunc(a, v, out=a)`` for a 2-D C-contiguous ``a`` and a vector ``v`` of its row length.

    NumPy's loop over a broadcast operand runs at about 60% of the speed of a same-shape one while
    its rows are shorter than the ufunc buffer (8192 elements); viewed as rows of t rows each, with
    ``v`` tiled t times, it runs at full speed (measured 110 -> 70 us on 2048 x 256 floats)."""
    m, n = a.shape
    t = -(-_BUFSIZE // max(n, 1))
    if 1 < t <= m:
        while m % t and t <= 2 * m:
            t += 1
        if m % t == 0 and t * n <= 4 * _BUFSIZE:
            a2 = a.reshape(m // t, t * n)
            ufunc(a2, np.tile(v, t), out=a2)
            return a
    ufunc(a, v, out=a)
    return a


def _row_means(x):
    """Mean of each row of the 2-D array ``x``, shape (rows, 1) (one BLAS gemv for the whole array:
    its result for a row depends on the rows around it, so it is never split between threads)."""
    k = x.shape[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        return _unoverflowed(_row_sums(x)[:, None] / x.dtype.type(k), x, -1, k)


def _centre_rows(x, m, eps, layer=False, out=None):
    """(xc, invstd) of the 2-D array ``x`` with row means ``m`` (rows, 1): each row centred (written
    into ``out`` when given) and 1 / sqrt(var + eps) of it, shape (rows, 1) (``layer``: layer norm's
    handling of a variance that overflows). The variance is the mean of the centred squares (no
    E[x²] - mean² cancellation); every row's numbers are the same however the rows are split."""
    k = x.shape[-1]
    xc = np.subtract(x, m, out=out)
    var = np.einsum("ij,ij->i", xc, xc)[:, None] / k
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    with np.errstate(over="ignore"):
        m2 = m * m
    whole_vectors = k % 8 == 0
    if layer and x.dtype == np.float32 and (k < 8 or whole_vectors) and not (np.isfinite(m2).all()
                                                                             and np.isfinite(var).all()):
        # PyTorch's CPU layer norm on a float32 row shorter than one vector (8) takes the variance
        # as E[x²] - mean², nan once the squared mean overflows; on rows of whole vectors, once
        # either overflows (other rows use a running mean and variance, which do not)
        invstd[np.isinf(m2) | (np.isinf(var) if whole_vectors else False)] = np.nan
    elif layer and x.dtype != np.float32 and not np.isfinite(var).all():
        invstd[np.isinf(var)] = np.nan
    return xc, invstd


def _layer_norm_rows(x, m, xc, invstd, y, w, b, eps):
    """Layer norm of rows ``x`` (means ``m``) into ``xc`` (centred), ``invstd`` and the output ``y``."""
    invstd[...] = _centre_rows(x, m, eps, layer=True, out=xc)[1]
    np.multiply(xc, invstd, out=y)
    if w is not None:
        _row_op(np.multiply, y, w)
    if b is not None:
        _row_op(np.add, y, b)


def _layer_norm_grad_rows(g, gxc, xc, invstd, s1, s2, gx, w):
    """dL/dx of layer norm's rows (M, n) into ``gx``, from the output gradient ``g``, ``gxc = g * xc``
    (overwritten), the centred rows ``xc``, ``invstd``, the row sums s1 = sum(g * w) and
    s2 = sum(g * w * xc) (all (M, 1)) and the weight vector ``w`` (or None).

    With gxh = g * w, xhat = xc * invstd and means over each row,
        dx = invstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat))
           = (g * w) * invstd + xc * c2 + c1,   c1 = -invstd * s1 / n,  c2 = -invstd³ * s2 / n
    """
    n = g.shape[1]
    c1 = -invstd * s1 / n
    c2 = -(s2 / n * invstd) * invstd * invstd    # (s2 first: a constant row, s2 = 0, stays 0 at any eps)
    np.multiply(g, invstd, out=gx)
    if w is not None:
        _row_op(np.multiply, gx, w)
    gx += np.multiply(xc, c2, out=gxc)
    gx += c1


def _group_norm_rows(x, m, xc, invstd, y, w, b, eps, layer):
    """Group norm of the samples ``x`` (N, G, C/G * spatial) with group means ``m`` (N, G, 1) into
    ``xc`` (centred), ``invstd`` (N, G, 1) and the output ``y`` (N, C, spatial):
    y = xc * (invstd * w[c]) + b[c], one scale and one shift per (sample, channel) row."""
    nb, groups = x.shape[0], x.shape[1]
    c = y.shape[1]
    inv = _centre_rows(x.reshape(nb * groups, -1), m.reshape(-1, 1), eps, layer=layer,
                       out=xc.reshape(nb * groups, -1))[1]
    invstd[...] = inv.reshape(invstd.shape)
    scale = np.repeat(inv.reshape(nb, groups), c // groups, axis=1)
    if w is not None:
        scale *= w
    y2 = y.reshape(nb * c, -1)
    np.multiply(xc.reshape(nb * c, -1), scale.reshape(-1, 1), out=y2)
    if b is not None:
        y2 += np.broadcast_to(b, (nb, c)).reshape(-1, 1)


def _group_norm_grad_rows(g, xc, buf, a, c2, c1, gx):
    """dL/dx = g * a + xc * c2 + c1 of group norm's (sample, channel) rows into ``gx`` (``buf``:
    scratch of the rows' shape), with per-row coefficients a = invstd * w[c] and c1, c2 as in
    ``_layer_norm_grad_rows``."""
    np.multiply(g, a, out=gx)
    gx += np.multiply(xc, c2, out=buf)
    gx += c1


def _rms_norm_rows(x, r, y, w, eps):
    """RMS norm of rows ``x`` into ``r`` (M, 1) and the output ``y``."""
    k = x.shape[1]
    r[...] = (1.0 / np.sqrt(np.einsum("ij,ij->i", x, x)[:, None] / k + eps)).astype(x.dtype, copy=False)
    np.multiply(x, r, out=y)
    if w is not None:
        _row_op(np.multiply, y, w)


def _rms_norm_grad_rows(g, x, r, s, buf, gx, w):
    """dL/dx = (g * w) * r + x * c of RMS norm's rows into ``gx``, c = -r³ * s / n with the row sums
    s = sum(g * w * x) (``buf``: scratch of the rows' shape)."""
    n = g.shape[1]
    c = -(s / n * r) * r * r
    np.multiply(g, r, out=gx)
    if w is not None:
        _row_op(np.multiply, gx, w)
    gx += np.multiply(x, c, out=buf)
