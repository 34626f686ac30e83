"""Resampling (``interpolate``): nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area.

Every mode is separable: along each spatial dim ``d`` the output is a fixed linear map of the input,
built from the sizes with PyTorch's coordinate conventions (in the input's compute dtype):

- nearest:        src = min(floor(dst * scale), n_in - 1)
- nearest-exact:  src = min(floor((dst + 0.5) * scale), n_in - 1)
- linear modes:   src = scale * dst (align_corners) or max(scale * (dst + 0.5) - 0.5, 0); the two
                  neighbours floor(src), floor(src) + 1 (clamped) weighted 1 - t, t
- bicubic:        the same source (not clamped at 0), four neighbours floor(src) - 1 .. + 2 with
                  clamped border access, Keys' cubic convolution weights with A = -0.75
- area:           adaptive average pooling: window [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))
- antialias:      (bilinear / bicubic) the triangle / cubic (A = -0.5) filter centred at scale (dst + 0.5),
                  stretched by the scale when downsampling, weights normalised to sum 1 per output

where ``scale = (n_in - 1) / (n_out - 1)`` with align_corners, else ``1 / scale_factor`` when a scale
factor is used, else ``n_in / n_out``.

Two ops carry them. ``Resample`` applies a weight matrix ``M_d`` (n_out x n_in) along each dim:
``y = x ×_d M_d`` and ``dL/dx = g ×_d M_d^T`` (the same op with transposed matrices, so every order
of derivative works). ``NearestGather`` picks source indices along each dim (an exact copy, as
PyTorch's nearest); its backward is the scatter-add ``NearestScatter``, whose backward is the gather.
"""
import math

import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


# -- per-dim index and weight tables ------------------------------------------------------------
def _scale(n_in, n_out, align_corners, scale_factor, ft):
    """PyTorch's ``area_pixel_compute_scale`` in the compute dtype ``ft``."""
    if align_corners:
        return ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    if scale_factor is not None and scale_factor > 0:
        return ft(1.0 / scale_factor)
    return ft(n_in) / ft(n_out)


def nearest_indices(n_in, n_out, scale_factor, exact, ft=np.float32, shortcuts=False):
    """Source index of each output position along one dim (nearest or nearest-exact).

    ``shortcuts``: PyTorch's 2-d nearest kernel copies a dim whose size is unchanged and takes
    dst // 2 for an exact doubling, whatever the scale factor (its 1-d and 3-d kernels do not).
    """
    if shortcuts and n_out == n_in:
        return np.arange(n_out)
    if shortcuts and n_out == 2 * n_in:
        return np.arange(n_out) // 2
    if ft == np.float64 and not (scale_factor is not None and scale_factor > 0):
        # PyTorch's float64 kernel agrees with the exact rational index floor(dst * n_in / n_out)
        i = np.arange(n_out, dtype=np.int64)
        return np.minimum(((2 * i + 1) * n_in) // (2 * n_out) if exact else (i * n_in) // n_out, n_in - 1)
    if scale_factor is not None and scale_factor > 0:
        ft = np.float32         # PyTorch computes a scale-factor index in float32 for every dtype
    scale = ft(1.0 / scale_factor) if scale_factor is not None and scale_factor > 0 else ft(n_in) / ft(n_out)
    dst = np.arange(n_out).astype(ft)
    if exact:
        dst = dst + ft(0.5)
    return np.minimum(np.floor(dst * scale).astype(np.int64), n_in - 1)


def _source(n_in, n_out, align_corners, scale_factor, cubic, ft):
    scale = _scale(n_in, n_out, align_corners, scale_factor, ft)
    dst = np.arange(n_out).astype(ft)
    if align_corners:
        return dst * scale
    src = scale * (dst + ft(0.5)) - ft(0.5)
    return src if cubic else np.maximum(src, ft(0))


def linear_matrix(n_in, n_out, align_corners, scale_factor, ft=np.float32):
    """(n_out, n_in) weights of linear interpolation along one dim."""
    src = _source(n_in, n_out, align_corners, scale_factor, False, ft)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(ft), ft(0), ft(1)).astype(ft)
    i1 = np.minimum(i0 + 1, n_in - 1)
    m = np.zeros((n_out, n_in), ft)
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), ft(1) - t)
    np.add.at(m, (rows, i1), t)
    return m


def _cubic_weights(t, ft):
    a = ft(-0.75)

    def near(x):         # |x| <= 1
        return ((a + ft(2)) * x - (a + ft(3))) * x * x + ft(1)

    def far(x):          # 1 < |x| < 2
        return ((a * x - ft(5) * a) * x + ft(8) * a) * x - ft(4) * a
    return far(t + ft(1)), near(t), near(ft(1) - t), far(ft(2) - t)


