"""Convolution layout: geometry, the zero-padded channels-last (NHWC) copy, im2col / col2im,
the weight and gradient matrices the GEMMs read, and one per-group GEMM.

The input is copied once into a zero-padded NHWC buffer (NCHW for the few-channel "planes" kernels,
``padded_nchw``). im2col is a read-only strided view of
it, ``(g, N, Ho, Wo, kh, kw, Cg)``: for every output pixel and kernel tap the ``Cg`` channels
are contiguous (and with unit stride/dilation along W the ``kw * Cg`` values of one kernel row
are too, so a copy of the view moves runs of ``kw * Cg`` floats). Columns are ordered taps
outer, channels inner, and the weight matrix ``wmat`` uses the same order.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._parallel import parallel_batches

__all__ = []

# Outputs are returned C-contiguous (NCHW) like PyTorch's; False keeps channels-last views.
CONTIGUOUS_OUTPUTS = True


class Geometry:
    """Shapes of one convolution seen as ``input (N, C, H, W) -> output (N, Cout, Ho, Wo)``."""
    __slots__ = ("N", "C", "H", "W", "Cout", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pb", "pl",
                 "pr", "g", "Ho", "Wo")

    def __init__(self, N, C, H, W, Cout, kh, kw, stride, dilation, pads, groups, Ho=None, Wo=None):
        self.N, self.C, self.H, self.W, self.Cout, self.kh, self.kw = N, C, H, W, Cout, kh, kw
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        self.pt, self.pb, self.pl, self.pr = pads
        self.g = groups
        self.Ho = (H + self.pt + self.pb - self.dh * (kh - 1) - 1) // self.sh + 1 if Ho is None else Ho
        self.Wo = (W + self.pl + self.pr - self.dw * (kw - 1) - 1) // self.sw + 1 if Wo is None else Wo

    def slices(self, i, j):
        """The rows/cols of the padded input that kernel tap (i, j) reads, one per output pixel."""
        h0, w0 = i * self.dh, j * self.dw
        return (slice(h0, h0 + self.sh * (self.Ho - 1) + 1, self.sh),
                slice(w0, w0 + self.sw * (self.Wo - 1) + 1, self.sw))

    @property
    def padded(self):
        return self.pt or self.pb or self.pl or self.pr


def padded_nhwc(x, geo, out=None):
    """``x`` (N, C, H, W) as a zero-padded channels-last array (N, Hp, Wp, C) (written into
    ``out`` when given, unless ``x`` needs neither padding nor a copy)."""
    xh = x.transpose(0, 2, 3, 1)
    if not geo.padded and xh.flags.c_contiguous:
        return xh
    N, C, H, W = x.shape
    xp = np.empty((N, H + geo.pt + geo.pb, W + geo.pl + geo.pr, C), x.dtype) if out is None else out
    # Zero only the border, then copy the interior once.
    xp[:, :geo.pt] = 0
    xp[:, geo.pt + H:] = 0
    xp[:, geo.pt:geo.pt + H, :geo.pl] = 0
    xp[:, geo.pt:geo.pt + H, geo.pl + W:] = 0

    def copy(s, e):
        xp[s:e, geo.pt:geo.pt + H, geo.pl:geo.pl + W] = xh[s:e]
    parallel_batches(N, copy, x.size * x.itemsize)
    return xp


def padded_nchw(x, geo, out=None):
    """``x`` (N, C, H, W) zero-padded to (N, C, Hp, Wp) (into ``out`` when given; ``x`` itself
    when there is no padding and it is contiguous)."""
    if not geo.padded and x.flags.c_contiguous:
        return x
    N, C, H, W = x.shape
    xq = np.empty((N, C, H + geo.pt + geo.pb, W + geo.pl + geo.pr), x.dtype) if out is None else out
    xq[:, :, :geo.pt] = 0
    xq[:, :, geo.pt + H:] = 0
    xq[:, :, geo.pt:geo.pt + H, :geo.pl] = 0
    xq[:, :, geo.pt:geo.pt + H, geo.pl + W:] = 0
    xq[:, :, geo.pt:geo.pt + H, geo.pl:geo.pl + W] = x
    return xq


def cols_view(xp, geo):
    """Read-only strided view (g, N, Ho, Wo, kh, kw, Cg) of the padded NHWC input: im2col, uncopied."""
    N, Hp, Wp, C = xp.shape
    Cg = C // geo.g
    sN, sH, sW, sC = xp.strides
    shape = (geo.g, N, geo.Ho, geo.Wo, geo.kh, geo.kw, Cg)
    strides = (Cg * sC, sN, geo.sh * sH, geo.sw * sW, geo.dh * sH, geo.dw * sW, sC)
    if not xp.flags.c_contiguous or xp.size == 0:
        return as_strided(xp, shape, strides, writeable=False)
    view = np.ndarray(shape, xp.dtype, buffer=xp, strides=strides)    # (as_strided's work, without its Python)
    view.flags.writeable = False
    return view


def im2col(xp, geo):
    """Columns ``(g, N*Ho*Wo, kh*kw*Cg)`` of the padded NHWC input ``xp``: one copy of ``cols_view``."""
    view = cols_view(xp, geo)
    cols = np.empty(view.shape, xp.dtype)
    np.copyto(cols, view)
    return cols.reshape(geo.g, -1, view.shape[-3] * view.shape[-2] * view.shape[-1])


def col2im(cols, geo, dtype):
    """Adjoint of ``im2col``: add the columns back as an (N, C, H, W) view of an NHWC array."""
    N, C, H, W, g = geo.N, geo.C, geo.H, geo.W, geo.g
    Cg = C // g
    Hp, Wp = H + geo.pt + geo.pb, W + geo.pl + geo.pr
    cv = cols.reshape(g, N, geo.Ho, geo.Wo, geo.kh, geo.kw, Cg)
    dxp = np.zeros((N, Hp, Wp, C), dtype)
    dv = dxp.reshape(N, Hp, Wp, g, Cg).transpose(3, 0, 1, 2, 4)
    for i in range(geo.kh):
        for j in range(geo.kw):
            hs, ws = geo.slices(i, j)
            dv[:, :, hs, ws, :] += cv[:, :, :, :, i, j, :]
    return dxp[:, geo.pt:geo.pt + H, geo.pl:geo.pl + W, :].transpose(0, 3, 1, 2)


def wmat(w, g):
    """Weight (Cout, Cg, kh, kw) as GEMM operand (g, Cout/g, kh*kw*Cg), taps outer, channels inner."""
    Cout, Cg, kh, kw = w.shape
    return np.ascontiguousarray(w.reshape(g, Cout // g, Cg, kh, kw).transpose(0, 1, 3, 4, 2)).reshape(
        g, Cout // g, kh * kw * Cg)


def wmat_back(gw, shape):
    """Inverse of ``wmat``: (g, Cout/g, kh*kw*Cg) back to (Cout, Cg, kh, kw)."""
    Cout, Cg, kh, kw = shape
    g = gw.shape[0]
    return gw.reshape(g, Cout // g, kh, kw, Cg).transpose(0, 1, 4, 2, 3).reshape(Cout, Cg, kh, kw)


def rows(y, g):
    """(N, Cy, Ho, Wo) as per-group GEMM rows (g, N*Ho*Wo, Cy/g)."""
    N, Cy, Ho, Wo = y.shape
    yh = y.transpose(0, 2, 3, 1)
    if not yh.flags.c_contiguous:
        yh = np.ascontiguousarray(yh)
    r = yh.reshape(N * Ho * Wo, Cy)
    return r[None] if g == 1 else r.reshape(-1, g, Cy // g).transpose(1, 0, 2)


def unrows(r, N, Ho, Wo):
    """(g, N*Ho*Wo, Cy/g) GEMM result as an (N, Cy, Ho, Wo) view of channels-last memory."""
    g, M, Cyg = r.shape
    r = r[0] if g == 1 else r.transpose(1, 0, 2).reshape(M, g * Cyg)
    return r.reshape(N, Ho, Wo, g * Cyg).transpose(0, 3, 1, 2)


def gemm(a, b, ta=False, tb=False, out=None):
    """Per-group ``op(a) @ op(b)`` over (g, m, k) stacks, ``op`` transposing when ``ta``/``tb``.

    One group is one 2-D GEMM (BLAS gets a transpose as a flag, no copy). Writes into ``out``
    (g, m, n) when given.
    """
    if ta:
        a = a.transpose(0, 2, 1)
    if tb:
        b = b.transpose(0, 2, 1)
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0], out=None if out is None else out[0])[None]
    return np.matmul(a, b, out=out)


def nchw_contiguous(y):
    """``y`` as a C-contiguous array (a batch-parallel transposing copy when it is not).

    Kernels work channels-last inside, but what users get must be contiguous as in PyTorch:
    tutorial code calls ``.view(-1, 16 * 5 * 5)`` on conv/pool outputs."""
    if not CONTIGUOUS_OUTPUTS or y.flags.c_contiguous:
        return y
    out = np.empty(y.shape, y.dtype)

    def copy(s, e):
        out[s:e] = y[s:e]
    parallel_batches(y.shape[0], copy, y.size * y.itemsize)
    return out
