"""Fast convolution kernels: the same GEMMs as ``conv.py``'s math, in cache-sized batch chunks
shared out to ember's worker threads, and the choice among equivalent backward variants.

Channels-last inside, NCHW outside. Forward: batch chunks of the im2col view (about
``CHUNK_BYTES``) are copied into a reused buffer and multiplied in rows form,
``cols (rows, K) @ W.T (K, Cout)``, into a reused channels-last buffer, which is written
transposed into the C-contiguous NCHW output while in cache (PyTorch's layout, so ``.view()``
works on it). Backward rebuilds the columns chunk by chunk: the weight gradient is
``G_chunk (Cout, rows) @ cols_chunk`` summed over chunks (grouped convs: one pixel-rows GEMM);
a stride-1 conv's input gradient is the padded output gradient (a reused buffer) convolved with
the flipped weights (else col2im of ``G @ W``, as in the math).
Chunks are shared out to ``workers()`` threads, each GEMM single-threaded; every scratch
buffer comes from ``_workspace``, so steady-state training steps reuse the same memory.
"""
import numpy as np

from .. import _parallel
from .._workspace import scratch
from ._im2col import Geometry, cols_view, col2im, gemm, im2col, nchw_contiguous, padded_nhwc, rows, unrows, wmat

__all__ = []

# Batch chunk size for the conv kernels: the im2col buffer of one chunk stays in cache.
CHUNK_BYTES = 1 << 20
WGRAD_CHUNK_BYTES = 1 << 20
# Ungrouped weight gradients by (Cout, rows) @ (rows, K) chunk GEMMs (else one pixel-rows GEMM).
WGRAD_BY_CHUNKS = True
# Input gradient of a stride-1 conv as a conv of the padded output gradient (else col2im).
DX_BY_CONV = True


