"""PyTorch's remaining index writes: ``index_fill``, ``index_copy``, ``masked_scatter`` (composed from
masked_fill / index_put) and ``scatter_reduce`` (one op).

scatter_reduce: ``out[..., index[i], ...] = reduce(out[...], src[i])`` along ``dim`` for every
position of ``index``, starting from ``input`` (``include_self=True``) or from the reduction's identity
at the positions written to (``include_self=False``). Its gradient is linear in g with weights fixed in
forward:

    sum   dL/dinput = g (0 where written, if not include_self)   dL/dsrc = g[index]
    mean  both divided by the number of values reduced into the position
    amax/amin  g shared evenly among the values equal to the result (ties split it)
    prod  g times the product of the other values reduced into that position

prod's gradient is not linear in the inputs; differentiated again (``create_graph=True``) it is PyTorch's
formula composed of differentiable ops: with ``m`` the input with its zeros replaced by 1,

    dL/dinput = g * scatter_reduce(m, src) / m
    dL/dsrc   = (g * out)[index] / src                                  where src != 0
              = (g * scatter_reduce(input, src with that zero set to 1))[index]  at a group's only zero
              = 0                                     at a zero sharing its group with other zeros of src

and, as in PyTorch, differentiating dL/dsrc once more raises where a group holds several zeros of src.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from .. import _dtype
from ._util import check_index_range, norm_dim
from .arithmetic import div, mul
from .clamp_where import where
from .index import IndexPut, _along, _check_index, gather, getitem, masked_fill
from .views import broadcast_to, flatten

__all__ = ["index_fill", "index_copy", "masked_scatter", "scatter_reduce", "index_reduce"]


def _vector_index(name, input, d, index, negative):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype != np.int64:
        raise IndexError(f"{name}_(): Expected dtype int64 for index (got {index.dtype}; convert with .long())")
    if index._data.ndim > 1:
        raise IndexError(f"{name}_(): Index is supposed to be a vector, got shape {list(index._data.shape)}")
    n = input._data.shape[d] if input._data.ndim else 1
    idx = index._data.reshape(-1)
    low = -n if negative else 0
    check_index_range(idx, n, lambda bad: f"{name}_(): index {bad[0]} is out of bounds for dimension {d} with size "
                      f"{n} (valid indices are {low}..{n - 1})", negative=negative, error=IndexError)
    return np.where(idx < 0, idx + n, idx) if negative else idx


def index_fill(input, dim, index, value):
    """A copy with ``value`` at the positions ``index`` along ``dim`` (a number or a 0-d tensor).

    Example:
        >>> ember.zeros(2, 3).index_fill(1, ember.tensor([0, 2]), 1.0)
        tensor([[1., 0., 1.],
                [1., 0., 1.]])
    """
    nd = input._data.ndim
    d = norm_dim(dim, max(nd, 1))
    idx = _vector_index("index_fill", input, d, index, negative=True)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    shape = [1] * nd
    if nd:
        shape[d] = input._data.shape[d]
    mask = np.zeros(shape, np.bool_)
    mask[(0,) * d + (idx,) + (0,) * (nd - d - 1) if nd else ()] = idx.size > 0
    return masked_fill(input, _wrap(mask), value)


def index_copy(input, dim, index, source):
    """A copy with the slices of ``source`` written at the positions ``index`` along ``dim``.

    Example:
        >>> ember.zeros(2, 3).index_copy(1, ember.tensor([2, 0]), ember.ones(2, 2))
        tensor([[1., 0., 1.],
                [1., 0., 1.]])
    """
    nd = input._data.ndim
    d = norm_dim(dim, max(nd, 1))
    idx = _vector_index("index_copy", input, d, index, negative=False)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{input.dtype} and (source) {source.dtype}")
    src_n = source._data.shape[d] if source._data.ndim else 1
    if idx.size != src_n:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({src_n})")
    want = input._data.shape[:d] + (idx.size,) + input._data.shape[d + 1:] if nd else (idx.size,) * source._data.ndim
    if tuple(source._data.shape) != tuple(want):
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes: source "
                           f"{list(source._data.shape)}, expected {list(want)}")
    if not nd:
        return IndexPut.apply(input, source.reshape(()) if source._data.ndim else source, (), False)
    return IndexPut.apply(input, source, (slice(None),) * d + (idx,), False)


def masked_scatter(input, mask, source):
    """A copy with the first elements of ``source`` (row-major order) written where ``mask`` is True.

    Example:
        >>> ember.zeros(4).masked_scatter(ember.tensor([True, False, True, False]), ember.tensor([1., 2.]))
        tensor([1., 0., 2., 0.])
    """
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_dtype.from_numpy_dtype(m.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got "
                           f"{input.dtype} and {source.dtype}")
    try:
        shape = np.broadcast_shapes(m.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"masked_scatter: the mask of shape {list(m.shape)} and the input of shape "
                           f"{list(input._data.shape)} are not broadcastable") from None
    m = np.broadcast_to(m, shape)
    k = int(m.sum())
    if k > source._data.size:
        raise RuntimeError(f"Number of elements of source < number of ones in mask (source has "
                           f"{source._data.size}, mask has {k} ones)")
    x = input if input._data.shape == shape else broadcast_to(input, shape)
    values = getitem(flatten(source), slice(0, k))
    return IndexPut.apply(x, values, (np.ascontiguousarray(m),), False)


# -- scatter_reduce -----------------------------------------------------------------------------
_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
_ALIASES = {"max": "amax", "min": "amin"}        # PyTorch accepts these too


def _identity(reduce, dt):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dt.kind == "f" else (np.iinfo(dt).max if dt.kind in "iu" else True)
    small = -np.inf if dt.kind == "f" else (np.iinfo(dt).min if dt.kind in "iu" else False)
    return small if reduce == "amax" else big


def _scatter_weights(a, s, out, key, reduce, include_self):
    """(weight of g for each input element, weight of g[key] for each src element)."""
    written = np.zeros(a.shape, np.bool_)
    written[key] = True
    own = np.ones(a.shape) if include_self else (~written).astype(np.float64)
    if reduce == "sum":
        return own, np.ones(s.shape)
    if reduce == "mean":
        count = own.copy()
        np.add.at(count, key, 1.0)
        count = np.maximum(count, 1.0)
        return own / count, 1.0 / count[key]
    if reduce in ("amax", "amin"):
        self_hit = (a == out).astype(np.float64)   # counted among the ties even when not included (as torch)
        src_hit = (s == out[key]).astype(np.float64)
        ties = self_hit.copy()
        np.add.at(ties, key, src_hit)
        ties = np.maximum(ties, 1.0)
        return own * self_hit / ties, src_hit / ties[key]
    # prod: the product of the other values reduced into each position (exact where one is zero)
    zeros = np.where(own > 0, a == 0, False).astype(np.int64)
    np.add.at(zeros, key, (s == 0).astype(np.int64))
    nz = np.where((own > 0) & (a != 0), a, 1).astype(np.float64)
    np.multiply.at(nz, key, np.where(s != 0, s, 1).astype(np.float64))

    def others(v, z, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v != 0, np.where(z == 0, p / np.where(v != 0, v, 1), 0.0), np.where(z == 1, p, 0.0))
    return own * others(a, zeros, nz), others(s, zeros[key], nz[key])


class ScatterReduce(Op):
    """out = input with src reduced in at ``index`` along ``dim``; gradients: see the module docstring"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, src, dim, index, reduce, include_self):
        key = _along(index, dim, a.shape)
        s = src[tuple(slice(0, n) for n in index.shape)]
        out = a.copy()
        if not include_self:
            out[key] = _identity(reduce, a.dtype)
        _UFUNC[reduce].at(out, key, s)
        if reduce == "mean":
            count = np.full(a.shape, 1 if include_self else 0, np.int64)
            np.add.at(count, key, 1)
            count = np.maximum(count, 1)
            out = out / count if a.dtype.kind == "f" else np.floor_divide(out, count).astype(a.dtype)
            out = out.astype(a.dtype, copy=False)
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.key, ctx.src_shape = key, src.shape
            ctx.index_shape = index.shape
            wa, ws = _scatter_weights(a, s, out, key, reduce, include_self)
            ctx.wa, ctx.ws = wa.astype(a.dtype), ws.astype(a.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        ga = grad * ctx.wa if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            gs = xp.put(ctx.src_shape, xp.asarray(grad).dtype, tuple(slice(0, n) for n in ctx.index_shape),
                        grad[ctx.key] * ctx.ws)
        return ga, gs


class ScatterReduceProd(ScatterReduce):
    """scatter_reduce(reduce='prod'): first order from the weights fixed in forward (NumPy); with
    ``create_graph=True`` PyTorch's formula (module docstring) on Tensors, so it is differentiable again"""

    @staticmethod
    def forward(ctx, a, src, dim, index, reduce, include_self):
        ctx.save_for_backward(a, src)
        ctx.dim, ctx.index, ctx.include_self = dim, index, include_self
        return ScatterReduce.forward(ctx, a, src, dim, index, reduce, include_self)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        if not xp.graph:
            return ScatterReduce.backward(ctx, grad)
        a, src = ctx.saved_tensors
        dim, index, include_self = ctx.dim, _wrap(ctx.index), ctx.include_self
        part = tuple(slice(0, n) for n in ctx.index_shape)
        s = src if tuple(src.shape) == tuple(ctx.index_shape) else getitem(src, part)
        ga = gs = None
        if ctx.needs_input_grad[0]:
            m = masked_fill(a, _wrap(a._data == 0), 1.0)
            ga = mul(grad, div(scatter_reduce(m, dim, index, s, "prod", include_self=include_self), m))
            if not include_self:
                written = np.zeros(a.shape, np.bool_)
                written[ctx.key] = True
                ga = masked_fill(ga, _wrap(written), 0.0)
        if ctx.needs_input_grad[1]:
            zero = s._data == 0
            zeros = np.zeros(a.shape, np.int64)
            np.add.at(zeros, ctx.key, zero)
            group_zeros = zeros[ctx.key]
            only = _wrap(zero & (group_zeros == 1))
            out = scatter_reduce(a, dim, index, s, "prod", include_self=include_self)
            others = scatter_reduce(a, dim, index, masked_fill(s, only, 1.0), "prod", include_self=include_self)
            gs = where(only, gather(mul(grad, others), dim, index),
                       div(gather(mul(grad, out), dim, index), masked_fill(s, _wrap(zero), 1.0)))
            if (group_zeros > 1).any():
                gs = _DelayedError.apply(gs, "scatter_reduce(): Double backward is unsupported for src when >1 "
                                         "zeros in src are scattered to the same position in self")
            if tuple(src.shape) != tuple(ctx.index_shape):
                gs = xp.put(ctx.src_shape, gs._data.dtype, part, gs)
        return ga, gs


class _DelayedError(Op):
    """Passes a gradient through; differentiating it raises ``message`` (PyTorch's DelayedError node:
    the error comes only if a later backward reaches it)."""
    differentiable_backward = True     # its backward is the error, with or without create_graph

    @staticmethod
    def forward(ctx, g, message):
        ctx.message = message
        return g

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(ctx.message)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into a copy of ``input`` at ``index`` along ``dim``: 'sum', 'prod', 'mean', 'amax' or 'amin'.

    Example:
        >>> ember.zeros(3).scatter_reduce(0, ember.tensor([0, 0, 2]), ember.tensor([1., 3., 5.]), "amax")
        tensor([3., 0., 5.])
    """
    reduce = _ALIASES.get(reduce, reduce)
    if reduce not in _UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = norm_dim(dim, max(input._data.ndim, 1))
    _check_index("scatter_reduce", input, d, index)
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"scatter_reduce(): Expected self.dtype to be equal to src.dtype (got {input.dtype} "
                           f"and {src.dtype}; cast src with .to(input.dtype))")
    if any(i > s for i, s in zip(index._data.shape, src._data.shape)):
        raise RuntimeError(f"Expected index {list(index._data.shape)} to be smaller than src "
                           f"{list(src._data.shape)} apart from dimension {d}")
    op = ScatterReduceProd if reduce == "prod" else ScatterReduce
    return op.apply(input, src, d, index._data, reduce, bool(include_self))


class IndexReduce(ScatterReduce):
    backward_name = "IndexReduceBackward0"


class IndexReduceProd(ScatterReduceProd):
    backward_name = "IndexReduceBackward0"


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of ``source`` into a copy of ``input`` at the positions ``index`` (1-D) along
    ``dim``: 'prod', 'mean', 'amax' or 'amin' (``scatter_reduce`` with the index spread over the slice).

    Example:
        >>> ember.ones(3, 2).index_reduce(0, ember.tensor([0, 0]), ember.tensor([[2., 3.], [4., 5.]]), "prod")
        tensor([[ 8., 15.],
                [ 1.,  1.],
                [ 1.,  1.]])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if not isinstance(index, Tensor):
        raise TypeError(f"index_reduce(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {index.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim} with size "
                         f"{list(idx.shape)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({input.dtype}) and source ({source.dtype}) must have the same "
                           "scalar type; cast source with .to(self.dtype)")
    nd = input._data.ndim
    d = norm_dim(dim, max(nd, 1))
    xs, ss = input._data.shape, source._data.shape
    if len(ss) != nd or any(a != b for i, (a, b) in enumerate(zip(xs, ss)) if i != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(xs)} source.shape = {list(ss)}")
    idx = idx.reshape(-1)
    if idx.size != (ss[d] if nd else 1):
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({ss[d] if nd else 1}), for dim: {d}")
    n = xs[d] if nd else 1
    check_index_range(idx, n, lambda bad: f"index out of range in self: index_reduce(): index {bad[0]} is out of "
                      f"range for dimension {d} with size {n} (valid indices are 0..{n - 1})", error=IndexError)
    x, src = (input, source) if nd else (input.reshape(1), source.reshape(1))
    spread = np.ascontiguousarray(np.broadcast_to(
        idx.astype(np.int64).reshape([-1 if i == d else 1 for i in range(max(nd, 1))]), src._data.shape))
    op = IndexReduceProd if reduce == "prod" else IndexReduce
    out = op.apply(x, src, d, spread, reduce, bool(include_self))
    return out if nd else out.reshape(())
