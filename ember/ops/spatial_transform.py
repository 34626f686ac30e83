"""Spatial transformer sampling: ``affine_grid`` and ``grid_sample`` (PyTorch's CPU kernels' math).

affine_grid: for each output pixel a base point b = (x, y[, z], 1), x running over
    linspace(-1, 1, W) (times (W - 1) / W when align_corners=False, so the points are pixel
    centres); grid[n, ..., :] = theta[n] @ b.  dL/dtheta[n] = sum over pixels g (outer) b.
grid_sample: grid[n, ho, wo] = (x, y[, z]) in [-1, 1] picks a point of input[n] per output pixel.
    unnormalize: ix = (x + 1) / 2 (W - 1)  (align_corners=True)   or  ((x + 1) W - 1) / 2
    padding: 'zeros' (outside reads 0), 'border' (clip into [0, W - 1]), 'reflection' (reflect
    at the borders -- the pixel edges or centres -- then clip)
    bilinear: out = sum over the 2^d corners of prod_k (1 - |ix_k - corner_k|) * input[corner]
    nearest:  out = input[round-half-even(ix)]                  (no gradient to the grid)
    bicubic:  out = sum over 4 x 4 taps of c(tx)_i c(ty)_j input[bounded tap], c the cubic
              convolution with A = -0.75, each tap's coordinate padded on its own.
Gradients: to the input, the same weights scattered back (``np.add.at`` on flat indices); to the
grid, the derivative of the weights times the values, times d(padding)/d(ix) and d(ix)/dx.
Arrays are handled as (N, L, C): channels last, so one gather reads all channels of a point.
"""
import warnings

import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace

__all__ = ["affine_grid", "grid_sample"]


def _base_coords(n, align_corners, dtype):
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    r = np.linspace(-1.0, 1.0, n, dtype=np.float64)
    if not align_corners:
        r = r * (n - 1) / n
    return r.astype(dtype)


def base_grid(spatial, align_corners, dtype):
    """(prod(spatial), d + 1) rows (x, y[, z], 1), x varying fastest, for a (.., [D,] H, W) size."""
    axes = [_base_coords(s, align_corners, dtype) for s in spatial]      # D?, H, W order
    mesh = np.meshgrid(*axes, indexing="ij")
    cols = [m.reshape(-1) for m in reversed(mesh)]                       # x (W), y (H), z (D)
    cols.append(np.ones(int(np.prod(spatial)), dtype))
    return np.stack(cols, axis=1)


class AffineGridGenerator(Op):
    """grid[n, p] = theta[n] @ base[p];  dL/dtheta[n] = g[n]^T base  (linear: every order works)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        base = base_grid(spatial, align_corners, theta.dtype)
        ctx.base = base
        grid = np.matmul(base[None], np.swapaxes(theta, 1, 2))              # (N, P, d)
        return grid.reshape((theta.shape[0],) + tuple(spatial) + (theta.shape[1],))

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        N, d = grad.shape[0], grad.shape[-1]
        g = xp.reshape(grad, (N, -1, d))
        return xp.matmul(xp.swapaxes(g, 1, 2), ctx.base), None, None


# ------------------------------------------------------------------ coordinates and padding

def _unnormalize(coord, size, align_corners):
    """Grid coordinate in [-1, 1] -> pixel coordinate, and d(pixel)/d(coord)."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2


def _clip(c, size):
    mult = ((c > 0) & (c < size - 1)).astype(c.dtype)
    return np.clip(c, 0, size - 1), mult


def _reflect(c, twice_low, twice_high):
    if twice_low == twice_high:
        return np.zeros_like(c), np.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = c - lo
    mult = np.where(c < 0, -1.0, 1.0).astype(c.dtype)
    c = np.abs(c)
    extra = np.fmod(c, span)
    flips = np.floor(c / span)
    even = np.fmod(flips, 2) == 0
    return np.where(even, extra + lo, span - extra + lo), np.where(even, mult, -mult)


def _pad_coordinate(c, size, padding_mode, align_corners):
    """Apply 'border' / 'reflection' to pixel coordinates; returns the coordinates and d/dc.
    A NaN coordinate (or an infinite one reflected) reads pixel 0 with no gradient, as PyTorch."""
    if padding_mode == "border":
        r, m = _clip(c, size)
    elif padding_mode == "reflection":
        with np.errstate(invalid="ignore"):
            if align_corners:
                r, m1 = _reflect(c, 0, 2 * (size - 1))
            else:
                r, m1 = _reflect(c, -1, 2 * size - 1)
        r, m2 = _clip(r, size)
        m = m1 * m2
    else:
        return c, np.ones_like(c)
    bad = np.isnan(r)
    return np.where(bad, 0, r).astype(c.dtype, copy=False), np.where(bad, 0, m).astype(c.dtype, copy=False)