def cubic_matrix(n_in, n_out, align_corners, scale_factor, ft=np.float32):
    """(n_out, n_in) weights of bicubic interpolation along one dim (border rows clamped)."""
    src = _source(n_in, n_out, align_corners, scale_factor, True, ft)
    i0 = np.floor(src)
    t = (src - i0).astype(ft)
    i0 = i0.astype(np.int64)
    m = np.zeros((n_out, n_in), ft)
    rows = np.arange(n_out)
    for k, w in enumerate(_cubic_weights(t, ft)):
        np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w.astype(ft))
    return m


def _aa_filter(x, cubic, ft):
    """PyTorch's antialias filters: the triangle (bilinear) or Keys' cubic with A = -0.5 (bicubic)."""
    x = np.abs(x)
    if not cubic:
        return np.maximum(ft(1) - x, ft(0)).astype(ft)
    a = ft(-0.5)
    near = ((a + ft(2)) * x - (a + ft(3))) * x * x + ft(1)
    far = (((x - ft(5)) * x + ft(8)) * x - ft(4)) * a
    return np.where(x < 1, near, np.where(x < 2, far, ft(0))).astype(ft)


def antialias_matrix(n_in, n_out, align_corners, scale_factor, cubic, ft=np.float32):
    """(n_out, n_in) weights of antialiased bilinear / bicubic resampling along one dim: the filter
    stretched by the downscale factor (so every input pixel contributes), normalised per output."""
    scale = _scale(n_in, n_out, align_corners, scale_factor, ft)
    support = ft(2 if cubic else 1) * (scale if scale >= 1 else ft(1))
    invscale = ft(1) / scale if scale >= 1 else ft(1)
    m = np.zeros((n_out, n_in), ft)
    for i in range(n_out):
        center = scale * (ft(i) + ft(0.5))
        lo = max(int(center - support + ft(0.5)), 0)
        hi = min(int(center + support + ft(0.5)), n_in)
        j = np.arange(lo, hi).astype(ft)
        w = _aa_filter((j - center + ft(0.5)) * invscale, cubic, ft)
        total = w.sum(dtype=ft)
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def area_matrix(n_in, n_out, ft=np.float32):
    """(n_out, n_in) weights of adaptive average pooling along one dim."""
    m = np.zeros((n_out, n_in), ft)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = ft(1) / ft(hi - lo)
    return m


# -- the ops ------------------------------------------------------------------------------------
def _along(x, axis, m):
    """x with the linear map ``m`` (n_out, n_in) applied along ``axis``."""
    shp = x.shape
    lead, trail = int(np.prod(shp[:axis], dtype=np.int64)), int(np.prod(shp[axis + 1:], dtype=np.int64))
    if trail == 1:
        y = x.reshape(lead, shp[axis]) @ m.T
    else:
        y = np.matmul(m, x.reshape(lead, shp[axis], trail))
    return y.reshape(shp[:axis] + (m.shape[0],) + shp[axis + 1:])


def _resample(x, mats):
    if not mats:
        return x.copy()         # every dim copied: still a new array, as PyTorch's result
    for axis, m in mats:
        x = _along(x, axis, m.astype(x.dtype, copy=False))
    return np.ascontiguousarray(x)


class Resample(Op):
    """y = x ×_d M_d for each (d, M_d) in ``mats`` (linear / bilinear / trilinear / bicubic / area).

    dL/dx = g ×_d M_d^T: the same op with the transposed matrices.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, mats):
        ctx.mats = mats
        return _resample(x, mats)

    @staticmethod
    def backward(ctx, grad):
        mats_t = tuple((axis, m.T) for axis, m in reversed(ctx.mats))
        if array_namespace(grad).graph:
            return Resample.apply(grad, mats_t), None
        return _resample(grad, mats_t), None


def _gather(x, idxs):
    if not idxs:
        return x.copy()
    for axis, ix in idxs:
        x = np.take(x, ix, axis=axis)
    return x


def _scatter(g, shape, idxs):
    """The adjoint of ``_gather``: along each axis, output j adds into input ix[j]. Nearest indices
    never decrease, so each input's share is one contiguous run of outputs: k strided adds for an
    integer upscale by k, ``np.add.reduceat`` over the runs otherwise."""
    for axis, ix in reversed(idxs):
        n_in = shape[axis]
        k = len(ix) // n_in
        if len(ix) == k * n_in and np.array_equal(ix, np.arange(len(ix)) // k):
            r = g.reshape(g.shape[:axis] + (n_in, k) + g.shape[axis + 1:])
            pick = (slice(None),) * (axis + 1)
            g = r[pick + (0,)].copy()
            for j in range(1, k):        # much faster than a sum over a short strided axis
                g += r[pick + (j,)]
            continue
        acc = np.zeros(g.shape[:axis] + (n_in,) + g.shape[axis + 1:], g.dtype)
        if np.all(np.diff(ix) >= 0):
            uniq, starts = np.unique(ix, return_index=True)
            acc[(slice(None),) * axis + (uniq,)] = np.add.reduceat(g, starts, axis=axis)
        else:
            np.add.at(np.moveaxis(acc, axis, 0), ix, np.moveaxis(g, axis, 0))
        g = acc
    return g


class NearestGather(Op):
    """y[..., j, ...] = x[..., ix_d[j], ...] along each dim d (nearest / nearest-exact).

    dL/dx[..., i, ...] = sum over j with ix_d[j] == i of dL/dy[..., j, ...]  (``NearestScatter``).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, idxs):
        ctx.c = (x.shape, idxs)
        return _gather(x, idxs)

    @staticmethod
    def backward(ctx, grad):
        shape, idxs = ctx.c
        if array_namespace(grad).graph:
            return NearestScatter.apply(grad, shape, idxs), None
        return _scatter(grad, shape, idxs), None


