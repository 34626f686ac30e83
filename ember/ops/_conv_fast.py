"""Fast convolution kernels: the same GEMMs as ``conv.py``'s math, in cache-sized batch chunks
shared out to ember's worker threads, and the choice among equivalent backward variants.

Channels-last inside, NCHW outside. Forward: chunks of the im2col view (runs of whole images,
or bands of rows of big images, about ``CHUNK_BYTES``) are copied into a reused buffer and multiplied in rows form,
``cols (rows, K) @ W.T (K, Cout)``, into a reused channels-last buffer, which is written
transposed into the C-contiguous NCHW output while in cache (PyTorch's layout, so ``.view()``
works on it). First layers on few channels (``uses_planes``) keep the padded input in NCHW and
multiply ``W @ planes`` per image (K-major columns) straight into the NCHW output. Backward rebuilds the columns chunk by chunk: the weight gradient is
``cols_chunk.T @ G_chunk.T`` (K, Cout) summed over chunks (grouped convs: one pixel-rows GEMM);
a stride-1 conv's input gradient is the padded output gradient (a reused buffer) convolved with
the flipped weights, or for few channels (LeNet's) ``W^T @ G`` per image with each tap's rows
added at its offset in the flattened padded input (else col2im of ``G @ W``, as in the math).
Chunks are shared out to ``workers()`` threads, each GEMM single-threaded; the cut into chunks
does not depend on the thread count, and weight-gradient partial sums are added in a fixed
order, so results are bitwise the same on any number of threads. Every scratch buffer comes
from ``_workspace``, so steady-state training steps reuse the same memory.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _parallel
from .._workspace import scratch
from ._gemm import matmul_row_blocks, small_block, small_rows
from ._im2col import Geometry, cols_view, col2im, gemm, nchw_contiguous, padded_nchw, padded_nhwc, rows, unrows, wmat
from ._norm_kernels import channel_sums

__all__ = []

# Bytes of im2col columns per chunk: one chunk's columns stay in cache.
CHUNK_BYTES = 2 << 20
WGRAD_CHUNK_BYTES = 2 << 20
# A kernel whose columns hold more than MIN_CHUNK_BYTES is cut into up to MIN_CHUNKS even
# chunks (CIFAR-10's first conv at batch 16: 4 chunks of 4 images, not 6 + 6 + 4). Below
# MIN_CHUNK_BYTES (= the smallest work handed to other threads) a kernel stays one chunk: at
# batch 1 more chunks would only add calls.
MIN_CHUNKS = 4
MIN_CHUNK_BYTES = 1 << 20
# Partial sums of a weight gradient (each a run of consecutive chunks, added in order at the end).
WGRAD_PARTIALS = 8
# Ungrouped weight gradients by (Cout, rows) @ (rows, K) chunk GEMMs (else pixel-rows GEMMs).
WGRAD_BY_CHUNKS = True
# Ungrouped convs with at most PLANES_MAX_C input channels, or C * Cout up to PLANES_MAX_C_COUT
# (first layers on RGB or grey images) keep their padded input in NCHW and build their columns
# K-major, one plane of output pixels per tap and channel (rows of Wo floats copied, where a
# channels-last copy would move runs of only kw*C floats), and multiply W (Cout, K) @ planes
# (K, pixels) per image, straight into the NCHW output (no transposed write). Measured, CIFAR-10's
# first conv (3 -> 32, 5x5) at batch 64: 8.3 -> 7.0 ms forward; 3.5x faster for C=1, Cout=6.
PLANES_MAX_C = 4
PLANES_MAX_C_COUT = 64
# Weight-gradient columns of fewer than this many taps x channels are zero-padded to a multiple of
# 16 (the products are the same; OpenBLAS runs a K of 80 faster than 75: CIFAR-10's first conv at
# batch 64, 6.8 -> 6.1 ms; at K = 150 padding did not pay).
WGRAD_PAD_K_BELOW = 128
# Rows-form forward chunks skip the products of kernel rows that fall on the top or bottom
# padding when that saves at least this many multiply-adds per chunk (each run of rows is one more
# call). At batch 64, 5x5 padding 2: 32 -> 64 channels on 8x8 (chunks of 8 images skip about 4M)
# gain about 10 % (``benchmarks/conv_kernels.py``); 32 -> 32 on 16x16 (chunks of 2 images, 1M)
# measured no gain.
SKIP_PADDING_MIN = 2_000_000
# Input gradient of a stride-1 conv as a conv of the padded output gradient (else col2im).
DX_BY_CONV = True
# Ungrouped stride-1 convs with C * Cout up to this (e.g. LeNet's 6 -> 16) take the input
# gradient in NCHW by shifted rows (``_input_grad_flat``): the conv above would multiply by a
# (K, C) matrix of few columns and twice the pixels. (Measured, LeNet's second conv at batch
# 64: 1.4 ms instead of 2.6 ms; slower from 32 -> 32 channels on.)
DX_FLAT_MAX_C_COUT = 128
# Bytes of the per-chunk product in ``_input_grad_flat``.
DX_FLAT_CHUNK_BYTES = 2 << 20


class Chunk:
    """Output rows ``h0:h1`` of images ``n0:n1``: either whole images (``h0, h1 = 0, Ho``) or
    a band of rows of one image. In pixel-rows order (image, row, column) it is the contiguous
    range ``p0:p1``."""
    __slots__ = ("n0", "n1", "h0", "h1", "p0", "p1", "m", "P")

    def __init__(self, n0, n1, h0, h1, Ho, Wo):
        self.n0, self.n1, self.h0, self.h1 = n0, n1, h0, h1
        self.p0, self.p1 = (n0 * Ho + h0) * Wo, ((n1 - 1) * Ho + h1) * Wo
        self.m, self.P = n1 - n0, (h1 - h0) * Wo      # images, pixels per image

    def cols(self, view):
        """This chunk's part of an im2col view (..., N, Ho, Wo, kh, kw, C)."""
        return view[..., self.n0:self.n1, self.h0:self.h1, :, :, :, :]


