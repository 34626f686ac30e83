"""Pooling as fused ops: max/avg pooling (1-D, 2-D) and their adaptive forms.

Every window reduction is a loop over the ``kh * kw`` kernel taps, each one strided slice of
the (padded) input covering all windows at once (``_pool_layout``), so the work is a few large
NumPy calls. Pools read the input in whatever memory layout it has (NCHW, or channels-last strides) and
return C-contiguous NCHW outputs, as PyTorch does.
Max pooling records which tap won (first maximum, NaN wins, as PyTorch) for the backward and
for ``return_indices``.

Higher-order gradients: every pool's backward is linear in the output gradient. With
``create_graph=True`` it is recorded as an op whose own backward is the matching forward map:
max pools scatter the gradient to the argmax positions (``ScatterIndices``), whose derivative is
a gather at the same positions (``GatherIndices``); average pools' backward (``AvgPoolAdjoint``,
``AdaptiveAvgPoolAdjoint``) has the pool itself as derivative.
"""
import numpy as np

from .._tensor import _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._empty import empty_result
from ._im2col import nchw_contiguous
from ._pool_layout import (PoolGeometry, from_layout, grad_in_layout, max_backward_tiled, padded, pool_batches,
                           pool_layout, scatter_taps, spatial_key)
from ._util import ntuple, require_tensor, stride_or_kernel

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool2d", "lp_pool1d"]

# Max pools whose windows tile NCHW rows take each window's rows first (False: the tap chain).
MAX_ROWS_FIRST = True


# -- max pooling ------------------------------------------------------------------------------
def _max_taps(vp, sp, geo):
    """Window maxima of the (-inf padded) input: a chain of in-place np.maximum (NaN propagates)."""
    views = [vp[spatial_key(sp, hs, ws)] for hs, ws in geo.taps()]
    if len(views) == 1:
        return views[0].copy()
    out = np.empty(views[0].shape, vp.dtype)
    rows = _window_rows(vp, sp, geo) if MAX_ROWS_FIRST else None

    def run(a, b):
        o = out[a:b]
        if rows is not None:
            # windows that tile NCHW rows: the maximum over each window's rows (whole contiguous
            # input rows), then over its columns (strided slices of that half-size temporary)
            t = np.maximum(rows[a:b, :, :, 0], rows[a:b, :, :, 1])
            for i in range(2, geo.kh):
                np.maximum(t, rows[a:b, :, :, i], out=t)
            t5 = t.reshape(t.shape[:3] + (geo.Wo, geo.kw))
            np.maximum(t5[..., 0], t5[..., 1], out=o)
            for j in range(2, geo.kw):
                np.maximum(o, t5[..., j], out=o)
            return
        np.maximum(views[0][a:b], views[1][a:b], out=o)
        for s in views[2:]:
            np.maximum(o, s[a:b], out=o)
    pool_batches(out.shape[0], run, vp.size * vp.itemsize)
    return out



def _window_rows(vp, sp, geo):
    """(N, C, Ho, kh, Wo*kw) view of an NCHW input whose windows tile it (stride = kernel, no
    dilation, at least 2x2; extra bottom rows / right columns never read), else None."""
    if sp != 2 or geo.kh < 2 or geo.kw < 2 or (geo.sh, geo.sw) != (geo.kh, geo.kw) or (geo.dh, geo.dw) != (1, 1) \
            or geo.Ho * geo.kh > vp.shape[2] or geo.Wo * geo.kw > vp.shape[3]:
        return None
    N, C = vp.shape[:2]
    return vp[:, :, :geo.Ho * geo.kh, :geo.Wo * geo.kw].reshape(N, C, geo.Ho, geo.kh, geo.Wo * geo.kw)