# ------------------------------------------------------------------ taps and their weights
#
# The padded pixel coordinate is piecewise linear in the grid value: c = slope * g + offset, with
# slope and offset constant where it is differentiable. The taps (integer positions) are constant
# too, so forward and backward only need the weights as functions of c - floor(c) -- written with
# operators only, they run on arrays (first order) or on Tensors (create_graph=True).

def _flat(idx, sizes, strides):
    ok = np.ones(idx[0].shape, bool)
    for i, s in zip(idx, sizes):
        ok &= (i >= 0) & (i <= s - 1)
    flat = np.zeros(idx[0].shape, np.int64)
    for i, st in zip(idx, strides):
        flat += np.where(ok, i, 0).astype(np.int64) * st
    return flat, ok


def _cubic(t, A=-0.75):
    """The four cubic-convolution weights of taps at -1, 0, 1, 2 for offset t, and their d/dt."""
    def near(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    def dnear(x):
        return (3 * (A + 2) * x - 2 * (A + 3)) * x

    def dfar(x):
        return (3 * A * x - 10 * A) * x + 8 * A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)], [dfar(t + 1), dnear(t), -dnear(1 - t), -dfar(2 - t)]


class _Plan:
    """What forward and backward share: the mode, per dimension the coordinate's slope, offset and
    floor, and per tap its flat index, in-bounds mask and which weight factor of each dimension it takes."""
    __slots__ = ("mode", "slope", "offset", "floor", "coords", "taps")


def _plan(grid, spatial, mode, padding_mode, align_corners):
    d = grid.shape[-1]
    sizes = list(reversed(spatial))                     # x -> W, y -> H, z -> D
    strides = [int(np.prod(spatial[len(spatial) - k:])) for k in range(d)]   # W: 1, H: W, D: H W
    plan = _Plan()
    plan.mode = mode
    plan.slope, plan.offset, plan.coords, plan.floor = [], [], [], []
    for k in range(d):
        c, scale = _unnormalize(grid[..., k], sizes[k], align_corners)
        m = np.ones_like(c)
        if mode != "bicubic":                           # bicubic pads each tap, not the point
            c, m = _pad_coordinate(c, sizes[k], padding_mode, align_corners)
        plan.coords.append(c)
        plan.slope.append(m * scale)
        plan.offset.append(c - m * scale * grid[..., k])
        plan.floor.append(np.floor(c))
    if mode == "nearest":
        plan.taps = [(*_flat([np.rint(c) for c in plan.coords], sizes, strides), None)]
    elif mode == "bilinear":
        plan.taps = []
        for corner in range(2 ** d):
            bits = tuple((corner >> k) & 1 for k in range(d))
            plan.taps.append((*_flat([f + b for f, b in zip(plan.floor, bits)], sizes, strides), bits))
    else:
        x0, y0 = plan.floor
        plan.taps = []
        for j in range(4):
            ty, _ = _pad_coordinate(y0 - 1 + j, sizes[1], padding_mode, align_corners)
            for i in range(4):
                tx, _ = _pad_coordinate(x0 - 1 + i, sizes[0], padding_mode, align_corners)
                plan.taps.append((*_flat([np.trunc(tx), np.trunc(ty)], sizes, strides), (i, j)))
    return plan


def _weights(plan, grid=None):
    """Per tap its weight and d weight / d coordinate_k, from the grid (a Tensor: recorded) or the plan."""
    d = len(plan.coords)
    if grid is None:
        frac = [c - f for c, f in zip(plan.coords, plan.floor)]
    else:
        frac = [grid[..., k] * plan.slope[k] + (plan.offset[k] - plan.floor[k]) for k in range(d)]
    if plan.mode == "nearest":
        return [(1.0, [0.0] * d)]
    if plan.mode == "bicubic":
        (wx, dwx), (wy, dwy) = _cubic(frac[0]), _cubic(frac[1])
        return [(wx[i] * wy[j], [dwx[i] * wy[j], wx[i] * dwy[j]]) for _, _, (i, j) in plan.taps]
    out = []
    for _, _, bits in plan.taps:
        w1 = [f if b else 1 - f for f, b in zip(frac, bits)]
        weight = w1[0]
        for w in w1[1:]:
            weight = weight * w
        dweight = []
        for k in range(d):
            others = 1.0
            for j in range(d):
                if j != k:
                    others = others * w1[j]
            dweight.append(others if bits[k] else -others)
        out.append((weight, dweight))
    return out


def _channels_last(xp, x):
    N, C = x.shape[:2]
    return xp.swapaxes(xp.reshape(x, (N, C, int(np.prod(x.shape[2:])))), 1, 2)             # (N, L, C)