class NearestScatter(Op):
    """The scatter-add of ``NearestGather``'s backward, as an op; its derivative is the gather."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, shape, idxs):
        ctx.idxs = idxs
        return _scatter(g, shape, idxs)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return NearestGather.apply(grad, ctx.idxs), None, None
        return _gather(grad, ctx.idxs), None, None


# -- interpolate ----------------------------------------------------------------------------------
def _sizes(input, size, scale_factor, mode, recompute_scale_factor):
    """(output sizes, scale factors passed to the kernels or None) by F.interpolate's rules."""
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 f"(o1, o2, ...,oK) format.")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * dim
        scales = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                                 f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                                 f"and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if out is None:
        out = [int(math.floor(float(n) * s)) for n, s in zip(input.shape[2:], scales)]
    if recompute_scale_factor:
        scales = None
    if mode != "area" and (any(o <= 0 for o in out) or any(n <= 0 for n in input.shape[2:])):
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, but got input spatial "
                           f"sizes {list(input.shape[2:])} and output sizes {out}")
    return out, (scales or [None] * dim)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of ``input`` (N, C, d1[, d2[, d3]]) to ``size`` or by ``scale_factor``.

    ``mode``: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'`` or
    ``'bicubic'`` (4-D), ``'trilinear'`` (5-D), ``'area'`` (adaptive average pooling).
    ``align_corners`` (linear modes only) maps the corner pixels' centres onto each other.
    ``antialias=True`` (bilinear / bicubic) widens the filter when downsampling, as PIL does.

    Example:
        >>> x = ember.arange(4.).reshape(1, 1, 2, 2)
        >>> ember.nn.functional.interpolate(x, scale_factor=2, mode="bilinear").shape
        ember.Size([1, 1, 4, 4])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.ndim
    if mode not in _MODES or nd not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if mode in _LINEAR and _LINEAR[mode] != nd:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {_LINEAR[mode]}D input")
    if antialias:
        if not (mode in ("bilinear", "bicubic") and nd == 4):
            raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D "
                             "tensor as input")
    out, scales = _sizes(input, size, scale_factor, mode, recompute_scale_factor)
    dt = input._data.dtype
    ft = np.float64 if dt == np.float64 else np.float32
    axes = range(2, nd)
    if mode in ("nearest", "nearest-exact"):
        short = mode == "nearest" and nd == 4
        idxs = tuple((a, nearest_indices(input.shape[a], o, s, mode == "nearest-exact", ft, short))
                     for a, o, s in zip(axes, out, scales))
        return NearestGather.apply(input, tuple((a, ix) for a, ix in idxs
                                                if not np.array_equal(ix, np.arange(input.shape[a]))))
    if dt.kind != "f":
        raise NotImplementedError(f"interpolate: mode={mode!r} needs a floating-point input, got {input.dtype} "
                                  f"(convert it first, e.g. input.float())")
    if antialias:
        mats = tuple((a, antialias_matrix(input.shape[a], o, align_corners, s, mode == "bicubic", ft))
                     for a, o, s in zip(axes, out, scales) if o != input.shape[a])     # (an unchanged dim: copied)
    elif mode == "area":
        mats = tuple((a, area_matrix(input.shape[a], o, ft)) for a, o in zip(axes, out))
    elif mode == "bicubic":
        mats = tuple((a, cubic_matrix(input.shape[a], o, align_corners, s, ft)) for a, o, s in zip(axes, out, scales))
    else:   # PyTorch's (bi/tri)linear kernels copy a dim whose size is unchanged, whatever the scale factor
        mats = tuple((a, linear_matrix(input.shape[a], o, align_corners, s, ft)) for a, o, s in zip(axes, out, scales)
                     if o != input.shape[a])
    return Resample.apply(input, mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (as ``torch.nn.functional.upsample``).

    Example:
        >>> ember.nn.functional.upsample(ember.ones(1, 1, 2), scale_factor=2).shape
        ember.Size([1, 1, 4])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``.

    Example:
        >>> ember.nn.functional.upsample_nearest(ember.ones(1, 1, 2, 2), scale_factor=2).shape
        ember.Size([1, 1, 4, 4])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``.

    Example:
        >>> ember.nn.functional.upsample_bilinear(ember.ones(1, 1, 2, 2), scale_factor=2).shape
        ember.Size([1, 1, 4, 4])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