def _argmax_taps(vp, out, sp, geo):
    """The tap number of each window's maximum, as PyTorch picks it: the first maximum, or the
    last NaN (PyTorch's scan replaces its running maximum when ``v > max or isnan(v)``); a
    window whose inputs are all -inf gives its first input position, never the padding."""
    arg = np.zeros(out.shape, np.uint8 if geo.kh * geo.kw <= 256 else np.int32)
    taps = list(geo.taps())
    inside = _inside_taps(geo, sp)
    for t in range(len(taps) - 1, -1, -1):     # backwards, so the first equal tap is written last
        hs, ws = taps[t]
        hit = vp[spatial_key(sp, hs, ws)] == out
        if inside is not None:                 # padding never wins (a window of -inf: its first input)
            hit &= inside[t]
        np.copyto(arg, t, where=hit, casting="unsafe")
    if out.dtype.kind == "f":
        nan = np.isnan(out)
        if nan.any():
            for t, (hs, ws) in enumerate(taps):
                np.copyto(arg, t, where=nan & np.isnan(vp[spatial_key(sp, hs, ws)]), casting="unsafe")
    return arg


def _inside_taps(geo, sp):
    """Per tap, which windows read an input position (not padding), shaped to broadcast against
    the pooled output; None when nothing is padded."""
    if geo.Hp == geo.H and geo.Wp == geo.W and not (geo.ph or geo.pw):
        return None
    rows = np.zeros(geo.Hp, bool)
    rows[geo.ph:geo.ph + geo.H] = True
    cols = np.zeros(geo.Wp, bool)
    cols[geo.pw:geo.pw + geo.W] = True
    tail = (slice(None), slice(None), None) if sp == 1 else (slice(None), slice(None))
    return [(rows[hs][:, None] & cols[ws][None, :])[tail] for hs, ws in geo.taps()]


def _flat_indices(arg, sp, geo):
    """PyTorch's indices: the flat position h * W + w of each maximum in its input plane."""
    i, j = np.divmod(arg.astype(np.int64), geo.kw)
    rows = np.arange(geo.Ho, dtype=np.int64) * geo.sh - geo.ph
    cols = np.arange(geo.Wo, dtype=np.int64) * geo.sw - geo.pw
    if sp == 1:
        rows, cols = rows[:, None, None], cols[:, None]
    else:
        rows = rows[:, None]
    return (rows + i * geo.dh) * geo.W + cols + j * geo.dw


class MaxPool2d(Op):
    """max_pool2d (and max_pool1d through a size-1 height) over (N, C, H, W)::

        y[w]  = max of x over window w
        dL/dx = sum over windows w of g[w] at the one position PyTorch picks in w: its first
                maximum (or NaN), never every tied maximum
    """
    backward_name = "MaxPool2DWithIndicesBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, geo, with_indices, shapes):
        x0 = x
        xs = x.shape
        if shapes is not None:
            x = x.reshape(shapes[0])
        v, sp = pool_layout(x)
        vp = padded(v, sp, geo, -np.inf)
        out = _max_taps(vp, sp, geo)
        arg = _argmax_taps(vp, out, sp, geo) if with_indices else None
        if ctx.needs_input_grad:
            # The winning taps are found in backward (from the saved input and output) unless
            # indices were asked for anyway: inference pays only for the maxima.
            # A copy of the maxima: the output may be changed in place later (a ReLU(inplace=True)
            # after the pool), which must not change this backward. The raw input is saved for
            # the version check only.
            ctx.save_for_backward(v, out.copy(), arg, x0)
            ctx.geo, ctx.sp, ctx.xs = geo, sp, xs
        y = nchw_contiguous(from_layout(out, sp))
        if shapes is not None:
            y = y.reshape(shapes[1])
        if with_indices:
            idx = from_layout(_flat_indices(arg, sp, geo), sp)
            return y, (idx if shapes is None else idx.reshape(shapes[1]))
        return y

    @staticmethod
    def backward(ctx, grad, *_):
        v, out, arg, _ = ctx.saved_tensors
        geo, sp = ctx.geo, ctx.sp
        n = array_namespace(grad)
        if n.graph:
            # The scatter of g to each window's winner, as an op (differentiable in g).
            v, out, arg = n.asarray(v), n.asarray(out), n.asarray(arg)
            if arg is None:
                arg = _argmax_taps(padded(v, sp, geo, -np.inf), out, sp, geo)
            N, C = (v.shape[0], v.shape[3]) if sp == 1 else v.shape[:2]
            idx = _global_indices(from_layout(_flat_indices(arg, sp, geo), sp), N, C, geo.H * geo.W)
            return ScatterIndices.apply(grad, idx, ctx.xs), None
        g = grad_in_layout(grad, sp, v.shape, geo)
        if geo.kh * geo.kw == 1:
            gx = scatter_taps(g, sp, geo, lambda t: g)
        else:
            gx = max_backward_tiled(v, out, g, sp, geo) if arg is None else None
            if gx is None:
                if arg is None:
                    arg = _argmax_taps(padded(v, sp, geo, -np.inf), out, sp, geo)
                gx = scatter_taps(g, sp, geo, lambda t: np.multiply(g, arg == t))
        return gx.reshape(ctx.xs), None


