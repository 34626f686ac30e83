"""Pooling windows: geometry, the memory layout pools read (NCHW, or NHWC for channels-last
inputs), the strided slice of every kernel tap, their adjoint, and the fast max-pool backward
of windows that tile the input.

Every window reduction is a loop over the ``kh * kw`` kernel taps, each one strided slice of
the (padded) input covering all windows at once, so the work is a few large NumPy calls.
``sp`` is the axis of the first spatial dimension: 2 for NCHW, 1 for an NHWC view.
"""
import numpy as np

from .._parallel import parallel_batches

__all__ = []

# Max pools run their passes over runs of images of about this many input bytes, which stay in
# cache from one pass to the next (``benchmarks/conv_kernels.py``).
BLOCK_BYTES = 1 << 20


def pool_batches(N, fn, nbytes):
    """``fn(start, stop)`` over the batch as ``parallel_batches`` shares it out, each share in runs
    of images touching about ``BLOCK_BYTES``."""
    parallel_batches(N, fn, nbytes, BLOCK_BYTES)


class PoolGeometry:
    """Windows of one pooling: kernel, stride, padding, dilation, input and output sizes, and the
    padded size that holds every window (ceil_mode's partial last one too)."""
    __slots__ = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "H", "W", "Ho", "Wo", "Hp", "Wp")

    def __init__(self, H, W, k, s, p, d, ceil_mode):
        self.H, self.W = H, W
        self.kh, self.kw = k
        self.sh, self.sw = s
        self.ph, self.pw = p
        self.dh, self.dw = d
        self.Ho = _out_size(H, k[0], s[0], p[0], d[0], ceil_mode)
        self.Wo = _out_size(W, k[1], s[1], p[1], d[1], ceil_mode)
        # The padded buffer must hold every window, including ceil_mode's partial last one.
        self.Hp = max(H + 2 * p[0], (self.Ho - 1) * s[0] + d[0] * (k[0] - 1) + 1)
        self.Wp = max(W + 2 * p[1], (self.Wo - 1) * s[1] + d[1] * (k[1] - 1) + 1)

    def taps(self):
        for i in range(self.kh):
            for j in range(self.kw):
                h0, w0 = i * self.dh, j * self.dw
                yield (slice(h0, h0 + self.sh * (self.Ho - 1) + 1, self.sh),
                       slice(w0, w0 + self.sw * (self.Wo - 1) + 1, self.sw))

    @property
    def overlapping(self):
        return self.sh < self.dh * (self.kh - 1) + 1 or self.sw < self.dw * (self.kw - 1) + 1