def chunks(geo, row_bytes, budget):
    """The output of a conv cut into chunks whose columns hold about ``budget`` bytes
    (``row_bytes`` per output row): runs of whole images, or bands of rows of big images.
    A conv with enough work is cut into at least ``MIN_CHUNKS`` chunks (of at least
    ``MIN_CHUNK_BYTES``), runs of images into a multiple of ``MIN_CHUNKS``, and chunks of a cut
    differ by at most one image (or row), so every thread gets an even share. The cut depends on
    the geometry only, never on the thread count, so every thread count runs the very same GEMMs
    (and gives bitwise the same results)."""
    N, Ho, Wo = geo.N, geo.Ho, geo.Wo
    row_bytes = max(1, row_bytes)
    budget = max(1, min(budget, max(MIN_CHUNK_BYTES, N * Ho * row_bytes // MIN_CHUNKS)))
    if Ho * row_bytes <= budget:
        k = -(-N // max(1, budget // (Ho * row_bytes)))
        if k > 1:                       # a whole number of rounds for 1, 2 or 4 threads
            k = min(N, -(-k // MIN_CHUNKS) * MIN_CHUNKS)
        cut = [i * N // k for i in range(k + 1)]
        return [Chunk(a, b, 0, Ho, Ho, Wo) for a, b in zip(cut, cut[1:])]
    k = -(-Ho // max(1, budget // row_bytes))
    cut = [i * Ho // k for i in range(k + 1)]
    return [Chunk(i, i + 1, a, b, Ho, Wo) for i in range(N) for a, b in zip(cut, cut[1:])]


def _threads(cs, row_bytes):
    """Worker threads for a kernel's chunks: all of ember's when its columns come to at least
    ``PARALLEL_MIN_BYTES`` (below that a hand-off to another thread costs about what it saves)."""
    rows = sum(c.m * (c.h1 - c.h0) for c in cs)
    return _parallel.workers() if rows * row_bytes >= _parallel.PARALLEL_MIN_BYTES else 1


def _most_rows(cs):
    return max(c.m * (c.h1 - c.h0) for c in cs)


# -- forward ---------------------------------------------------------------------------------
def uses_planes(geo):
    """Whether a conv of this geometry runs on K-major planes of an NCHW padded input."""
    return geo.g == 1 and (geo.C <= PLANES_MAX_C or geo.C * geo.Cout <= PLANES_MAX_C_COUT)


def padded_input(x, geo, keep):
    """``x`` padded, in NCHW when ``uses_planes(geo)`` else NHWC; in a reused scratch buffer
    unless ``keep`` (saved for backward)."""
    N, C, H, W = x.shape
    Hp, Wp = H + geo.pt + geo.pb, W + geo.pl + geo.pr
    if uses_planes(geo):
        return padded_nchw(x, geo, out=None if keep or not geo.padded else scratch("conv.padded.nchw", (N, C, Hp, Wp),
                                                                                   x.dtype))
    if keep or not geo.padded:
        return padded_nhwc(x, geo)
    return padded_nhwc(x, geo, out=scratch("conv.padded", (N, Hp, Wp, C), x.dtype))


def conv_forward(xp, wm, geo, dtype, bias=None, nchw=False):
    """Convolution of padded NHWC ``xp`` (NCHW when ``nchw``: the planes kernel) as a
    C-contiguous (N, Cout, Ho, Wo) array.

    Chunk by chunk (whole images or bands of rows whose columns fill about ``CHUNK_BYTES``):
    copy the columns into a reused buffer, one rows-form GEMM ``columns (rows, K) @ W.T
    (K, Cout)`` (in blocks of rows on OpenBLAS's small-matrix kernels; rows whose windows overlap
    the top or bottom padding without its kernel rows) into a reused channels-last buffer, and
    write the chunk transposed into the NCHW output while it is in cache, adding the bias on the
    way. Grouped convs go through per-group pixel rows.
    """
    N, per = geo.N, geo.Ho * geo.Wo
    if nchw:
        return _conv_planes(xp, wm[0], geo, dtype, bias)
    if geo.g != 1:
        out = _conv_rows(xp, wm, geo, dtype)
        if bias is not None:
            out += bias.reshape(geo.g, 1, -1)
        return nchw_contiguous(unrows(out, N, geo.Ho, geo.Wo))
    view = cols_view(xp, geo)[0]
    wt = np.ascontiguousarray(wm[0].T)             # (K, Cout)
    K, Cout = wt.shape
    y = np.empty((N, Cout, per), dtype)
    rb = geo.Wo * K * xp.itemsize
    cs = chunks(geo, rb, CHUNK_BYTES)
    rmax = _most_rows(cs)
    b2 = None if bias is None else bias[:, None]

    def init():
        return (scratch("conv.cols", (rmax,) + view.shape[2:], dtype),
                scratch("conv.rows", (rmax * geo.Wo, Cout), dtype))

    runs = {}                                       # (images, h0, h1) -> _padding_runs
    kwc = K // geo.kh

    def work(bufs, c):
        cb, ob = bufs
        src = c.cols(view)
        cols = cb[:c.m * (c.h1 - c.h0)]
        np.copyto(cols.reshape(src.shape), src)
        dst = y[c.n0:c.n1, :, c.h0 * geo.Wo:c.h1 * geo.Wo]
        out = ob[:c.p1 - c.p0]
        key = (c.m, c.h0, c.h1)
        band = runs[key] if key in runs else runs.setdefault(key, _padding_runs(geo, c, K * Cout))
        if band is None:
            matmul_row_blocks(cols.reshape(-1, K), wt, out, small_rows(len(out), K * Cout))
        else:
            # rows whose windows overlap the top or bottom padding: only the kernel rows that
            # read the input (the rest multiply zeros)
            c3, o3 = cols.reshape(c.m, c.P, K), out.reshape(c.m, c.P, Cout)
            for a, b, i0, i1 in band:
                r, k = slice((a - c.h0) * geo.Wo, (b - c.h0) * geo.Wo), slice(i0 * kwc, i1 * kwc)
                if i0 == i1:
                    o3[:, r] = 0
                else:
                    step = small_rows((b - a) * geo.Wo, (i1 - i0) * kwc * Cout)
                    matmul_row_blocks(c3[:, r, k], wt[k], o3[:, r], step)
        if bias is None:
            dst[...] = out.reshape(c.m, c.P, Cout).transpose(0, 2, 1)
        else:                                       # the bias added on the way into NCHW
            np.add(out.reshape(c.m, c.P, Cout).transpose(0, 2, 1), b2, out=dst)
    _parallel.run_chunks([(c,) for c in cs], _threads(cs, rb), init, work)
    return y.reshape(N, Cout, geo.Ho, geo.Wo)


def kernel_row_runs(geo, h0, h1):
    """Output rows ``h0:h1`` as runs ``(a, b, i0, i1)``: the windows of rows ``a:b`` read the
    input through kernel rows ``i0:i1`` only (their other kernel rows fall on the zero padding).

    Example (5x5 kernel, padding 2, 16 rows):
        [(0, 1, 2, 5), (1, 2, 1, 5), (2, 14, 0, 5), (14, 15, 0, 4), (15, 16, 0, 3)]
    """
    out = []
    for h in range(h0, h1):
        top = h * geo.sh - geo.pt                  # input row of kernel row 0 (negative: padding)
        i0 = min(geo.kh, max(0, -(top // geo.dh)))
        i1 = max(i0, min(geo.kh, -((top - geo.H) // geo.dh)))
        if out and out[-1][2:] == (i0, i1):
            out[-1] = (out[-1][0], h + 1, i0, i1)
        else:
            out.append((h, h + 1, i0, i1))
    return out


def _padding_runs(geo, c, per_pixel):
    """``kernel_row_runs`` of chunk ``c``'s rows when skipping the products with padding saves at
    least ``SKIP_PADDING_MIN`` multiply-adds (``per_pixel``: K * Cout), else None (one product)."""
    band = kernel_row_runs(geo, c.h0, c.h1)
    kept = sum((b - a) * (i1 - i0) for a, b, i0, i1 in band)
    skipped = c.m * geo.Wo * (c.h1 - c.h0 - kept / geo.kh) * per_pixel
    return band if skipped >= SKIP_PADDING_MIN else None


def _fill_planes(buf, xq, geo, c):
    """Chunk ``c``'s columns K-major, (images, kh*kw*C, pixels), from the padded NCHW input
    ``xq``: for each kernel tap and channel, the (strided) window of input pixels it reads."""
    C, Wo, hh = geo.C, geo.Wo, c.h1 - c.h0
    sN, sC, sH, sW = xq.strides
    planes = buf[:c.m * geo.kh * geo.kw * C * c.P].reshape(c.m, geo.kh, geo.kw, C, hh, Wo)
    src = xq[c.n0:c.n1, :, c.h0 * geo.sh:]
    np.copyto(planes, as_strided(src, planes.shape, (sN, geo.dh * sH, geo.dw * sW, sC, geo.sh * sH, geo.sw * sW),
                                 writeable=False))
    return planes.reshape(c.m, -1, c.P)


def _conv_planes(xp, w2, geo, dtype, bias):
    """Forward of a conv with few input channels: K-major columns, ``W @ planes`` per image."""
    K = w2.shape[1]
    y = np.empty((geo.N, w2.shape[0], geo.Ho * geo.Wo), dtype)
    rb = geo.Wo * K * xp.itemsize
    cs = chunks(geo, rb, CHUNK_BYTES)
    size = _most_rows(cs) * geo.Wo * K
    b2 = None if bias is None else bias[:, None]

    def work(buf, c):
        dst = y[c.n0:c.n1, :, c.h0 * geo.Wo:c.h1 * geo.Wo]
        planes = _fill_planes(buf, xp, geo, c)
        step = small_block(c.P, w2.size)           # blocks of pixels
        for a in range(0, c.P, step):
            np.matmul(w2, planes[:, :, a:a + step], out=dst[:, :, a:a + step])
        if b2 is not None:
            dst += b2
    _parallel.run_chunks([(c,) for c in cs], _threads(cs, rb), lambda: scratch("conv.planes", (size,), dtype),
                         work)
    return y.reshape(geo.N, -1, geo.Ho, geo.Wo)


def _weight_grad_planes(xp, g3, geo):
    """Weight gradient of a conv with few input channels: sum of G_n (Cout, P) @ planes_n.T."""
    K = geo.kh * geo.kw * geo.C
    Cout = g3.shape[1]
    dtype = xp.dtype
    rb = geo.Wo * K * xp.itemsize
    cs = chunks(geo, rb, WGRAD_CHUNK_BYTES)
    size = _most_rows(cs) * geo.Wo * K
    most = max(c.m for c in cs)

    def init():
        return scratch("wgrad.planes", (size,), dtype), np.empty((most, K, Cout), dtype), np.empty((K, Cout), dtype)

    def each(state, c, out):
        buf, per_image, _ = state
        planes = _fill_planes(buf, xp, geo, c)
        t = per_image[:c.m]
        gt = g3[c.n0:c.n1, :, c.h0 * geo.Wo:c.h1 * geo.Wo].transpose(0, 2, 1)
        # planes_n (K, P) @ G_n.T (P, Cout): OpenBLAS runs this form faster than G_n @ planes_n.T
        step = small_block(K, c.P * Cout)           # blocks of taps x channels
        for a in range(0, K, step):
            np.matmul(planes[:, a:a + step], gt, out=t[:, a:a + step])
        np.add.reduce(t, axis=0, out=out)
    items, parts, work = _partials(cs, dtype, (K, Cout), each)
    _parallel.run_chunks(items, _threads(cs, rb), init, work)
    return np.ascontiguousarray(np.add.reduce(parts, axis=0).T)[None]


def _conv_rows(xp, wm, geo, dtype):
    """Convolution of padded NHWC ``xp`` as GEMM rows (g, N*Ho*Wo, Cout/g), chunk by chunk."""
    g = geo.g
    K = wm.shape[2]
    view = cols_view(xp, geo)
    out = np.empty((g, geo.N * geo.Ho * geo.Wo, wm.shape[1]), dtype)
    rb = geo.Wo * K * g * xp.itemsize
    cs = chunks(geo, rb, CHUNK_BYTES)
    rmax = _most_rows(cs)

    def work(cb, c):
        src = c.cols(view)
        cols = cb[:, :c.m * (c.h1 - c.h0)]
        np.copyto(cols.reshape(src.shape), src)
        gemm(cols.reshape(g, -1, K), wm, tb=True, out=out[:, c.p0:c.p1])
    _parallel.run_chunks([(c,) for c in cs], _threads(cs, rb), lambda: scratch("conv.gcols", (g, rmax) + view.shape[3:], dtype),
                         work)
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
        return channel_sums(gy.nchw)
    return np.add.reduce(gy.rows(), axis=1).reshape(-1)


def weight_grad(xp, gy, geo, nchw=False):
    """sum over images of G_n^T @ columns_n, as (g, Cout/g, K); ``xp`` is the padded input,
    NHWC or (``nchw``) NCHW."""
    if nchw:
        # planes for stride 1 (rows of Wo floats copied) or few channels; else channels-last (a
        # strided conv's planes copy strided pixels: measured slower from 7x7 stride 2 on)
        if geo.sh == geo.sw == 1 or geo.C * geo.Cout <= PLANES_MAX_C_COUT:
            return _weight_grad_planes(xp, gy.nchw.reshape(geo.N, geo.Cout, geo.Ho * geo.Wo), geo)
        nhwc = scratch("wgrad.padded", (xp.shape[0],) + xp.shape[2:] + (xp.shape[1],), xp.dtype)
        np.copyto(nhwc, xp.transpose(0, 2, 3, 1))
        xp = nhwc
    if geo.g == 1 and WGRAD_BY_CHUNKS:
        return _weight_grad_chunks(xp, gy.nchw.reshape(geo.N, geo.Cout, geo.Ho * geo.Wo), geo)
    return _weight_grad_rows(xp, gy.rows(), geo)


def _partials(cs, dtype, shape, each):
    """sum over chunks of ``each(state, chunk, out)`` (which writes its chunk's term into
    ``out``), in ``WGRAD_PARTIALS`` runs of consecutive chunks added in a fixed order: the same
    sum, bitwise, on any number of threads."""
    runs = min(WGRAD_PARTIALS, len(cs))
    step = -(-len(cs) // runs)
    groups = [cs[i:i + step] for i in range(0, len(cs), step)]
    parts = np.empty((len(groups),) + shape, dtype)

    def work(state, i):
        tmp = state[-1]
        for j, c in enumerate(groups[i]):
            each(state, c, parts[i] if j == 0 else tmp)
            if j:
                parts[i] += tmp
    return [(i,) for i in range(len(groups))], parts, work


def _weight_grad_chunks(xp, g3, geo):
    """sum over chunks of columns_chunk.T (K, rows) @ G_chunk (rows, Cout), as (1, Cout, K).

    Per chunk the NCHW gradient of its pixels is copied into a reused (Cout, rows) buffer, so
    one product with a long inner dimension covers the chunk (columns zero-padded to ``Kp``),
    run in blocks of rows of its (Kp, Cout) result on OpenBLAS's small-matrix kernels."""
    view = cols_view(xp, geo)[0]
    K = geo.kh * geo.kw * geo.C
    Cout = g3.shape[1]
    dtype = xp.dtype
    rb = geo.Wo * K * xp.itemsize
    cs = chunks(geo, rb, WGRAD_CHUNK_BYTES)
    rmax = _most_rows(cs)

    Kp = -(-K // 16) * 16 if K < WGRAD_PAD_K_BELOW else K

    def init():
        cols = scratch("wgrad.cols.padded", (rmax * geo.Wo, Kp), dtype)
        cols[:, K:] = 0
        return (cols, scratch("wgrad.g", (Cout, rmax * geo.Wo), dtype), np.empty((Kp, Cout), dtype))

    def each(state, c, out):
        cb, gb, _ = state
        src = c.cols(view)
        rows = c.p1 - c.p0
        np.copyto(cb[:rows, :K].reshape(src.shape), src)
        gr = gb[:, :rows]
        gr.reshape(Cout, c.m, c.P)[...] = g3[c.n0:c.n1, :, c.h0 * geo.Wo:c.h1 * geo.Wo].transpose(1, 0, 2)
        matmul_row_blocks(cb[:rows].T, gr.T, out, small_rows(Kp, rows * Cout))
    items, parts, work = _partials(cs, dtype, (Kp, Cout), each)
    _parallel.run_chunks(items, _threads(cs, rb), init, work)
    return np.ascontiguousarray(np.add.reduce(parts, axis=0)[:K].T)[None]


def _weight_grad_rows(xp, gr, geo):
    """sum over pixels of G^T @ columns, (g, Cout/g, K), rebuilding the columns chunk by chunk."""
    g = geo.g
    K = geo.kh * geo.kw * (geo.C // g)
    view = cols_view(xp, geo)
    dtype = xp.dtype
    rb = geo.Wo * K * g * xp.itemsize
    cs = chunks(geo, rb, WGRAD_CHUNK_BYTES)
    rmax = _most_rows(cs)
    shape = (g, gr.shape[2], K)

    def init():
        return scratch("wgrad.gcols", (g, rmax) + view.shape[3:], dtype), np.empty(shape, dtype)

    def each(state, c, out):
        cb = state[0]
        src = c.cols(view)
        cols = cb[:, :c.m * (c.h1 - c.h0)]
        np.copyto(cols.reshape(src.shape), src)
        gemm(gr[:, c.p0:c.p1], cols.reshape(g, -1, K), ta=True, out=out)
    items, parts, work = _partials(cs, dtype, shape, each)
    _parallel.run_chunks(items, _threads(cs, rb), init, work)
    return np.add.reduce(parts, axis=0)


def input_grad(gy, w, wm, geo):
    """The input gradient (N, C, H, W): col2im of ``G @ W`` or, for a stride-1 conv whose
    padding the kernel spans, the padded output gradient convolved with the flipped weights."""
    dtype = gy.nchw.dtype
    by_conv = DX_BY_CONV and geo.sh == geo.sw == 1 and \
        max(geo.pt, geo.pb) <= geo.dh * (geo.kh - 1) and max(geo.pl, geo.pr) <= geo.dw * (geo.kw - 1)
    if by_conv and geo.g == 1 and geo.C * geo.Cout <= DX_FLAT_MAX_C_COUT:
        return _input_grad_flat(gy.nchw, w, geo, dtype)
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


def _input_grad_flat(gy, w, geo, dtype):
    """A stride-1 conv's input gradient in NCHW by shifted rows, for few channels.

    With ``Wp`` the padded input's row length, the output gradient of each image is widened to
    rows of ``Wp`` (zeros after column ``Wo``), so that an output pixel ``(h, w)`` and the input
    pixel ``(h + i*dh, w + j*dw)`` it reads through tap ``(i, j)`` sit ``i*dh*Wp + j*dw`` apart in
    the flattened planes. Per image, ``T = W^T (C*kh*kw, Cout) @ G (Cout, Ho*Wp)``; the padded
    input gradient is the sum over taps of T's rows added at those offsets (whole rows at a
    time), cropped to (H, W). Images are independent: bitwise the same on any thread count."""
    N, Cout, Ho, Wo = gy.shape
    C, kh, kw = geo.C, geo.kh, geo.kw
    H, W = geo.H, geo.W
    Hp, Wp = H + geo.pt + geo.pb, W + geo.pl + geo.pr
    L, K = Ho * Wp, C * kh * kw
    wt = np.ascontiguousarray(w.reshape(Cout, K).T)           # rows (c, i, j)
    out = np.empty((N, C, H, W), dtype)
    image = K * L * out.itemsize
    runs = _image_runs(N, image, DX_FLAT_CHUNK_BYTES)
    per = max(b - a for a, b in runs)

    def init():
        gw = scratch("dx.flat.g", (per, Cout, Ho, Wp), dtype)
        gw[..., Wo:] = 0
        return gw, scratch("dx.flat.t", (per, K, L), dtype), scratch("dx.flat.acc", (per, C, Hp * Wp + Wp), dtype)

    def work(bufs, s, e):
        gw, t, acc = bufs
        m = e - s
        gw[:m, :, :, :Wo] = gy[s:e]
        np.matmul(wt, gw[:m].reshape(m, Cout, L), out=t[:m])
        t4 = t[:m].reshape(m, C, kh * kw, L)
        a = acc[:m]
        a[...] = 0
        for i in range(kh):
            for j in range(kw):
                o = i * geo.dh * Wp + j * geo.dw
                a[:, :, o:o + L] += t4[:, :, i * kw + j]
        out[s:e] = a[:, :, :Hp * Wp].reshape(m, C, Hp, Wp)[:, :, geo.pt:geo.pt + H, geo.pl:geo.pl + W]
    _parallel.run_chunks(runs, _parallel.workers() if N * image >= _parallel.PARALLEL_MIN_BYTES else 1, init, work)
    return out


def _image_runs(N, image_bytes, budget):
    """Runs of whole images as ``chunks`` cuts them: about ``budget`` bytes each, at least
    ``MIN_CHUNKS`` when there is enough work, sizes differing by at most one image."""
    budget = max(1, min(budget, max(MIN_CHUNK_BYTES, N * image_bytes // MIN_CHUNKS)))
    k = -(-N // max(1, budget // max(1, image_bytes)))
    cut = [i * N // k for i in range(k + 1)]
    return list(zip(cut, cut[1:]))
