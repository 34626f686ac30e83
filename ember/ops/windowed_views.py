"""``Tensor.unfold`` (sliding windows along one dim) and the ``*_scatter`` family
(``slice_scatter``, ``select_scatter``, ``diagonal_scatter``): each is a fixed linear map, so each
op's backward is its adjoint op and every order of derivative works.

``x.unfold(d, size, step)``: dim ``d`` (length L) becomes ``n = (L - size) // step + 1`` windows and a
new last dim of ``size`` holds each window: ``out[..., i, ..., k] = x[..., i * step + k, ...]``.
Its adjoint (``UnfoldBackward``) adds every window's values back at their positions.

``*_scatter(input, src, ...)``: ``input`` with the selected positions replaced by ``src``;
``d/dinput`` is the gradient with those positions zeroed, ``d/dsrc`` the gradient at them.
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace
from .._creation import tensor
from ._util import norm_dim as _dim_arg
from .index import take

__all__ = ["tensor_unfold", "slice_scatter", "select_scatter", "diagonal_scatter"]


def _windows(a, dim, size, step):
    w = np.lib.stride_tricks.sliding_window_view(a, size, axis=dim)
    key = [slice(None)] * a.ndim
    key[dim] = slice(None, None, step)
    return w[tuple(key)]


def _unwindow(g, shape, dim, size, step):
    out = np.zeros(shape, g.dtype)
    n = g.shape[dim]
    for k in range(size):
        key = [slice(None)] * len(shape)
        key[dim] = slice(k, k + step * (n - 1) + 1, step)
        out[tuple(key)] += g[..., k]
    return out


class TensorUnfold(Op):
    """Windows of ``size`` every ``step`` along ``dim`` (see the module docstring)."""
    backward_name = "UnfoldBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim, size, step):
        ctx.geom = (a.shape, dim, size, step)
        return _windows(a, dim, size, step)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return UnfoldBackward.apply(grad, *ctx.geom), None, None, None
        return _unwindow(grad, *ctx.geom), None, None, None


class UnfoldBackward(Op):
    """The adjoint of ``TensorUnfold``: windows added back in place; its backward is the unfold."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.geom = (dim, size, step)
        return _unwindow(g, shape, dim, size, step)

    @staticmethod
    def backward(ctx, grad):
        if array_namespace(grad).graph:
            return TensorUnfold.apply(grad, *ctx.geom), None, None, None, None
        return np.ascontiguousarray(_windows(grad, *ctx.geom)), None, None, None, None


def tensor_unfold(input, dimension, size, step):
    """``x.unfold(dimension, size, step)``: every window of ``size`` elements, ``step`` apart, along
    ``dimension``, as a new last dim (a 0-d tensor counts as 1-d).

    Example: ``ember.arange(5.).unfold(0, 2, 2)`` is ``tensor([[0., 1.], [2., 3.]])``."""
    if input.ndim == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return input.reshape(1)
    dim = _dim_arg(dimension, input.ndim)
    length = input.shape[dim]
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return TensorUnfold.apply(input, dim, int(size), int(step))


class ScatterAt(Op):
    """``input`` with the flat positions ``pos`` (shaped as ``src``) replaced by ``src``."""
    backward_name = "ScatterBackward"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, src, pos, mask):
        ctx.pos, ctx.mask = pos, mask
        out = np.array(a, copy=True, order="C")
        out.reshape(-1)[pos.reshape(-1)] = np.broadcast_to(src, pos.shape).reshape(-1)
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        ga = xp.where(ctx.mask, 0.0, grad) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            gs = take(grad, tensor(ctx.pos)) if xp.graph else grad.reshape(-1)[ctx.pos]
        return ga, gs, None, None


def _scatter(name, input, src, pos):
    if tuple(src.shape) != pos.shape:
        raise RuntimeError(f"{name}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(pos.shape)}")
    if src.dtype != input.dtype:
        raise RuntimeError(f"{name}: expected src to have the dtype of input ({input.dtype}), got {src.dtype}")
    mask = np.zeros(input.shape, bool)
    mask.reshape(-1)[pos.reshape(-1)] = True
    return ScatterAt.apply(input, src, pos, mask)


def _positions(input):
    return np.arange(int(np.prod(input.shape)), dtype=np.int64).reshape(tuple(input.shape))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``.

    Example: ``ember.slice_scatter(ember.zeros(4), ember.ones(2), start=2)`` is ``tensor([0., 0., 1., 1.])``."""
    dim = _dim_arg(dim, input.ndim)
    key = [slice(None)] * input.ndim
    key[dim] = slice(start, end, step)
    return _scatter("slice_scatter", input, src, _positions(input)[tuple(key)])


def select_scatter(input, src, dim, index):
    """``input`` with ``input.select(dim, index)`` replaced by ``src`` (one dim fewer than input)."""
    dim = _dim_arg(dim, input.ndim)
    n = input.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select_scatter(): index {index} out of range for tensor of size {list(input.shape)} "
                         f"at dimension {dim}")
    return _scatter("select_scatter", input, src, np.take(_positions(input), index, axis=dim))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    d1, d2 = _dim_arg(dim1, input.ndim), _dim_arg(dim2, input.ndim)
    return _scatter("diagonal_scatter", input, src, np.diagonal(_positions(input), offset, d1, d2))