class GridSample(Op):
    """See the module docstring; the backward is written against ``array_namespace`` (every order)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        N, C = x.shape[:2]
        d = grid.shape[-1]
        xl = np.ascontiguousarray(_channels_last(np, x))
        g = grid.reshape(N, int(np.prod(grid.shape[1:-1])), d)
        n = np.arange(N)[:, None]
        out = np.zeros((N, g.shape[1], C), x.dtype)
        with np.errstate(invalid="ignore", over="ignore"):         # NaN / inf points read as PyTorch's
            plan = _plan(g, x.shape[2:], mode, padding_mode, align_corners)
            for (flat, ok, _), (w, _) in zip(plan.taps, _weights(plan)):
                out += xl[n, flat] * (w * ok)[..., None]
        ctx.save_for_backward(x, grid)
        ctx.plan, ctx.xl = plan, xl
        return np.ascontiguousarray(out.transpose(0, 2, 1)).reshape((N, C) + tuple(grid.shape[1:-1]))

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        x, grid = ctx.saved_tensors
        plan = ctx.plan
        N, C = x.shape[:2]
        d = grid.shape[-1]
        L = int(np.prod(x.shape[2:]))
        dtype = ctx.xl.dtype
        with np.errstate(invalid="ignore", over="ignore"):
            return GridSample._grads(ctx, xp, grad, x, grid, plan, N, C, d, L, dtype)

    @staticmethod
    def _grads(ctx, xp, grad, x, grid, plan, N, C, d, L, dtype):
        gl = _channels_last(xp, grad)                                  # (N, P, C)
        if xp.graph:
            xl = _channels_last(xp, x)
            weights = _weights(plan, xp.reshape(grid, (N, int(np.prod(grid.shape[1:-1])), d)))
        else:
            xl = ctx.xl
            weights = _weights(plan)
        n = np.arange(N)[:, None]
        gx = ggrid = None
        if ctx.needs_input_grad[0]:
            offset = n * L
            acc = None
            index = np.concatenate([(flat + offset).reshape(-1) for flat, _, _ in plan.taps])
            vals = [xp.reshape(gl * (w * ok.astype(dtype))[..., None], (gl.shape[0] * gl.shape[1], C))
                    for (flat, ok, _), (w, _) in zip(plan.taps, weights)]
            acc = xp.scatter_add((N * L, C), dtype, (index,), xp.concatenate(vals, axis=0))
            gx = xp.reshape(xp.swapaxes(xp.reshape(acc, (N, L, C)), 1, 2), x.shape)
        if ctx.needs_input_grad[1]:
            if plan.mode == "nearest":
                ggrid = xp.zeros_like(grid) if xp.graph else np.zeros(grid.shape, dtype)
            else:
                parts = [0.0] * d
                for (flat, ok, _), (_, dw) in zip(plan.taps, weights):
                    s = xp.sum(xl[n, flat] * gl, axis=2) * ok.astype(dtype)      # (N, P)
                    for k in range(d):
                        parts[k] = parts[k] + s * dw[k]
                ggrid = xp.reshape(xp.stack([parts[k] * plan.slope[k] for k in range(d)], axis=-1), grid.shape)
        return gx, ggrid, None, None, None


class GridSampler2D(GridSample):
    """``grid_sample`` of a 4-D input (PyTorch's node name)."""


class GridSampler3D(GridSample):
    """``grid_sample`` of a 5-D input (PyTorch's node name)."""


_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _default_align(align_corners):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of a batch of affine maps theta (N, 2, 3) (or (N, 3, 4)).

    Example:
        >>> theta = ember.tensor([[[1., 0., 0.], [0., 1., 0.]]])      # the identity
        >>> F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)[0, 0]
        tensor([[-0.5000, -0.5000],
                [ 0.5000, -0.5000]])
    """
    align_corners = _default_align(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta has {theta.shape[0]} matrices but size asks for a batch of "
                           f"{size[0]} (size[0] must equal theta.shape[0])")
    return AffineGridGenerator.apply(theta, spatial, align_corners)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) (or 5-D) at the points of ``grid`` (N, Ho, Wo, 2) in [-1, 1].

    ``mode``: 'bilinear' | 'nearest' | 'bicubic' (4-D only); ``padding_mode``: 'zeros' | 'border' |
    'reflection'. Gradients flow to both ``input`` and ``grid``.

    Example:
        >>> x = ember.arange(4.).reshape(1, 1, 2, 2)
        >>> F.grid_sample(x, ember.zeros(1, 1, 1, 2), align_corners=True)      # the centre
        tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align_corners = _default_align(align_corners)
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype} (convert one with .to(other.dtype))")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)} (input must be 4-D "
                           f"(N, C, H, W) with grid (N, Ho, Wo, 2), or 5-D with grid (N, Do, Ho, Wo, 3))")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {list(grid.shape)}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"grid_sample is implemented for floating-point input only, got {input.dtype}")
    if min(input.shape[2:]) <= 0:
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                           f"sizes {list(input.shape)} with dimension {2 + list(input.shape[2:]).index(0)} being "
                           f"empty")
    op = GridSampler2D if input.ndim == 4 else GridSampler3D
    return op.apply(input, grid, mode, padding_mode, align_corners)