def _global_indices(idx, N, C, plane):
    """Plane-local flat indices (N, C, ...) as indices into the whole flattened (N, C, H, W) input."""
    return idx.reshape(N, C, -1) + np.arange(N * C, dtype=np.int64).reshape(N, C, 1) * plane


def _scatter_flat(g, idx, size, dtype):
    """Zeros of ``size`` with ``g`` added at the flat ``idx`` (repeated positions add up)."""
    return np.bincount(idx.ravel(), weights=g.ravel(), minlength=size).astype(dtype, copy=False)


class ScatterIndices(Op):
    """A max pool's backward as an op: ``gx = zeros(x.shape)``, ``gx.flat[idx] += g``.

    Linear in g (idx fixed: the winners), so dL/dg = dL/dgx at idx (``GatherIndices``) and there
    is no gradient for the pooled input (PyTorch's max-pool double backward).
    """
    backward_name = "MaxPool2DWithIndicesBackwardBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, idx, xshape):
        ctx.idx, ctx.gshape = idx, g.shape
        return _scatter_flat(g, idx, int(np.prod(xshape)), g.dtype).reshape(xshape)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return GatherIndices.apply(grad, ctx.idx, ctx.gshape)
        return grad.reshape(-1)[ctx.idx].reshape(ctx.gshape)


class GatherIndices(Op):
    """``y = x.flat[idx]`` (shaped ``shape``): the derivative of ``ScatterIndices``, and its
    adjoint: dL/dx = zeros, ``.flat[idx] += g``."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, idx, shape):
        ctx.idx, ctx.xshape = idx, x.shape
        return x.reshape(-1)[idx].reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return ScatterIndices.apply(grad, ctx.idx, ctx.xshape)
        return _scatter_flat(grad, ctx.idx, int(np.prod(ctx.xshape)), grad.dtype).reshape(ctx.xshape)


# -- average pooling --------------------------------------------------------------------------
def _avg_divisor(geo, count_include_pad, divisor_override, dtype):
    """Per-window divisor (Ho, Wo) by PyTorch's rule: padding counts (if asked), overhang never."""
    if divisor_override:
        return np.asarray(divisor_override, dtype)

    def per_axis(n_out, s, p, k, n):
        start = np.arange(n_out) * s - p
        end = np.minimum(start + k, n + p)
        size_pad = end - start
        size = np.minimum(end, n) - np.maximum(start, 0)
        return size_pad, size
    hp, hv = per_axis(geo.Ho, geo.sh, geo.ph, geo.kh, geo.H)
    wp, wv = per_axis(geo.Wo, geo.sw, geo.pw, geo.kw, geo.W)
    d = np.outer(hp, wp) if count_include_pad else np.outer(hv, wv)
    return d.astype(dtype)


def _avg_pool(x, geo, count_include_pad, divisor_override, shapes):
    """Average pooling on arrays: (output, layout axis, pooled array's shape, divisor)."""
    if shapes is not None:
        x = x.reshape(shapes[0])
    v, sp = pool_layout(x)
    vp = padded(v, sp, geo, 0)
    out = None
    for hs, ws in geo.taps():
        s = vp[spatial_key(sp, hs, ws)]
        if out is None:
            out = s.copy()
        else:
            out += s
    div = _avg_divisor(geo, count_include_pad, divisor_override, x.dtype)
    if div.ndim == 2 and sp == 1:
        div = div[:, :, None]
    out /= div
    y = nchw_contiguous(from_layout(out, sp))
    return (y if shapes is None else y.reshape(shapes[1])), sp, v.shape, div