def _chunks(geo, n_per_image, budget=None, workers=1):
    """(start, stop) image ranges whose im2col buffers hold about ``budget`` bytes (and at
    least one range per worker)."""
    n = max(1, min(-(-geo.N // workers), (budget or CHUNK_BYTES) // max(1, n_per_image)))
    return [(s, min(geo.N, s + n)) for s in range(0, geo.N, n)], n


class _ColsBuffer:
    """A reusable im2col buffer for chunks of images (the last chunk may be shorter)."""

    def __init__(self, view, n, dtype):
        self.view, self.n = view, n
        self.buf = np.empty(view.shape[:1] + (n,) + view.shape[2:], dtype)

    def fill(self, s, e):
        view = self.view
        b = self.buf if e - s == self.n else np.empty(view.shape[:1] + (e - s,) + view.shape[2:], self.buf.dtype)
        np.copyto(b, view[:, s:e])
        g = b.shape[0]
        return b.reshape(g, -1, b.shape[-3] * b.shape[-2] * b.shape[-1])


def _sum_states(states, i):
    acc = states[0][i]
    for st in states[1:]:
        acc += st[i]
    return acc


# -- forward ---------------------------------------------------------------------------------
def padded_input(x, geo, keep):
    """``x`` as padded NHWC; in a reused scratch buffer unless ``keep`` (saved for backward)."""
    if keep or not geo.padded:
        return padded_nhwc(x, geo)
    N, C, H, W = x.shape
    shape = (N, H + geo.pt + geo.pb, W + geo.pl + geo.pr, C)
    return padded_nhwc(x, geo, out=scratch("conv.padded", shape, x.dtype))


def conv_forward(xp, wm, geo, dtype, bias=None):
    """Convolution of padded NHWC ``xp`` as a C-contiguous (N, Cout, Ho, Wo) array.

    Chunk by chunk (a few images whose columns fill about ``CHUNK_BYTES``): copy the columns
    into a reused buffer, one rows-form GEMM ``columns (rows, K) @ W.T (K, Cout)`` into a reused
    channels-last buffer, add the bias, and write the chunk transposed into the NCHW output
    while it is in cache. Grouped convs go through per-group pixel rows.
    """
    N, per = geo.N, geo.Ho * geo.Wo
    if geo.g != 1:
        out = _conv_rows(xp, wm, geo, dtype)
        if bias is not None:
            out += bias.reshape(geo.g, 1, -1)
        return nchw_contiguous(unrows(out, N, geo.Ho, geo.Wo))
    view = cols_view(xp, geo)[0]
    wt = wm[0].T                                   # (K, Cout): BLAS reads the transpose as a flag
    K, Cout = wt.shape
    y = np.empty((N, Cout, per), dtype)
    nw = _parallel.workers()
    chunks, n = _chunks(geo, per * K * xp.itemsize, None, nw)

    def init():
        return (scratch("conv.cols", (n,) + view.shape[1:], dtype), scratch("conv.rows", (n * per, Cout), dtype))

    def work(bufs, s, e):
        cb, ob = bufs
        m = e - s
        cols = cb[:m]
        np.copyto(cols, view[s:e])
        out = ob[:m * per]
        np.matmul(cols.reshape(m * per, K), wt, out=out)
        if bias is not None:
            out += bias
        y[s:e] = out.reshape(m, per, Cout).transpose(0, 2, 1)
    _parallel.run_chunks(chunks, nw, init, work)
    return y.reshape(N, Cout, geo.Ho, geo.Wo)


def _conv_rows(xp, wm, geo, dtype):
    """Convolution of padded NHWC ``xp`` as GEMM rows (g, N*Ho*Wo, Cout/g), chunk by chunk."""
    g = geo.g
    per = geo.Ho * geo.Wo
    K = wm.shape[2]
    nw = _parallel.workers()
    chunks, n = _chunks(geo, per * K * g * xp.itemsize, None, nw)
    out = np.empty((g, geo.N * per, wm.shape[1]), dtype)
    if len(chunks) == 1:
        gemm(im2col(xp, geo), wm, tb=True, out=out)
        return out
    view = cols_view(xp, geo)

    def work(buf, s, e):
        gemm(buf.fill(s, e), wm, tb=True, out=out[:, s * per:e * per])
    _parallel.run_chunks(chunks, nw, lambda: _ColsBuffer(view, n, dtype), work)
    return out


# -- backward ---------------------------------------------------------------------------------
class OutputGrad:
    """The output gradient (N, Cout, Ho, Wo) in the layouts the backward GEMMs read: NCHW
    (C-contiguous for ungrouped convs) and, made once when first asked for, pixel rows."""
    __slots__ = ("geo", "nchw", "_rows")

    def __init__(self, grad, geo):
        g4 = grad.reshape(geo.N, geo.Cout, geo.Ho, geo.Wo)
        if geo.g == 1 and not g4.flags.c_contiguous:
            g4 = np.ascontiguousarray(g4)
        self.geo, self.nchw, self._rows = geo, g4, None

    def rows(self):
        if self._rows is None:
            self._rows = rows(self.nchw, self.geo.g)
        return self._rows


def bias_grad(gy):
    """sum of the output gradient over images and pixels, (Cout,)."""
    geo = gy.geo
    if geo.g == 1:
        return gy.nchw.reshape(geo.N, geo.Cout, geo.Ho * geo.Wo).sum(axis=(0, 2))
    return gy.rows().sum(axis=1).reshape(-1)


def weight_grad(xp, gy, geo):
    """sum over images of G_n^T @ columns_n, as (g, Cout/g, K)."""
    if geo.g == 1 and WGRAD_BY_CHUNKS:
        return _weight_grad_chunks(xp, gy.nchw.reshape(geo.N, geo.Cout, geo.Ho * geo.Wo), geo)
    return _weight_grad_rows(xp, gy.rows(), geo)


def _weight_grad_chunks(xp, g3, geo):
    """sum over chunks of G_chunk (Cout, rows) @ columns_chunk (rows, K), as (1, Cout, K).

    Per chunk the NCHW gradient of its images is copied into a reused (Cout, rows) buffer, so
    one GEMM with a long inner dimension covers the chunk."""
    per = geo.Ho * geo.Wo
    view = cols_view(xp, geo)[0]
    K = geo.kh * geo.kw * geo.C
    Cout = g3.shape[1]
    dtype = xp.dtype
    nw = _parallel.workers()
    chunks, n = _chunks(geo, per * K * xp.itemsize, WGRAD_CHUNK_BYTES, nw)

    def init():
        return (scratch("wgrad.cols", (n,) + view.shape[1:], dtype), scratch("wgrad.g", (Cout, n * per), dtype),
                np.zeros((Cout, K), dtype), np.empty((Cout, K), dtype))

    def work(state, s, e):
        cb, gb, acc, tmp = state
        m = e - s
        cols = cb[:m]
        np.copyto(cols, view[s:e])
        gr = gb[:, :m * per]
        gr.reshape(Cout, m, per)[...] = g3[s:e].transpose(1, 0, 2)
        np.matmul(gr, cols.reshape(m * per, K), out=tmp)
        acc += tmp
    return _sum_states(_parallel.run_chunks(chunks, nw, init, work), 2)[None]


def _weight_grad_rows(xp, gr, geo):
    """sum over pixels of G^T @ columns, (g, Cout/g, K), rebuilding the columns chunk by chunk."""
    g = geo.g
    per = geo.Ho * geo.Wo
    K = geo.kh * geo.kw * (geo.C // g)
    nw = _parallel.workers()
    chunks, n = _chunks(geo, per * K * g * xp.itemsize, WGRAD_CHUNK_BYTES, nw)
    if len(chunks) == 1:
        return gemm(gr, im2col(xp, geo), ta=True)
    view = cols_view(xp, geo)

    def init():
        acc = np.zeros((g, gr.shape[2], K), xp.dtype)
        return _ColsBuffer(view, n, xp.dtype), acc, np.empty_like(acc)

    def work(state, s, e):
        buf, acc, tmp = state
        gemm(gr[:, s * per:e * per], buf.fill(s, e), ta=True, out=tmp)
        acc += tmp
    return _sum_states(_parallel.run_chunks(chunks, nw, init, work), 1)


def input_grad(gy, w, wm, geo):
    """The input gradient (N, C, H, W): col2im of ``G @ W`` or, for a stride-1 conv whose
    padding the kernel spans, the padded output gradient convolved with the flipped weights."""
    dtype = gy.nchw.dtype
    by_conv = DX_BY_CONV and geo.sh == geo.sw == 1 and \
        max(geo.pt, geo.pb) <= geo.dh * (geo.kh - 1) and max(geo.pl, geo.pr) <= geo.dw * (geo.kw - 1)
    if by_conv:
        return _input_grad_by_conv(gy.nchw, w, geo, dtype)
    return col2im(gemm(gy.rows(), wm), geo, dtype)


def _flip_weight(w, g):
    """Weight of the conv that computes a stride-1 conv's input gradient: (C, Cout/g, kh, kw)."""
    Cout, Cg, kh, kw = w.shape
    wf = w[:, :, ::-1, ::-1].reshape(g, Cout // g, Cg, kh, kw).transpose(0, 2, 1, 3, 4)
    return wf.reshape(g * Cg, Cout // g, kh, kw)


def _input_grad_by_conv(gy, w, geo, dtype):
    """A stride-1 conv's input gradient: the padded output gradient convolved with flipped weights."""
    N, Ho, Wo = geo.N, geo.Ho, geo.Wo
    g = geo.g
    qh, qw = geo.dh * (geo.kh - 1), geo.dw * (geo.kw - 1)
    geo2 = Geometry(N, geo.Cout, Ho, Wo, geo.C, geo.kh, geo.kw, (1, 1), (geo.dh, geo.dw),
                    (qh - geo.pt, qh - geo.pb, qw - geo.pl, qw - geo.pr), g)
    wf = wmat(_flip_weight(w, g), g)
    Hp, Wp = Ho + geo2.pt + geo2.pb, Wo + geo2.pl + geo2.pr
    gp = padded_nhwc(gy, geo2, out=scratch("dx.padded", (N, Hp, Wp, geo.Cout), dtype))
    return conv_forward(gp, wf, geo2, dtype)