def _out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff + ((s - 1) if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1   # the last window must start inside the input or the left padding
    return out


def pool_layout(x):
    """(array to pool, spatial axis offset): NHWC view for channels-last inputs, else x itself."""
    if not x.flags.c_contiguous:
        xh = x.transpose(0, 2, 3, 1)
        if xh.flags.c_contiguous:
            return xh, 1
    return x, 2


def from_layout(a, sp):
    return a.transpose(0, 3, 1, 2) if sp == 1 else a


def spatial_key(sp, hs, ws):
    return (slice(None),) * sp + (hs, ws)


def padded(v, sp, geo, fill):
    """``v`` with spatial padding ``fill`` (ceil_mode windows may need extra bottom/right rows)."""
    if geo.Hp == geo.H and geo.Wp == geo.W:
        return v
    shape = list(v.shape)
    shape[sp], shape[sp + 1] = geo.Hp, geo.Wp
    vp = np.full(shape, fill, v.dtype)
    vp[spatial_key(sp, slice(geo.ph, geo.ph + geo.H), slice(geo.pw, geo.pw + geo.W))] = v
    return vp


def _crop(vp, sp, geo):
    if geo.Hp == geo.H and geo.Wp == geo.W:
        return vp
    return vp[spatial_key(sp, slice(geo.ph, geo.ph + geo.H), slice(geo.pw, geo.pw + geo.W))]


def _spatial_shape(v, sp, H, W):
    shape = list(v.shape)
    shape[sp], shape[sp + 1] = H, W
    return shape


def grad_in_layout(grad, sp, vshape, geo):
    """The incoming gradient (public NCHW-shaped, any strides) in the layout the op pooled in."""
    if sp == 1:
        N, H, W, C = vshape
        return grad.reshape(N, C, geo.Ho, geo.Wo).transpose(0, 2, 3, 1)
    return grad.reshape(vshape[:2] + (geo.Ho, geo.Wo))


def scatter_taps(g, sp, geo, weight_of_tap):
    """Adjoint of a tap loop: add ``weight_of_tap(t) * g`` back at each tap's input positions."""
    gp = np.zeros(_spatial_shape(g, sp, geo.Hp, geo.Wp), g.dtype)
    assign = not geo.overlapping
    for t, (hs, ws) in enumerate(geo.taps()):
        contrib = weight_of_tap(t)
        k = spatial_key(sp, hs, ws)
        if assign:
            gp[k] = contrib
        else:
            gp[k] += contrib
    return from_layout(_crop(gp, sp, geo), sp)


_J0 = 0x0001 if np.little_endian else 0x0100     # the first of two bools seen as one uint16


def _first_of_pairs(m, kh):
    """Ties in windows two wide: in the (n, C, Ho, kh, Wo*2) mask keep each window's first True
    in scan order (row by row, left before right), in place; returns the number kept.

    Each window row's two bools are read as one uint16, so the work is integer arithmetic over
    whole rows: a row with both set drops the right one; a row after one that holds the
    maximum is cleared (``free`` is 0xFFFF while no earlier row of the window had it, else 0)."""
    v = m.view(np.uint16)                       # (n, C, Ho, kh, Wo)
    t = np.bitwise_and(v, _J0)                  # the left bool of each row ...
    if _J0 == 1:
        np.left_shift(t, 8, out=t)              # ... moved onto the right one's byte
    else:
        np.right_shift(t, 8, out=t)
    np.invert(t, out=t)
    np.bitwise_and(v, t, out=v)
    free = None
    for i in range(kh):
        row = v[:, :, :, i]
        if free is not None:
            np.bitwise_and(row, free, out=row)
        if i < kh - 1:
            has = np.minimum(row, 1)
            np.subtract(has, 1, out=has)        # 0 where this row has the maximum, else 0xFFFF
            free = has if free is None else np.bitwise_and(free, has, out=free)
    return np.count_nonzero(m)


def max_backward_tiled(v, out, g, sp, geo):
    """Backward of pooling over non-overlapping windows that tile the input (e.g. 2x2, stride 2):
    each tap's mask is one comparison with the window maximum, written straight into its
    strided slice of the gradient. Ties (a ReLU's zeros) keep only each window's first maximum,
    as PyTorch. Returns None (use the general path) when some window holds a NaN."""
    kh, kw, Ho, Wo = geo.kh, geo.kw, geo.Ho, geo.Wo
    if (geo.sh, geo.sw) != (kh, kw) or (geo.dh, geo.dw) != (1, 1) or geo.ph or geo.pw \
            or Ho * kh > geo.H or Wo * kw > geo.W:
        return None
    if out.dtype.kind == "f" and np.isnan(out).any():   # (a NaN window and a tied one would count as
        return None                                       # one winner each below)
    full = Ho * kh == geo.H and Wo * kw == geo.W
    gx = np.empty(v.shape, g.dtype) if full else np.zeros(v.shape, g.dtype)
    vv = v[spatial_key(sp, slice(0, Ho * kh), slice(0, Wo * kw))]
    gv = gx[spatial_key(sp, slice(0, Ho * kh), slice(0, Wo * kw))]
    if sp == 1:
        # NHWC: windows as axes of a 6-d view; the inner loops run over C contiguous channels.
        N, C = v.shape[0], v.shape[3]
        shape = (N, Ho, kh, Wo, kw, C)
        up = (slice(None), slice(None), None, slice(None), None, slice(None))

        def widen(a):
            return a

        def tap(m, i, j):
            return m[:, :, i, :, j, :]
    else:
        # NCHW: repeat the maxima (and gradients) kw times along W, so every comparison runs
        # over whole contiguous rows instead of stride-kw slices.
        N, C = v.shape[:2]
        shape = (N, C, Ho, kh, Wo * kw)
        up = (slice(None), slice(None), slice(None), None, slice(None))

        def widen(a):
            # (kw strided copies: several times faster than np.repeat along the last axis)
            if kw == 1:
                return a
            w = np.empty(a.shape[:3] + (Wo, kw), a.dtype)
            for j in range(kw):
                w[..., j] = a
            return w.reshape(a.shape[:3] + (Wo * kw,))

        def tap(m, i, j):
            return m[:, :, :, i, j::kw]
    winners = []

    def run(a, b):
        o, gg = widen(out[a:b])[up], widen(g[a:b])[up]
        sub = (b - a,) + shape[1:]
        m = vv[a:b].reshape(sub) == o
        n = np.count_nonzero(m)
        if n > out[a:b].size and sp == 2 and kw == 2 and m.flags.c_contiguous:
            n = _first_of_pairs(m, kh)
        elif n > out[a:b].size:      # ties: keep each window's first maximum in scan order
            taken = np.zeros(out[a:b].shape, bool)
            for i in range(kh):
                for j in range(kw):
                    t = tap(m, i, j)
                    t &= ~taken
                    taken |= t
            n = np.count_nonzero(taken)
        winners.append(n)
        dst = gv[a:b]
        if dst.flags.c_contiguous:
            # the broadcast gradient copied in, then masked in place: the multiply then runs over
            # whole contiguous rows (a bool-by-broadcast multiply runs row by row)
            d = dst.reshape(sub)
            np.copyto(d, gg)
            np.multiply(d, m, out=d)
        else:
            dst[...] = np.multiply(m, gg).reshape(dst.shape)
    pool_batches(v.shape[0], run, v.size * v.itemsize)
    if sum(winners) != out.size:     # a NaN somewhere: no tap equals that window's maximum
        return None
    return from_layout(gx, sp)