def _avg_pool_grad(grad, geo, sp, vshape, div, xs):
    """The input gradient of an average pool (arrays): each window's g / divisor, added back."""
    g = grad_in_layout(grad, sp, vshape, geo) / div
    return scatter_taps(g, sp, geo, lambda t: g).reshape(xs)


class AvgPool2d(Op):
    """avg_pool2d (and avg_pool1d): y[w] = sum of x over window w / d[w];  dL/dx = sum over the
    windows w holding x of g[w] / d[w] (``d``: PyTorch's divisor rule)."""
    backward_name = "AvgPool2DBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, geo, count_include_pad, divisor_override, shapes):
        y, sp, vshape, div = _avg_pool(x, geo, count_include_pad, divisor_override, shapes)
        if ctx.needs_input_grad:
            ctx.geo, ctx.sp, ctx.xs, ctx.vshape, ctx.div = geo, sp, x.shape, vshape, div
            ctx.args = (count_include_pad, divisor_override, shapes)
        return y

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return AvgPoolAdjoint.apply(grad, ctx.geo, ctx.args, ctx.xs)
        return _avg_pool_grad(grad, ctx.geo, ctx.sp, ctx.vshape, ctx.div, ctx.xs)


class AvgPoolAdjoint(Op):
    """An average pool's backward as an op (``create_graph``): linear in g, its derivative is
    the average pool of the incoming gradient (PyTorch's avg-pool double backward)."""
    backward_name = "AvgPool2DBackwardBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, geo, args, xs):
        count_include_pad, divisor_override, shapes = args
        x4 = xs if shapes is None else shapes[0]
        div = _avg_divisor(geo, count_include_pad, divisor_override, g.dtype)
        ctx.geo, ctx.args, ctx.xs, ctx.gs = geo, args, xs, g.shape
        return _avg_pool_grad(g, geo, 2, x4, div, xs)

    @staticmethod
    def backward(ctx, grad):
        count_include_pad, divisor_override, shapes = ctx.args
        shapes = (ctx.xs if shapes is None else shapes[0], ctx.gs)
        if array_namespace(grad).graph:
            return AvgPool2d.apply(grad, ctx.geo, count_include_pad, divisor_override, shapes)
        return _avg_pool(grad, ctx.geo, count_include_pad, divisor_override, shapes)[0]


