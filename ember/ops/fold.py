"""Sliding blocks: ``unfold`` (im2col) and ``fold`` (col2im), each other's adjoint.

For a (N, C, H, W) input, kernel (kh, kw), dilation (dh, dw), padding (ph, pw), stride (sh, sw):
    L = Ho * Wo,  Ho = (H + 2 ph - dh (kh - 1) - 1) // sh + 1  (Wo alike)
    unfold: cols[n, (c, i, j), (oh, ow)] = xpad[n, c, oh sh + i dh, ow sw + j dw]
    fold:   y = the sum over every block of its column put back in place (overlaps add up), cropped.
``Unfold``'s backward is ``Fold`` with the same geometry and the other way round, so every order of
derivative works.
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import ntuple

__all__ = ["unfold", "fold"]


class _Blocks:
    """Geometry of the sliding blocks over an (H, W) plane."""
    __slots__ = ("H", "W", "kh", "kw", "dh", "dw", "ph", "pw", "sh", "sw", "Ho", "Wo")

    def __init__(self, H, W, k, d, p, s):
        self.H, self.W = H, W
        (self.kh, self.kw), (self.dh, self.dw), (self.ph, self.pw), (self.sh, self.sw) = k, d, p, s
        self.Ho = (H + 2 * self.ph - self.dh * (self.kh - 1) - 1) // self.sh + 1
        self.Wo = (W + 2 * self.pw - self.dw * (self.kw - 1) - 1) // self.sw + 1

    def tap(self, i, j):
        h0, w0 = i * self.dh, j * self.dw
        return (slice(h0, h0 + self.sh * (self.Ho - 1) + 1, self.sh),
                slice(w0, w0 + self.sw * (self.Wo - 1) + 1, self.sw))


def _im2col(x, b):
    N, C = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (b.ph, b.ph), (b.pw, b.pw)))
    cols = np.empty((N, C, b.kh, b.kw, b.Ho, b.Wo), x.dtype)
    for i in range(b.kh):
        for j in range(b.kw):
            hs, ws = b.tap(i, j)
            cols[:, :, i, j] = xp[:, :, hs, ws]
    return cols.reshape(N, C * b.kh * b.kw, b.Ho * b.Wo)


def _col2im(cols, b):
    N = cols.shape[0]
    C = cols.shape[1] // (b.kh * b.kw)
    c6 = cols.reshape(N, C, b.kh, b.kw, b.Ho, b.Wo)
    out = np.zeros((N, C, b.H + 2 * b.ph, b.W + 2 * b.pw), cols.dtype)
    for i in range(b.kh):
        for j in range(b.kw):
            hs, ws = b.tap(i, j)
            out[:, :, hs, ws] += c6[:, :, i, j]
    return np.ascontiguousarray(out[:, :, b.ph:b.ph + b.H, b.pw:b.pw + b.W])


class Unfold(Op):
    """cols = im2col(x) (see the module docstring);  dL/dx = col2im(g) (``Fold``)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, b):
        ctx.b = b
        return _im2col(x, b)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return Fold.apply(grad, ctx.b), None
        return _col2im(grad, ctx.b), None


class Fold(Op):
    """y = col2im(cols), overlapping blocks summed;  dL/dcols = im2col(g) (``Unfold``)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, cols, b):
        ctx.b = b
        return _col2im(cols, b)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return Unfold.apply(grad, ctx.b), None
        return _im2col(grad, ctx.b), None


def _geometry(name, H, W, kernel_size, dilation, padding, stride):
    k, d, p, s = (ntuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    if min(k) <= 0 or min(d) <= 0 or min(s) <= 0 or min(p) < 0:
        raise RuntimeError(f"{name}: kernel_size, dilation and stride should be greater than zero and padding "
                           f"non-negative, but got kernel_size={k}, dilation={d}, padding={p}, stride={s}")
    b = _Blocks(H, W, k, d, p, s)
    if b.Ho < 1 or b.Wo < 1:
        raise RuntimeError(f"{name}: given input with spatial size ({H}, {W}), kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as ({b.Ho}, {b.Wo}), but "
                           f"its components must be at least one (use a smaller kernel or more padding)")
    return b


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C * kh * kw, L), one column per block.

    Example:
        >>> ember.nn.functional.unfold(ember.randn(1, 2, 4, 4), kernel_size=2).shape
        ember.Size([1, 8, 9])
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor for input with possible 0 batch size and non-zero "
                           f"dimensions, but got {input.ndim}D input of shape {tuple(input.shape)}")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    b = _geometry("unfold", x.shape[2], x.shape[3], kernel_size, dilation, padding, stride)
    out = Unfold.apply(x, b)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a (N, C, H, W) tensor, summing where blocks overlap
    (the adjoint of ``unfold``): (N, C * kh * kw, L) -> (N, C, *output_size).

    Example:
        >>> cols = ember.ones(1, 8, 9)
        >>> ember.nn.functional.fold(cols, output_size=(4, 4), kernel_size=2).shape
        ember.Size([1, 2, 4, 4])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possible 0 batch size and non-zero "
                           f"dimensions, but got {input.ndim}D input of shape {tuple(input.shape)}")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    H, W = ntuple(output_size, 2)
    b = _geometry("fold", H, W, kernel_size, dilation, padding, stride)
    kk = b.kh * b.kw
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={x.shape[1]} and kernel_size=({b.kh}, {b.kw})")
    if x.shape[2] != b.Ho * b.Wo:
        raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size=({b.kh}, {b.kw}), dilation=({b.dh}, {b.dw}), "
                           f"padding=({b.ph}, {b.pw}), stride=({b.sh}, {b.sw}), expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks {b.Ho} * {b.Wo} = {b.Ho * b.Wo}, but "
                           f"got input.size(2)={x.shape[2]}.")
    out = Fold.apply(x, b)
    return out if input.ndim == 3 else out.squeeze(0)
