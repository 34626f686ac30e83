"""Convolutions as fused ops: conv1d, conv2d, conv_transpose1d, conv_transpose2d.

Layout (the speed-critical part): the input is copied once into a zero-padded channels-last
(NHWC) buffer, which is all the backward keeps. im2col is a read-only strided view of it;
batch chunks of the view are copied into a cache-sized buffer (runs of ``kw * Cg`` contiguous
floats) and multiplied by the weight, one GEMM per image, ``W (Cout, K) @ cols.T``, which
writes the C-contiguous NCHW output in place (PyTorch's layout, so ``.view()`` works on it).
Backward rebuilds the columns chunk by chunk: the weight gradient is ``G_n @ cols_n`` summed
over images (G read in NCHW as it comes), and a stride-1 conv's input gradient is the padded
output gradient convolved with the flipped weights (else col2im adds shifted slices back).
Chunks are shared out to ``ember.get_num_threads()`` worker threads, each GEMM single-threaded.

A transposed convolution is the input-gradient of a convolution, so both share the kernels.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _threads

from .._tensor import Tensor
from ..autograd.function import Op

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


# -- geometry ---------------------------------------------------------------------------------
class _Geom:
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


def _padded_nhwc(x, geo):
    """``x`` (N, C, H, W) as a zero-padded channels-last array (N, Hp, Wp, C)."""
    xh = x.transpose(0, 2, 3, 1)
    if not geo.padded:
        return xh if xh.flags.c_contiguous else np.ascontiguousarray(xh)
    N, C, H, W = x.shape
    xp = np.empty((N, H + geo.pt + geo.pb, W + geo.pl + geo.pr, C), x.dtype)
    # Zero only the border, then copy the interior once.
    xp[:, :geo.pt] = 0
    xp[:, geo.pt + H:] = 0
    xp[:, geo.pt:geo.pt + H, :geo.pl] = 0
    xp[:, geo.pt:geo.pt + H, geo.pl + W:] = 0

    def copy(s, e):
        xp[s:e, geo.pt:geo.pt + H, geo.pl:geo.pl + W] = xh[s:e]
    parallel_batches(N, copy, x.size * x.itemsize)
    return xp


def _im2col(x, geo):
    """Columns ``(g, N*Ho*Wo, kh*kw*Cg)`` of ``x`` (N, C, H, W).

    One copy from a strided view of the padded NHWC input: for every output pixel and kernel
    tap the Cg channels are contiguous (and with unit stride/dilation along W the ``kw * Cg``
    values of one kernel row are too, so NumPy copies runs of ``kw * Cg`` floats).
    """
    xp = _padded_nhwc(x, geo)
    N, Hp, Wp, C = xp.shape
    g, Cg = geo.g, C // geo.g
    sN, sH, sW, sC = xp.strides
    view = as_strided(xp, (g, N, geo.Ho, geo.Wo, geo.kh, geo.kw, Cg),
                      (Cg * sC, sN, geo.sh * sH, geo.sw * sW, geo.dh * sH, geo.dw * sW, sC), writeable=False)
    cols = np.empty(view.shape, x.dtype)
    np.copyto(cols, view)
    return cols.reshape(g, N * geo.Ho * geo.Wo, geo.kh * geo.kw * Cg)


def _col2im(cols, geo, dtype):
    """Adjoint of ``_im2col``: add the columns back as an (N, C, H, W) view of an NHWC array."""
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


def _wmat(w, g):
    """Weight (Cout, Cg, kh, kw) as GEMM operand (g, Cout/g, kh*kw*Cg), taps outer, channels inner."""
    Cout, Cg, kh, kw = w.shape
    return np.ascontiguousarray(w.reshape(g, Cout // g, Cg, kh, kw).transpose(0, 1, 3, 4, 2)).reshape(
        g, Cout // g, kh * kw * Cg)


def _wmat_back(gw, shape):
    """Inverse of ``_wmat``: (g, Cout/g, kh*kw*Cg) back to (Cout, Cg, kh, kw)."""
    Cout, Cg, kh, kw = shape
    g = gw.shape[0]
    return gw.reshape(g, Cout // g, kh, kw, Cg).transpose(0, 1, 4, 2, 3).reshape(Cout, Cg, kh, kw)


def _rows(y, g):
    """(N, Cy, Ho, Wo) as per-group GEMM rows (g, N*Ho*Wo, Cy/g)."""
    N, Cy, Ho, Wo = y.shape
    yh = y.transpose(0, 2, 3, 1)
    if not yh.flags.c_contiguous:
        yh = np.ascontiguousarray(yh)
    r = yh.reshape(N * Ho * Wo, Cy)
    return r[None] if g == 1 else r.reshape(-1, g, Cy // g).transpose(1, 0, 2)


def _unrows(r, N, Ho, Wo):
    """(g, N*Ho*Wo, Cy/g) GEMM result as an (N, Cy, Ho, Wo) view of channels-last memory."""
    g, M, Cyg = r.shape
    r = r[0] if g == 1 else r.transpose(1, 0, 2).reshape(M, g * Cyg)
    return r.reshape(N, Ho, Wo, g * Cyg).transpose(0, 3, 1, 2)


def _mm(a, b_t):
    """Per-group ``a @ b_t.T`` with 2-D GEMMs (BLAS gets the transpose as a flag, no copy)."""
    if a.shape[0] == 1:
        return (a[0] @ b_t[0].T)[None]
    return np.matmul(a, b_t.transpose(0, 2, 1))


def _mtm(a, b):
    """Per-group ``a.T @ b`` (the weight-gradient GEMM)."""
    if a.shape[0] == 1:
        return (a[0].T @ b[0])[None]
    return np.matmul(a.transpose(0, 2, 1), b)


def _mmn(a, b):
    """Per-group ``a @ b``."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


