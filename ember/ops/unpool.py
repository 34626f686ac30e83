"""Max unpooling: the partial inverse of a max pool, from the indices ``max_pool*d(return_indices=True)`` gave.

    y = zeros(N, C, *output_size);  y[n, c].flat[idx[n, c, k]] = x[n, c, k]
    dL/dx[n, c, k] = dL/dy[n, c].flat[idx[n, c, k]]

The backward is a gather at the same positions (``pool.GatherIndices``), whose own derivative is the
scatter-add back, so every order of derivative works.
"""
import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import ntuple
from .pool import GatherIndices

__all__ = ["max_unpool1d", "max_unpool2d"]


class MaxUnpool(Op):
    """y.flat[idx] = x on zeros of ``shape`` (``idx`` global flat positions);  dL/dx = g.flat[idx]."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, idx, shape):
        ctx.idx, ctx.xshape = idx, x.shape
        out = np.zeros(int(np.prod(shape)), x.dtype)
        out[idx.reshape(-1)] = x.reshape(-1)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return GatherIndices.apply(grad, ctx.idx, ctx.xshape), None, None
        return grad.reshape(-1)[ctx.idx].reshape(ctx.xshape), None, None


def _output_size(input, kernel_size, stride, padding, output_size):
    n = len(kernel_size)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a length "
                         f"of '{len(output_size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return [int(s) for s in output_size]


def _unpool2d(name, input, indices, size):
    if not isinstance(indices, Tensor) or indices._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected indices to be an integer tensor (as returned by max_pool with "
                           f"return_indices=True), got {getattr(indices, 'dtype', type(indices).__name__)}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}: expected 3D or 4D input (batch mode) (4D for 2-D unpooling), but got input of "
                           f"shape {tuple(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({tuple(input.shape)}) "
                           f"but got indices tensor with shape: {tuple(indices.shape)}")
    H, W = size
    lead = input.shape[:-2]
    planes = int(np.prod(lead, dtype=np.int64))
    idx = indices._data.astype(np.int64).reshape(planes, -1)
    if idx.size and (idx.min() < 0 or idx.max() >= H * W):
        bad = int(idx.max() if idx.max() >= H * W else idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {H}x{W})")
    gidx = (idx + np.arange(planes, dtype=np.int64)[:, None] * (H * W)).reshape(input.shape)
    return MaxUnpool.apply(input, gidx, tuple(lead) + (H, W))


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of ``input`` (N, C, H, W) back at the position ``indices`` recorded by
    ``max_pool2d(..., return_indices=True)``; every other output element is zero.

    Example:
        >>> x = ember.randn(1, 1, 4, 4)
        >>> y, i = ember.nn.functional.max_pool2d(x, 2, return_indices=True)
        >>> ember.nn.functional.max_unpool2d(y, i, 2).shape
        ember.Size([1, 1, 4, 4])
    """
    k = ntuple(kernel_size, 2)
    s = ntuple(stride, 2) if stride is not None else k
    p = ntuple(padding, 2)
    return _unpool2d("max_unpool2d", input, indices, _output_size(input, k, s, p, output_size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of ``input`` (N, C, L) back at the position ``indices`` recorded by
    ``max_pool1d(..., return_indices=True)``; every other output element is zero.

    Example:
        >>> y, i = ember.nn.functional.max_pool1d(ember.randn(1, 2, 6), 2, return_indices=True)
        >>> ember.nn.functional.max_unpool1d(y, i, 2).shape
        ember.Size([1, 2, 6])
    """
    k = ntuple(kernel_size, 1)
    s = ntuple(stride, 1) if stride is not None else k
    p = ntuple(padding, 1)
    size = _output_size(input, k, s, p, output_size)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"max_unpool1d: expected 2D or 3D input (batch mode), but got input of shape "
                           f"{tuple(input.shape)}")
    out = _unpool2d("max_unpool1d", input.unsqueeze(-2), indices.unsqueeze(-2), (1, size[0]))
    return out.squeeze(-2)
