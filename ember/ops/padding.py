"""Padding: ``pad`` with constant (a copy into a filled array) and reflect / replicate / circular
(a gather along each padded dim) modes, each one graph node with a closed-form backward.

Both backwards are linear in the gradient and are ops themselves with create_graph=True: constant
padding's backward is constant padding by the negated amounts, the gather's is a scatter-add whose
own backward is the gather again.
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace

__all__ = ["pad"]


def _pad_pairs(pad, ndim, mode):
    if len(pad) % 2:
        raise ValueError(f"Padding length must be divisible by 2, got pad={tuple(pad)}")
    if len(pad) // 2 > ndim:
        raise ValueError(f"Padding length should be less than or equal to two times the input dimension but "
                         f"got padding length {len(pad)} and input of dimension {ndim}")
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return pairs


class PadConstant(Op):
    """y = value everywhere, with y[dst] = x[src]: each dim d grows by lo_d before and hi_d after
    (a negative amount crops instead).

    dL/dx[src] = dL/dy[dst] (zero for cropped elements); the padding value gets no gradient.
    """
    backward_name = "ConstantPadNdBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, pairs, value):
        out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pairs))
        if any(s < 0 for s in out_shape):
            raise RuntimeError(f"pad: the padding {pairs} makes a negative size from input shape {x.shape}")
        out = np.full(out_shape, value, dtype=x.dtype)
        src, dst = [], []
        for n, (lo, hi) in zip(x.shape, pairs):
            s0, s1 = max(0, -lo), n - max(0, -hi)
            d0 = max(0, lo)
            src.append(slice(s0, max(s0, s1)))
            dst.append(slice(d0, d0 + max(0, s1 - s0)))
        out[tuple(dst)] = x[tuple(src)]
        ctx.c = (x.shape, tuple(src), tuple(dst))
        ctx.pairs = pairs
        return out

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return PadConstant.apply(grad, tuple((-lo, -hi) for lo, hi in ctx.pairs), 0), None, None
        shape, src, dst = ctx.c
        gx = np.zeros(shape, grad.dtype)
        gx[src] = grad[dst]
        return gx, None, None


def _pad_index(n, lo, hi, mode):
    """Source index along a dim of size ``n`` for each of the n + lo + hi output positions."""
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) should be less than the corresponding input dimension "
                               f"({n}) for mode='reflect'")
        period = 2 * (n - 1) if n > 1 else 1
        i = np.abs(i) % period
        i = np.where(i > n - 1, period - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    elif mode == "circular":
        if lo > n or hi > n:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) should be at most the input dimension ({n}) "
                               "for mode='circular'")
        # negative amounts crop first; the wrap-around is within what is left (as PyTorch)
        c0, m = max(0, -lo), n - max(0, -lo) - max(0, -hi)
        if n + lo + hi == 0:
            return np.arange(0)
        if m <= 0:
            raise RuntimeError(f"Negative padding value is resulting in an empty dimension: padding ({lo}, {hi}) "
                               f"of a dimension of size {n} for mode='circular'")
        i = c0 + np.arange(-max(0, lo), m + max(0, hi)) % m
    return i


def _gather(x, idxs):
    for d, ix in idxs:
        x = np.take(x, ix, axis=d)
    return x


def _scatter(g, shape, idxs):
    for d, ix in reversed(idxs):
        acc = np.zeros(g.shape[:d] + (shape[d],) + g.shape[d + 1:], g.dtype)
        np.add.at(np.moveaxis(acc, d, 0), ix, np.moveaxis(g, d, 0))
        g = acc
    return g


def _gather_forward(ctx, x, idxs):
    """The forward of ``PadIndex`` and ``PadIndexGather``: the gather, remembering what
    ``_scatter_backward`` needs."""
    ctx.c = (x.shape, idxs)
    return _gather(x, idxs)


def _scatter_backward(ctx, grad):
    """The gradient of ``_gather_forward``'s input: the scatter-add, an op under create_graph."""
    shape, idxs = ctx.c
    if array_namespace(grad).graph:
        return PadIndexScatter.apply(grad, shape, idxs)
    return _scatter(grad, shape, idxs)


class PadIndex(Op):
    """reflect / replicate / circular padding as a gather along each padded dim.

    Along a padded dim d, y[..., j, ...] = x[..., ix_d[j], ...] (ix_d from ``_pad_index``).
    Backward is the matching scatter-add, one dim at a time in reverse order:
        dL/dx[..., i, ...] = sum over j with ix_d[j] == i of dL/dy[..., j, ...]
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, pairs, mode):
        idxs = [(d, _pad_index(x.shape[d], lo, hi, mode)) for d, (lo, hi) in enumerate(pairs) if lo or hi]
        return _gather_forward(ctx, x, idxs)

    @staticmethod
    def backward(ctx, grad):
        return _scatter_backward(ctx, grad), None, None


class PadIndexScatter(Op):
    """PadIndex's backward as an op (for create_graph=True): the scatter-add of the gradient. Its
    own backward is the gather with the same indices (``PadIndexGather``)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, shape, idxs):
        ctx.c = idxs
        return _scatter(g, shape, idxs)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return PadIndexGather.apply(grad, ctx.c), None, None
        return _gather(grad, ctx.c), None, None


class PadIndexGather(Op):
    """PadIndex's gather for given indices; its backward is ``PadIndexScatter``."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, idxs):
        return _gather_forward(ctx, x, idxs)

    @staticmethod
    def backward(ctx, grad):
        return _scatter_backward(ctx, grad), None


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)`` starting
    from the last dim. Modes: ``'constant'`` (with ``value``, negative pads crop), ``'reflect'``,
    ``'replicate'``, ``'circular'``.

    Example:
        >>> ember.nn.functional.pad(ember.ones(1, 2, 2), (1, 1)).shape
        ember.Size([1, 2, 4])
    """
    pairs = _pad_pairs(pad, input._data.ndim, mode)
    if mode == "constant":
        return PadConstant.apply(input, tuple(pairs), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if any(lo < 0 or hi < 0 for lo, hi in pairs) and mode != "circular":
        raise RuntimeError(f"pad: negative padding is only supported in 'constant' and 'circular' modes, got {pad}")
    n_pad = len(pad) // 2
    if input._data.ndim not in (n_pad + 1, n_pad + 2):
        raise NotImplementedError(f"Only {n_pad + 1}D or {n_pad + 2}D input is supported for {n_pad}D "
                                  f"{mode} padding (got {input._data.ndim}D input of shape {tuple(input.shape)})")
    return PadIndex.apply(input, tuple(pairs), mode)