# -- adaptive pooling -------------------------------------------------------------------------
def _bins(n_in, n_out):
    """PyTorch's adaptive bins: [floor(i*n/o), ceil((i+1)*n/o)) for output i."""
    return [((i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)]


def _reduce_bins(a, axis, bins, fn):
    """Apply ``fn(slab, axis)`` over each bin of ``axis``, stacking the results along it."""
    parts = []
    for lo, hi in bins:
        parts.append(fn(a[(slice(None),) * axis + (slice(lo, hi),)], axis))
    return np.stack(parts, axis=axis)


def _adaptive_avg(x, bh, bw):
    # A rectangle's mean is the mean over rows of the mean over columns: pool W, then H.
    y = _reduce_bins(x, 3, bw, lambda s, ax: s.mean(axis=ax, dtype=x.dtype))
    return _reduce_bins(y, 2, bh, lambda s, ax: s.mean(axis=ax, dtype=x.dtype))


def _adaptive_avg_grad(grad, bh, bw, x4):
    N, C, H, W = x4
    g = grad.reshape(N, C, len(bh), len(bw))
    gh = np.zeros((N, C, H, len(bw)), grad.dtype)
    for o, (lo, hi) in enumerate(bh):
        gh[:, :, lo:hi, :] += g[:, :, o:o + 1, :] / (hi - lo)
    gx = np.zeros((N, C, H, W), grad.dtype)
    for o, (lo, hi) in enumerate(bw):
        gx[:, :, :, lo:hi] += gh[:, :, :, o:o + 1] / (hi - lo)
    return gx


class AdaptiveAvgPool2d(Op):
    """y[i, j] = mean of x over bin (i, j);  dL/dx = sum over the bins holding x of g / bin size."""
    backward_name = "AdaptiveAvgPool2DBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, out_hw, shapes):
        xs = x.shape
        if shapes is not None:
            x = x.reshape(shapes[0])
        H, W = x.shape[-2:]
        bh, bw = _bins(H, out_hw[0]), _bins(W, out_hw[1])
        y = _adaptive_avg(x, bh, bw)
        if ctx.needs_input_grad:
            ctx.bins, ctx.xs, ctx.x4, ctx.out_hw = (bh, bw), xs, x.shape, out_hw
        return y if shapes is None else y.reshape(shapes[1])

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return AdaptiveAvgPoolAdjoint.apply(grad, ctx.bins, ctx.x4, ctx.xs, ctx.out_hw)
        return _adaptive_avg_grad(grad, *ctx.bins, ctx.x4).reshape(ctx.xs)


class AdaptiveAvgPoolAdjoint(Op):
    """An adaptive average pool's backward as an op (``create_graph``): linear in g, its
    derivative is the adaptive average pool of the incoming gradient."""
    backward_name = "AdaptiveAvgPool2DBackwardBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, bins, x4, xs, out_hw):
        ctx.bins, ctx.x4, ctx.xs, ctx.gs, ctx.out_hw = bins, x4, xs, g.shape, out_hw
        return _adaptive_avg_grad(g, *bins, x4).reshape(xs)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return AdaptiveAvgPool2d.apply(grad, ctx.out_hw, (ctx.x4, ctx.gs))
        return _adaptive_avg(grad.reshape(ctx.x4), *ctx.bins).reshape(ctx.gs)


def _scan_argmax(a, axis):
    """Index along ``axis`` of PyTorch's pick: the first maximum, or the last NaN."""
    arg = np.argmax(a, axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        if nan.any():
            last = a.shape[axis] - 1 - np.argmax(np.flip(nan, axis), axis=axis)
            arg = np.where(nan.any(axis=axis), last, arg)
    return arg


class AdaptiveMaxPool2d(Op):
    backward_name = "AdaptiveMaxPool2DBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, out_hw, with_indices, shapes):
        xs = x.shape
        if shapes is not None:
            x = x.reshape(shapes[0])
        N, C, H, W = x.shape
        bh, bw = _bins(H, out_hw[0]), _bins(W, out_hw[1])
        # Separable: max over each column bin (remembering the column), then over each row bin.
        # Scanning rows outer / columns inner keeps PyTorch's choice (first maximum, or last NaN).
        vals = np.empty((N, C, H, len(bw)), x.dtype)
        wi = np.empty((N, C, H, len(bw)), np.int64)
        for o, (lo, hi) in enumerate(bw):
            a = _scan_argmax(x[:, :, :, lo:hi], 3)
            wi[:, :, :, o] = a + lo
            vals[:, :, :, o] = np.take_along_axis(x[:, :, :, lo:hi], a[..., None], 3)[..., 0]
        y = np.empty((N, C, len(bh), len(bw)), x.dtype)
        idx = np.empty((N, C, len(bh), len(bw)), np.int64)
        for o, (lo, hi) in enumerate(bh):
            a = _scan_argmax(vals[:, :, lo:hi, :], 2)
            y[:, :, o, :] = np.take_along_axis(vals[:, :, lo:hi, :], a[:, :, None, :], 2)[:, :, 0, :]
            rows = a + lo
            cols = np.take_along_axis(wi[:, :, lo:hi, :], a[:, :, None, :], 2)[:, :, 0, :]
            idx[:, :, o, :] = rows * W + cols
        if ctx.needs_input_grad:
            ctx.save_for_backward(idx)
            ctx.xs, ctx.x4 = xs, x.shape
        if shapes is not None:
            y, idx = y.reshape(shapes[1]), idx.reshape(shapes[1])
        return (y, idx) if with_indices else y

    @staticmethod
    def backward(ctx, grad, *_):
        idx, = ctx.saved_tensors
        n = array_namespace(grad)
        N, C, H, W = ctx.x4
        # Bins may overlap, so the same input can win several windows: the scatter adds up.
        flat = _global_indices(n.asarray(idx), N, C, H * W)
        if n.graph:
            return ScatterIndices.apply(grad, flat, ctx.xs)
        return _scatter_flat(grad, flat, N * C * H * W, grad.dtype).reshape(ctx.xs)


# -- argument handling ------------------------------------------------------------------------
def _pool_input(fname, input, nd):
    require_tensor(fname, "input", input)
    x = input._data
    batched = x.ndim == nd + 2                    # only a batched input may have 0 samples
    if x.ndim not in (nd + 1, nd + 2) or x.size == 0 and any(s == 0 for s in x.shape[int(batched):]):
        raise RuntimeError(f"{fname}: expected a non-empty {nd + 1}D (unbatched) or {nd + 2}D (batched) "
                           f"input, but got input of size: {list(x.shape)}")
    return x


def _shapes4(x, nd, out_spatial):
    """(4-D view shape, output shape) for 1-D / unbatched inputs, or None for plain NCHW."""
    if nd == 2 and x.ndim == 4:
        return None
    lead = x.shape[:-nd]
    N, C = (1,) + lead if len(lead) == 1 else lead
    spatial = x.shape[-nd:]
    x4 = (N, C) + ((1,) + spatial if nd == 1 else spatial)
    return x4, lead + tuple(out_spatial[-nd:])


def _pool_geom(fname, x, nd, kernel_size, stride, padding, dilation, ceil_mode, is_max):
    k = ntuple(kernel_size, nd, "kernel_size")
    s = ntuple(stride_or_kernel(stride, k), nd, "stride")
    p = ntuple(padding, nd, "padding")
    d = ntuple(dilation, nd, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{fname}: kernel_size must be greater than zero, but got {list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{fname}: stride must be greater than zero, but got {list(s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{fname}: dilation must be greater than zero, but got {list(d)}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    spatial = x.shape[-nd:]
    H, W = ((1,) + spatial) if nd == 1 else spatial
    geo = PoolGeometry(H, W, k, s, p, d, ceil_mode)
    if geo.Ho <= 0 or geo.Wo <= 0:
        c = x.shape[-nd - 1]
        ins = "x".join(str(v) for v in (c,) + spatial)
        outs = "x".join(str(v) for v in (c,) + (geo.Ho, geo.Wo)[-nd:])
        raise RuntimeError(f"Given input size: ({ins}). Calculated output size: ({outs}). Output size is "
                           f"too small")
    return geo


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling; with ``return_indices`` also the flat index (h*W + w) of each maximum.

    Example:
        >>> ember.nn.functional.max_pool2d(ember.randn(1, 3, 8, 8), 2).shape
        ember.Size([1, 3, 4, 4])
    """
    x = _pool_input("max_pool2d", input, 2)
    geo = _pool_geom("max_pool2d", x, 2, kernel_size, stride, padding, dilation, ceil_mode, True)
    return MaxPool2d.apply(input, geo, bool(return_indices), _shapes4(x, 2, (geo.Ho, geo.Wo)))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L).

    Example:
        >>> ember.nn.functional.max_pool1d(ember.randn(1, 3, 8), 2).shape
        ember.Size([1, 3, 4])
    """
    x = _pool_input("max_pool1d", input, 1)
    geo = _pool_geom("max_pool1d", x, 1, kernel_size, stride, padding, dilation, ceil_mode, True)
    return MaxPool2d.apply(input, geo, bool(return_indices), _shapes4(x, 1, (geo.Ho, geo.Wo)))


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling.

    Example:
        >>> ember.nn.functional.avg_pool2d(ember.ones(1, 1, 4, 4), 2)
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """
    x = _pool_input("avg_pool2d", input, 2)
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError("divisor must be not zero")
    geo = _pool_geom("avg_pool2d", x, 2, kernel_size, stride, padding, 1, ceil_mode, False)
    return AvgPool2d.apply(input, geo, bool(count_include_pad), divisor_override,
                           _shapes4(x, 2, (geo.Ho, geo.Wo)))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L).

    Example:
        >>> ember.nn.functional.avg_pool1d(ember.ones(1, 1, 4), 2)
        tensor([[[1., 1.]]])
    """
    x = _pool_input("avg_pool1d", input, 1)
    geo = _pool_geom("avg_pool1d", x, 1, kernel_size, stride, padding, 1, ceil_mode, False)
    return AvgPool2d.apply(input, geo, bool(count_include_pad), None, _shapes4(x, 1, (geo.Ho, geo.Wo)))


def _adaptive_size(fname, x, output_size, nd):
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size,) * nd
    if len(output_size) != nd:
        raise RuntimeError(f"{fname}: output_size must be {nd} ints, got {list(output_size)}")
    spatial = x.shape[-nd:]
    out = tuple(int(s) if o is None else int(o) for o, s in zip(output_size, spatial))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{fname}: output_size must be positive, got {list(out)}")
    return ((1,) + out) if nd == 1 else out


def _adaptive_input(fname, input, nd):
    require_tensor(fname, "input", input)
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fname}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(x.shape)}")
    if any(s == 0 for s in x.shape[-nd:]):
        raise RuntimeError(f"{fname}(): Expected input to have non-zero size for non-batch dimensions, "
                           f"but input has sizes {list(x.shape)}")
    return x


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (bins as in PyTorch; sizes need not divide).

    Example:
        >>> ember.nn.functional.adaptive_avg_pool2d(ember.randn(2, 3, 7, 9), (2, 4)).shape
        ember.Size([2, 3, 2, 4])
    """
    x = _adaptive_input("adaptive_avg_pool2d", input, 2)
    out = _adaptive_size("adaptive_avg_pool2d", x, output_size, 2)
    return AdaptiveAvgPool2d.apply(input, out, _shapes4(x, 2, out))


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling over (N, C, L) or (C, L).

    Example:
        >>> ember.nn.functional.adaptive_avg_pool1d(ember.randn(2, 3, 7), 3).shape
        ember.Size([2, 3, 3])
    """
    x = _adaptive_input("adaptive_avg_pool1d", input, 1)
    out = _adaptive_size("adaptive_avg_pool1d", x, output_size, 1)
    return AdaptiveAvgPool2d.apply(input, out, _shapes4(x, 1, out))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size; ``return_indices`` gives flat h*W + w positions.

    Example:
        >>> ember.nn.functional.adaptive_max_pool2d(ember.randn(2, 3, 7, 9), 3).shape
        ember.Size([2, 3, 3, 3])
    """
    x = _adaptive_input("adaptive_max_pool2d", input, 2)
    out = _adaptive_size("adaptive_max_pool2d", x, output_size, 2)
    if x.size == 0:
        return _empty_max(input, x.shape[:-2] + tuple(out[-2:]), return_indices)
    return AdaptiveMaxPool2d.apply(input, out, bool(return_indices), _shapes4(x, 2, out))


def _empty_max(input, shape, return_indices):
    """Max pooling of an empty batch: an empty output (and empty int64 indices), as PyTorch."""
    out = empty_result(shape, input)
    return (out, _wrap(np.zeros(shape, np.int64))) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling over (N, C, L) or (C, L).

    Example:
        >>> ember.nn.functional.adaptive_max_pool1d(ember.randn(2, 3, 7), 3).shape
        ember.Size([2, 3, 3])
    """
    x = _adaptive_input("adaptive_max_pool1d", input, 1)
    out = _adaptive_size("adaptive_max_pool1d", x, output_size, 1)
    if x.size == 0:
        return _empty_max(input, x.shape[:-1] + tuple(out[-1:]), return_indices)
    return AdaptiveMaxPool2d.apply(input, out, bool(return_indices), _shapes4(x, 1, out))


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: (sum over the window of x**p) ** (1/p).

    Example:
        >>> ember.nn.functional.lp_pool2d(ember.ones(1, 1, 4, 4), 2, 2).shape
        ember.Size([1, 1, 2, 2])
    """
    k = ntuple(kernel_size, 2, "kernel_size")
    out = avg_pool2d(input ** norm_type, k, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k[0] * k[1]) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling.

    Example:
        >>> ember.nn.functional.lp_pool1d(ember.ones(1, 1, 4), 2, 2).shape
        ember.Size([1, 1, 2])
    """
    k = int(kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size)
    out = avg_pool1d(input ** norm_type, k, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k) ** (1.0 / norm_type)