# -- ops --------------------------------------------------------------------------------------
# Batch chunk size for the conv kernels: the im2col buffer of one chunk stays in cache.
CHUNK_BYTES = 1 << 20
# Input gradient of a stride-1 conv as a conv of the padded output gradient (else col2im).
DX_BY_CONV = True
WGRAD_CHUNK_BYTES = 4 << 20
# Smallest batch-parallel copy/pool worth handing to the worker threads.
PARALLEL_MIN_BYTES = 1 << 20
# Outputs are returned C-contiguous (NCHW) like PyTorch's; False keeps channels-last views.
CONTIGUOUS_OUTPUTS = True


def _cols_view(xp, geo):
    """Read-only strided view (g, N, Ho, Wo, kh, kw, Cg) of the padded NHWC input: im2col, uncopied."""
    N, Hp, Wp, C = xp.shape
    Cg = C // geo.g
    sN, sH, sW, sC = xp.strides
    return as_strided(xp, (geo.g, N, geo.Ho, geo.Wo, geo.kh, geo.kw, Cg),
                      (Cg * sC, sN, geo.sh * sH, geo.sw * sW, geo.dh * sH, geo.dw * sW, sC), writeable=False)


def _chunks(geo, n_per_image, budget=None, workers=1):
    """(start, stop) image ranges whose im2col buffers hold about ``budget`` bytes (and at
    least one range per worker)."""
    n = max(1, min(-(-geo.N // workers), (budget or CHUNK_BYTES) // max(1, n_per_image)))
    return [(s, min(geo.N, s + n)) for s in range(0, geo.N, n)], n


_POOL = []


def _workers():
    """Threads for the chunk loops: ember's BLAS thread count, when ember can lower BLAS to one
    thread per chunk (OpenBLAS, no OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set); else 1."""
    if "OPENBLAS_NUM_THREADS" in os.environ or "OMP_NUM_THREADS" in os.environ or _threads._openblas() is None:
        return 1
    return _threads.get_num_threads()


def _run_chunks(chunks, nw, init, work):
    """``work(state, start, stop)`` for every chunk; each worker has its own ``state = init()``.

    With several workers the chunks are shared out dynamically (a slow or descheduled thread
    takes fewer), each GEMM runs single-threaded, and NumPy releases the GIL in copies and GEMMs.
    Returns the workers' states.
    """
    nw = min(nw, len(chunks))
    it = iter(chunks)

    def worker():
        state = init()
        for s, e in it:          # list iterators hand out each item once, also across threads
            work(state, s, e)
        return state
    if nw <= 1:
        return [worker()]
    # (A forked child, e.g. a DataLoader worker, inherits the pool object but not its threads.)
    if not _POOL or _POOL[0]._max_workers < nw - 1 or _POOL[1] != os.getpid():
        _POOL[:] = [ThreadPoolExecutor(max_workers=nw - 1, thread_name_prefix="ember-conv"), os.getpid()]
    with _threads.blas_threads(1):
        futures = [_POOL[0].submit(worker) for _ in range(nw - 1)]
        states = [worker()]
        states += [f.result() for f in futures]
    return states


def parallel_batches(N, fn, nbytes):
    """``fn(start, stop)`` over ranges of the batch, on ember's threads when there is enough
    work (``nbytes`` touched in all) to pay for the hand-off."""
    nw = _workers() if nbytes >= PARALLEL_MIN_BYTES and N > 1 else 1
    if nw <= 1:
        fn(0, N)
        return
    n = -(-N // (2 * nw))
    _run_chunks([(s, min(N, s + n)) for s in range(0, N, n)], nw, lambda: None, lambda st, s, e: fn(s, e))


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


def _gemm_nt(a, b, out):
    """out = a @ b^T per group (a: (g, m, k), b: (g, n, k))."""
    if a.shape[0] == 1:
        np.matmul(a[0], b[0].T, out=out[0])
    else:
        np.matmul(a, b.transpose(0, 2, 1), out=out)


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


def _conv_rows(xp, wm, geo, dtype):
    """Convolution of padded NHWC ``xp`` as GEMM rows (g, N*Ho*Wo, Cout/g), chunk by chunk."""
    g = geo.g
    per = geo.Ho * geo.Wo
    view = _cols_view(xp, geo)
    K = wm.shape[2]
    nw = _workers()
    chunks, n = _chunks(geo, per * K * g * xp.itemsize, None, nw)
    out = np.empty((g, geo.N * per, wm.shape[1]), dtype)
    if len(chunks) == 1:
        cols = np.empty(view.shape, dtype)
        np.copyto(cols, view)
        _gemm_nt(cols.reshape(g, -1, K), wm, out)
        return out

    def work(buf, s, e):
        _gemm_nt(buf.fill(s, e), wm, out[:, s * per:e * per])
    _run_chunks(chunks, nw, lambda: _ColsBuffer(view, n, dtype), work)
    return out


def _flip_weight(w, g):
    """Weight of the conv that computes a stride-1 conv's input gradient: (C, Cout/g, kh, kw)."""
    Cout, Cg, kh, kw = w.shape
    wf = w[:, :, ::-1, ::-1].reshape(g, Cout // g, Cg, kh, kw).transpose(0, 2, 1, 3, 4)
    return wf.reshape(g * Cg, Cout // g, kh, kw)


class Convolution(Op):
    """conv2d (and conv1d through a size-1 height): x (N, C, H, W), w (Cout, C/g, kh, kw).

    Saves the padded NHWC input (not the im2col columns); backward rebuilds the columns chunk
    by chunk, so the big buffers stay in cache.
    """

    @staticmethod
    def forward(ctx, x, w, b, geo, shape4):
        x0 = x
        xs, ws = x.shape, w.shape
        if shape4 is not None:
            x = x.reshape(shape4[0])
            w = w.reshape(shape4[1])
        wm = _wmat(w, geo.g)
        xp = _padded_nhwc(x, geo)
        y = _conv_nchw(xp, wm, geo, x.dtype, b)
        need = ctx.needs_input_grad
        if need:
            # The raw input rides along so that an in-place change to it (xp may share its
            # memory) is caught by the version check instead of giving wrong gradients.
            ctx.save_for_backward(xp if need[1] else None, w if need[0] else None, x0)
            ctx.geo, ctx.shapes, ctx.wm = geo, (xs, ws, w.shape), (wm if need[0] else None)
        if shape4 is not None:
            y = y.reshape(shape4[2])
        return y

    @staticmethod
    def backward(ctx, grad):
        xp, w, _ = ctx.saved_tensors
        geo = ctx.geo
        xs, ws, ws4 = ctx.shapes
        g = geo.g
        need = ctx.needs_input_grad
        g4 = grad.reshape(geo.N, geo.Cout, geo.Ho, geo.Wo)
        gx = gw = gb = None
        by_conv = DX_BY_CONV and geo.sh == geo.sw == 1 and \
            max(geo.pt, geo.pb) <= geo.dh * (geo.kh - 1) and max(geo.pl, geo.pr) <= geo.dw * (geo.kw - 1)
        if g == 1:
            # NCHW gradient straight into per-image GEMMs: no transpose to rows.
            if not g4.flags.c_contiguous:
                g4 = np.ascontiguousarray(g4)
            g3 = g4.reshape(geo.N, geo.Cout, geo.Ho * geo.Wo)
            gr = None
            if need[2]:
                gb = g3.sum(axis=(0, 2))
            if need[1]:
                if geo.Ho * geo.Wo >= 256:
                    gw = _weight_grad_nchw(xp, g3, geo)
                else:   # few pixels per image: per-image GEMMs too short, use one pixel-rows GEMM
                    gr = _rows(g4, 1)
                    gw = _weight_grad(xp, gr, geo)
                gw = _wmat_back(gw, ws4).reshape(ws)
        else:
            gr = _rows(g4, g)
            if need[2]:
                gb = gr.sum(axis=1).reshape(-1)
            if need[1]:
                gw = _wmat_back(_weight_grad(xp, gr, geo), ws4).reshape(ws)
        if need[0]:
            if by_conv:
                gx = _input_grad_by_conv(g4, w, geo, grad.dtype)
            else:
                gx = _col2im(_mmn(gr if gr is not None else _rows(g4, g), ctx.wm), geo, grad.dtype)
            gx = gx.reshape(xs)
        return gx, gw, gb


def _conv_nchw(xp, wm, geo, dtype, bias=None):
    """Convolution of padded NHWC ``xp`` as a C-contiguous (N, Cout, Ho, Wo) array.

    One GEMM per image, ``W (Cout, K) @ columns.T (K, Ho*Wo)``, writes the NCHW output in
    place (as fast here as the pixel-rows GEMM, and no transpose afterwards); the bias is added
    while the chunk is in cache. Grouped convs go through pixel rows.
    """
    N, per = geo.N, geo.Ho * geo.Wo
    if geo.g != 1:
        out = _conv_rows(xp, wm, geo, dtype)
        if bias is not None:
            out += bias.reshape(geo.g, 1, -1)
        return nchw_contiguous(_unrows(out, N, geo.Ho, geo.Wo))
    view = _cols_view(xp, geo)
    w2 = wm[0]
    K = w2.shape[1]
    y = np.empty((N, w2.shape[0], per), dtype)
    nw = _workers()
    chunks, n = _chunks(geo, per * K * xp.itemsize, None, nw)
    b2 = None if bias is None else bias[:, None]

    def work(buf, s, e):
        cols = buf.fill(s, e)[0].reshape(e - s, per, K)
        out = y[s:e]
        np.matmul(w2, cols.transpose(0, 2, 1), out=out)
        if b2 is not None:
            out += b2
    _run_chunks(chunks, nw, lambda: _ColsBuffer(view, n, dtype), work)
    return y.reshape(N, -1, geo.Ho, geo.Wo)


def _weight_grad_nchw(xp, g3, geo):
    """sum over images of G_n (Cout, Ho*Wo) @ columns_n, as (1, Cout, K); G given NCHW."""
    per = geo.Ho * geo.Wo
    view = _cols_view(xp, geo)
    K = geo.kh * geo.kw * geo.C
    Cout = g3.shape[1]
    nw = _workers()
    chunks, n = _chunks(geo, per * K * xp.itemsize, WGRAD_CHUNK_BYTES, nw)

    def init():
        return _ColsBuffer(view, n, xp.dtype), np.zeros((Cout, K), xp.dtype), np.empty((n, Cout, K), xp.dtype)

    def work(state, s, e):
        buf, acc, tmp = state
        cols = buf.fill(s, e)[0].reshape(e - s, per, K)
        t = tmp[:e - s]
        np.matmul(g3[s:e], cols, out=t)
        acc += t.sum(axis=0)
    states = _run_chunks(chunks, nw, init, work)
    acc = states[0][1]
    for st in states[1:]:
        acc += st[1]
    return acc[None]


def _weight_grad(xp, gr, geo):
    """sum over pixels of G^T @ columns, (g, Cout/g, K), rebuilding the columns chunk by chunk."""
    g = geo.g
    per = geo.Ho * geo.Wo
    view = _cols_view(xp, geo)
    K = geo.kh * geo.kw * (geo.C // g)
    nw = _workers()
    chunks, n = _chunks(geo, per * K * g * xp.itemsize, WGRAD_CHUNK_BYTES, nw)
    if len(chunks) == 1:
        cols = np.empty(view.shape, xp.dtype)
        np.copyto(cols, view)
        return _mtm(gr, cols.reshape(g, -1, K))

    def init():
        acc = np.zeros((g, gr.shape[2], K), xp.dtype)
        return _ColsBuffer(view, n, xp.dtype), acc, np.empty_like(acc)

    def work(state, s, e):
        buf, acc, tmp = state
        cols = buf.fill(s, e)
        part = gr[:, s * per:e * per]
        if g == 1:
            np.matmul(part[0].T, cols[0], out=tmp[0])
        else:
            np.matmul(part.transpose(0, 2, 1), cols, out=tmp)
        acc += tmp
    states = _run_chunks(chunks, nw, init, work)
    acc = states[0][1]
    for st in states[1:]:
        acc += st[1]
    return acc


def _input_grad_by_conv(gy, w, geo, dtype):
    """A stride-1 conv's input gradient: the padded output gradient convolved with flipped weights."""
    N, Ho, Wo = geo.N, geo.Ho, geo.Wo
    g = geo.g
    qh, qw = geo.dh * (geo.kh - 1), geo.dw * (geo.kw - 1)
    geo2 = _Geom(N, geo.Cout, Ho, Wo, geo.C, geo.kh, geo.kw, (1, 1), (geo.dh, geo.dw),
                 (qh - geo.pt, qh - geo.pb, qw - geo.pl, qw - geo.pr), g)
    wf = _wmat(_flip_weight(w, g), g)
    gp = _padded_nhwc(gy, geo2)
    return _conv_nchw(gp, wf, geo2, dtype)


class ConvTranspose(Op):
    """conv_transpose2d: the input-gradient of a conv. x (N, Cin, H, W), w (Cin, Cout/g, kh, kw).

    In ``geo`` the roles are those of the underlying conv: its *input* is our output.
    """
    backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geo, shape4):
        xs, ws = x.shape, w.shape
        if shape4 is not None:
            x = x.reshape(shape4[0])
            w = w.reshape(shape4[1])
        wm = _wmat(w, geo.g)
        xr = _rows(x, geo.g)
        y = _col2im(_mmn(xr, wm), geo, x.dtype)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(xr if need[1] else None, wm if need[0] else None)
            ctx.geo, ctx.shapes = geo, (xs, ws, w.shape)
        if shape4 is not None:
            y = y.reshape(shape4[2])
        return y

    @staticmethod
    def backward(ctx, grad):
        xr, wm = ctx.saved_tensors
        geo = ctx.geo
        xs, ws, ws4 = ctx.shapes
        g4 = grad.reshape(geo.N, geo.C, geo.H, geo.W)
        gx = gw = gb = None
        need = ctx.needs_input_grad
        if need[0] or need[1]:
            cols = _im2col(g4, geo)
            if need[0]:
                gx = _unrows(_mm(cols, wm), geo.N, geo.Ho, geo.Wo).reshape(xs)
            if need[1]:
                gw = _wmat_back(_mtm(xr, cols), ws4).reshape(ws)
        if need[2]:
            gb = g4.sum(axis=(0, 2, 3))
        return gx, gw, gb


# -- argument handling ------------------------------------------------------------------------
def _tuple(v, n, name):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                               f"to match the convolution dimensions, but got {name}={list(v)}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _check_tensor(x, fname, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{what}' must be Tensor, not {type(x).__name__}")


def _conv_setup(fname, input, weight, bias, stride, padding, dilation, groups, nd, transposed,
                output_padding=0):
    """Validate the arguments and build the geometry; return (geo, shape4, unbatched)."""
    _check_tensor(input, fname, "input")
    _check_tensor(weight, fname, "weight")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, "
                           f"but got input of size: {list(x.shape)}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"{fname}: expected a {nd + 2}-D weight (out_channels, in_channels/groups, "
                           f"{'kernel, ' * nd}), got weight of size {list(w.shape)}")
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        bt = "" if bias is None else f", bias type ({bias.dtype})"
        raise RuntimeError(f"{fname}: input type ({input.dtype}), weight type ({weight.dtype}){bt} should "
                           f"be the same; convert the input with .to({weight.dtype}) (e.g. .float())")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fname}: expected a floating point input, got {input.dtype}")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported (got groups={groups})")
    unbatched = x.ndim == nd + 1
    xshape = (1,) + x.shape if unbatched else x.shape
    N, C = xshape[0], xshape[1]
    spatial = xshape[2:]
    ksize = w.shape[2:]
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"non-positive stride is not supported (got stride={list(stride)})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero (got dilation={list(dilation)})")
    if transposed:
        if C != w.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                f"{w.shape[0]} channels, but got {C} channels instead")
        cout = w.shape[1] * groups
        if w.shape[0] % groups:
            raise RuntimeError(f"{fname}: in_channels ({w.shape[0]}) must be divisible by groups ({groups})")
    else:
        if w.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                               f"dimension 0, but got weight of size {list(w.shape)} instead")
        if C != w.shape[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                f"{w.shape[1] * groups} channels, but got {C} channels instead")
        cout = w.shape[0]
    if bias is not None and tuple(bias._data.shape) != (cout,):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
                           f"{cout} elements, but got bias of size {list(bias._data.shape)} instead")
    # Padding as (before, after) per spatial dim.
    if isinstance(padding, str):
        if transposed:
            raise RuntimeError(f"{fname}: padding must be an int or a tuple of ints, got '{padding}'")
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for d, k in zip(dilation, ksize):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
        else:
            raise RuntimeError(f"Invalid padding string '{padding}'; expected 'same' or 'valid' "
                               "(or an int / tuple of ints)")
    else:
        p = _tuple(padding, nd, "padding")
        if any(v < 0 for v in p):
            raise RuntimeError(f"negative padding is not supported (got padding={list(p)})")
        pads = [(v, v) for v in p]
    if nd == 1:
        spatial, ksize = (1,) + spatial, (1,) + ksize
        stride, dilation, pads = (1,) + stride, (1,) + dilation, [(0, 0)] + pads
    flat_pads = (pads[0][0], pads[0][1], pads[1][0], pads[1][1])
    H, W = spatial
    kh, kw = ksize
    if transposed:
        op = _tuple(output_padding, nd, "output_padding")
        if nd == 1:
            op = (0,) + op
        for o, s, d in zip(op, stride, dilation):
            if o >= s and o >= d:
                raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                                   f"output_padding={list(op[-nd:])}, stride={list(stride[-nd:])}, "
                                   f"dilation={list(dilation[-nd:])}")
        Hy = (H - 1) * stride[0] - pads[0][0] - pads[0][1] + dilation[0] * (kh - 1) + op[0] + 1
        Wy = (W - 1) * stride[1] - pads[1][0] - pads[1][1] + dilation[1] * (kw - 1) + op[1] + 1
        if Hy <= 0 or Wy <= 0:
            raise RuntimeError(f"{fname}: output size is too small (computed {[Hy, Wy][-nd:]}) for input "
                               f"of size {list(x.shape)}")
        # The underlying conv maps our output (N, cout, Hy, Wy) to our input (N, C, H, W).
        geo = _Geom(N, cout, Hy, Wy, C, kh, kw, stride, dilation, flat_pads, groups, H, W)
        out_shape = (N, cout) + ((Hy, Wy) if nd == 2 else (Wy,))
    else:
        geo = _Geom(N, C, H, W, cout, kh, kw, stride, dilation, flat_pads, groups)
        if geo.Ho <= 0 or geo.Wo <= 0:
            eff = [d * (k - 1) + 1 for d, k in zip(dilation, ksize)][-nd:]
            padded = [s + a + b for s, (a, b) in zip(spatial, pads)][-nd:]
            raise RuntimeError(f"Calculated padded input size per channel: {tuple(padded)}. Kernel size: "
                               f"{tuple(eff)}. Kernel size can't be greater than actual input size")
        out_shape = (N, cout) + ((geo.Ho, geo.Wo) if nd == 2 else (geo.Wo,))
    if unbatched:
        out_shape = out_shape[1:]
    shape4 = None
    if nd == 1 or unbatched:
        x4 = (N, C, H, W)
        w4 = (w.shape[0], w.shape[1], kh, kw)
        shape4 = (x4, w4, out_shape)
    return geo, shape4


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)) input.

    Example:
        >>> y = ember.nn.functional.conv2d(ember.randn(8, 3, 32, 32), ember.randn(16, 3, 5, 5), padding=2)
        >>> y.shape
        ember.Size([8, 16, 32, 32])
    """
    geo, shape4 = _conv_setup("conv2d", input, weight, bias, stride, padding, dilation, groups, 2, False)
    return Convolution.apply(input, weight, bias, geo, shape4)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or unbatched (C, L)) input.

    Example:
        >>> ember.nn.functional.conv1d(ember.randn(4, 2, 10), ember.randn(6, 2, 3)).shape
        ember.Size([4, 6, 8])
    """
    geo, shape4 = _conv_setup("conv1d", input, weight, bias, stride, padding, dilation, groups, 1, False)
    return Convolution.apply(input, weight, bias, geo, shape4)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, kh, kw).

    Example:
        >>> ember.nn.functional.conv_transpose2d(ember.randn(1, 4, 5, 5), ember.randn(4, 2, 3, 3), stride=2).shape
        ember.Size([1, 2, 11, 11])
    """
    geo, shape4 = _conv_setup("conv_transpose2d", input, weight, bias, stride, padding, dilation, groups, 2,
                              True, output_padding)
    return ConvTranspose.apply(input, weight, bias, geo, shape4)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution; weight is (C_in, C_out/groups, k).

    Example:
        >>> ember.nn.functional.conv_transpose1d(ember.randn(1, 4, 5), ember.randn(4, 2, 3)).shape
        ember.Size([1, 2, 7])
    """
    geo, shape4 = _conv_setup("conv_transpose1d", input, weight, bias, stride, padding, dilation, groups, 1,
                              True, output_padding)
    return ConvTranspose.apply(input, weight, bias, geo, shape4)
