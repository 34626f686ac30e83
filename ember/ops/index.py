"""Indexing: ``t[...]`` and ``t[...] = v``, gather/scatter, index_select, masked_fill/masked_select,
repeat_interleave, one_hot.

Layer: above the elementwise families and views; below reduce, sorting, linalg and activation.
"""
import numbers

import numpy as np

from .._creation import tensor
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _State
from ..autograd.xp import array_namespace
from ._util import check_index_range, norm_dim, numpy_keywords
from .arithmetic import mul
from .views import expand, reshape

__all__ = ["getitem", "setitem", "gather", "scatter", "scatter_add", "index_select", "masked_fill",
           "take_along_dim", "take", "index_add", "one_hot", "index_put", "masked_select",
           "repeat_interleave", "put"]


def _index_key(key, shape=None):
    """Tensor indices to NumPy ones; report whether the key is basic (a view, no duplicates)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors "
                                 f"(got {k.dtype}); convert with .long()")
        if isinstance(k, (list, np.ndarray, range)):
            basic = False
            k = np.asarray(k)
            if k.dtype.kind == "f" and k.size == 0:  # x[[]]: an empty integer index
                k = k.astype(np.int64)
            elif k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(k, bool) or isinstance(k, np.bool_):
            basic = False
        elif not (k is None or k is Ellipsis or isinstance(k, (slice, numbers.Integral))):
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors "
                             f"are valid indices (got {type(k).__name__})")
        out.append(k)
    return tuple(out), basic


def _check_bounds(key, shape):
    dim = 0
    for k in key:
        if k is None:
            continue
        if k is Ellipsis:
            rest = sum(1 for x in key[key.index(Ellipsis) + 1:] if x is not None)
            dim = len(shape) - rest
            continue
        if isinstance(k, numbers.Integral) and not isinstance(k, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= k < shape[dim]:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif isinstance(k, np.ndarray) and k.dtype.kind in "iu" and dim < len(shape):
            check_index_range(k, shape[dim], lambda bad, d=dim: f"index {bad[0]} is out of bounds for dimension "
                              f"{d} with size {shape[d]}", negative=True, error=IndexError)
        dim += k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 1


class Index(Op):
    """out = a[key];  dL/da = zeros with g written (basic key) or added (advanced: repeats add up) at key"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, key, basic):
        ctx.shape, ctx.key, ctx.basic = a.shape, key, basic
        out = a[key]
        return out if basic else np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        return (xp.put if ctx.basic else xp.scatter_add)(ctx.shape, xp.asarray(grad).dtype, ctx.key, grad)


class _BasicIndex(Index):
    backward_name = "SliceBackward0"
    is_view = True


class _SelectIndex(_BasicIndex):
    backward_name = "SelectBackward0"


class _UnsqueezeIndex(_BasicIndex):
    backward_name = "UnsqueezeBackward0"


def _basic_kind(key):
    """torch names basic indexing after its last real step: an int selects, a slice slices."""
    for k in reversed(key):
        if isinstance(k, slice):
            if k == slice(None):
                continue
            return _BasicIndex
        if k is None or k is Ellipsis:
            continue
        return _SelectIndex
    return _UnsqueezeIndex if any(k is None for k in key) else _BasicIndex


class _AdvancedIndex(Index):
    backward_name = "IndexBackward0"


def getitem(input, key):
    """``input[key]``: ints, slices, None, Ellipsis, integer/bool tensors."""
    if type(key) is int:  # fast path: t[i], as a Dataset's __getitem__ does per sample
        shape = input._data.shape
        if shape and -shape[0] <= key < shape[0]:
            if not input.requires_grad:
                if len(shape) == 1:
                    return _wrap(np.asarray(input._data[key]))
                out = _wrap(input._data[key])
                out._vc = input._vc  # a view: in-place writes show in both
                return out
            return _SelectIndex.apply(input, (key,), True)
    key, basic = _index_key(key)
    _check_bounds(key, input._data.shape)
    if basic:
        return _basic_kind(key).apply(input, key, True)
    return _AdvancedIndex.apply(input, key, False)


def _written(a, key, values, accumulate):
    """A copy of ``a`` with ``values`` put at ``key``: added (repeats accumulate) or overwritten."""
    out = a.copy()
    if accumulate:
        np.add.at(out, key, values)
    else:
        out[key] = values
    return out


def _unwritten_grad(grad, key, accumulate):
    """The gradient reaching the tensor written into: none where its values were overwritten."""
    xp = array_namespace(grad)
    if accumulate:
        return grad
    if xp.graph:
        keep = np.ones(tuple(grad.shape), bool)
        keep[key] = False
        return xp.where(keep, grad, 0.0)
    g = grad.copy()
    g[key] = 0
    return g


def _taken(grad, key):
    """``grad[key]`` (an array even where NumPy gives a scalar)."""
    g = grad[key]
    return g if array_namespace(grad).graph else np.asarray(g)


class IndexPut(Op):
    """out = a with v written (or added, ``accumulate``) at key;
    dL/da = g, zero where overwritten;  dL/dv = g[key]"""
    backward_name = "IndexPutBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, value, key, accumulate):
        ctx.key = key
        v = value if isinstance(value, np.ndarray) else np.asarray(value, a.dtype)
        ctx.vshape = v.shape
        ctx.accumulate = accumulate
        return _written(a, key, v, accumulate)

    @staticmethod
    def backward(ctx, grad):
        ga = _unwritten_grad(grad, ctx.key, ctx.accumulate) if ctx.needs_input_grad[0] else None
        gv = _taken(grad, ctx.key) if ctx.needs_input_grad[1] else None
        return ga, gv


def setitem(input, key, value):
    """``input[key] = value`` in place; differentiable with respect to both."""
    key, basic = _index_key(key)
    _check_bounds(key, input._data.shape)
    if isinstance(value, (list, tuple)):
        value = tensor(value, dtype=input.dtype)
    vreq = isinstance(value, Tensor) and value.requires_grad
    if _State.enabled and (input.requires_grad or vreq):
        if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        input._inplace_from(IndexPut.apply(input, value, key, False))
        return
    input._check_inplace()
    input._data[key] = value._data if isinstance(value, Tensor) else value
    input._vc[0] += 1


def index_put(input, indices, values, accumulate=False):
    key, _ = _index_key(tuple(indices))
    _check_bounds(key, input._data.shape)
    return IndexPut.apply(input, values, key, accumulate)


def _along(index, dim, shape):
    """Full index tuple for take/put along ``dim`` with an index shaped like the output."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)]) if index.ndim else []
    grids[dim] = index
    return tuple(grids)


def _check_index(name, input, dim, index):
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}; convert with .long()")
    if index._data.ndim != input._data.ndim and input._data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"({name}: index has {index._data.ndim}, input has {input._data.ndim})")
    _check_dim_range(name, index._data, input._data.shape[dim] if input._data.ndim else 1, dim)


def _check_dim_range(name, idx, n, dim, error=RuntimeError):
    """PyTorch's bounds check of gather, scatter, index_add, ...: an index in [0, n), negatives refused."""
    check_index_range(idx, n, lambda bad: f"{name}(): index {bad[0]} is out of bounds for dimension {dim} with "
                      f"size {n} (valid indices are 0..{n - 1}; {name} does not count negative indices from the end)",
                      error=error)


class Gather(Op):
    """out = a at ``index`` along ``dim``;  dL/da = zeros with g added at those positions (scatter_add)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim, index):
        key = _along(index, dim, a.shape)
        ctx.shape, ctx.key = a.shape, key
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        return xp.scatter_add(ctx.shape, xp.asarray(grad).dtype, ctx.key, grad)


@numpy_keywords
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[index[i][j]][j]`` for dim=0 (and so on)."""
    if sparse_grad:
        raise NotImplementedError("gather(sparse_grad=True) is not supported by ember (it has no sparse tensors); "
                                  "leave sparse_grad False for a dense gradient")
    d = norm_dim(dim, input._data.ndim)
    _check_index("gather", input, d, index)
    return Gather.apply(input, d, index._data)


@numpy_keywords
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    d = norm_dim(dim, input._data.ndim)
    shape = list(np.broadcast_shapes(input._data.shape[:d] + (1,) + input._data.shape[d + 1:],
                                     indices._data.shape[:d] + (1,) + indices._data.shape[d + 1:]))
    ishape = list(shape)
    ishape[d] = indices._data.shape[d]
    shape[d] = n = input._data.shape[d]
    idx = indices._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"take_along_dim(): dtype of indices should be Long but got {indices.dtype}")
    if idx.size and not (idx.min() >= 0 and idx.max() < n):   # PyTorch takes every index modulo the size
        if n == 0:
            raise RuntimeError(f"take_along_dim(): indices into dimension {d} of size 0 (input shape "
                               f"{tuple(input._data.shape)}); there is nothing to take")
        idx = np.remainder(idx, n)
    return gather(expand(input, *shape), d, _wrap(np.broadcast_to(idx, ishape)))


def _flat_index(name, input, index):
    """The index of take/put: long, within [-numel, numel) (negatives count from the end), wrapped."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {index.dtype}; convert with .long()")
    n = input._data.size
    if n == 0 and idx.size:
        raise IndexError(f"{name}(): Tried to {'put elements into' if name == 'put_' else 'take from'} an empty tensor")
    check_index_range(idx, n, lambda bad: f"out of range: tried to access index {bad[0]} on a tensor of {n} "
                      f"elements (valid indices are {-n}..{n - 1})", negative=True, error=IndexError)
    return idx


def take(input, index):
    """The elements of ``input`` (read as 1-D) at ``index``; negative indices count from the end.

    Example:
        >>> ember.take(ember.tensor([[1, 2], [3, 4]]), ember.tensor([0, -1]))
        tensor([1, 4])
    """
    idx = _flat_index("take", input, index)
    return getitem(reshape(input, -1), _wrap(idx))


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written (or added, ``accumulate``) at ``index``, reading
    ``input`` as 1-D; negative indices count from the end. ``Tensor.put_`` writes in place.

    Example:
        >>> ember.zeros(2, 2).put(ember.tensor([0, -1]), ember.tensor([5., 6.]))
        tensor([[5., 0.],
                [0., 6.]])
    """
    idx = _flat_index("put_", input, index)
    if idx.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {idx.size}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{input.dtype} and source.dtype = {source.dtype}")
    flat = IndexPut.apply(reshape(input, -1), reshape(source, -1), (idx.reshape(-1),), bool(accumulate))
    return reshape(flat, *input._data.shape)


class Scatter(Op):
    """out = a with src written (or added) at ``index`` along ``dim``;
    dL/da = g, zero where overwritten;  dL/dsrc = g at those positions (gather)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, src, dim, index, reduce_add):
        key = _along(index, dim, a.shape)
        s = src[tuple(slice(0, n) for n in index.shape)] if isinstance(src, np.ndarray) and src.ndim else src
        ctx.key, ctx.reduce_add, ctx.index_shape = key, reduce_add, index.shape
        ctx.src_shape = src.shape if isinstance(src, np.ndarray) else None
        return _written(a, key, s, reduce_add)

    @staticmethod
    def backward(ctx, grad):
        ga = _unwritten_grad(grad, ctx.key, ctx.reduce_add) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            xp = array_namespace(grad)
            gs = xp.put(ctx.src_shape, xp.asarray(grad).dtype, tuple(slice(0, n) for n in ctx.index_shape),
                        grad[ctx.key])
        return ga, gs


class ScatterAdd(Scatter):
    pass


@numpy_keywords
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Write ``src`` (or ``value``) into a copy of ``input`` at ``index`` along ``dim``."""
    d = norm_dim(dim, input._data.ndim)
    _check_index("scatter", input, d, index)
    if src is None:
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply. (got reduce={reduce!r}; "
                           "scatter_reduce has sum, prod, mean, amax and amin)")
    if reduce == "multiply":
        raise NotImplementedError("scatter(reduce='multiply') is not supported by ember; use "
                                  "scatter_reduce(dim, index, src, 'prod') (the same numbers for a tensor src)")
    return (ScatterAdd if reduce == "add" else Scatter).apply(input, src, d, index._data, reduce == "add")


@numpy_keywords
def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (repeats accumulate)."""
    d = norm_dim(dim, input._data.ndim)
    _check_index("scatter_add", input, d, index)
    return ScatterAdd.apply(input, src, d, index._data, True)


class IndexSelect(Op):
    """out = a at the 1-D ``index`` along ``dim``;  dL/da = zeros with g added at index (repeats add up)"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        return np.take(a, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        key = (slice(None),) * ctx.dim + (ctx.index,)
        return xp.scatter_add(ctx.shape, xp.asarray(grad).dtype, key, grad)


@numpy_keywords
def index_select(input, dim, index):
    """Entries of ``input`` along ``dim`` at the 1-D ``index``."""
    d = norm_dim(dim, input._data.ndim)
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise IndexError(f"index_select(): Expected dtype int32/int64 for index, got {index.dtype}")
    n = input._data.shape[d] if input._data.ndim else 1
    check_index_range(idx, n, lambda bad: f"index out of range in self: index_select(): index {bad[0]} is out of "
                      f"range for dimension {d} with size {n} (valid indices are 0..{n - 1}; negative indices do "
                      f"not count from the end)", error=IndexError)
    return IndexSelect.apply(input, d, idx.reshape(-1))


@numpy_keywords
def index_add(input, dim, index, source, *, alpha=1):
    d = norm_dim(dim, input._data.ndim)
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index, got {index.dtype}")
    _check_dim_range("index_add", index._data, input._data.shape[d] if input._data.ndim else 1, d)
    src = mul(source, alpha) if alpha != 1 else source
    key = (slice(None),) * d + (index._data,)
    return IndexPut.apply(input, src, key, True)


class MaskedFill(Op):
    """out = where(mask, value, a);  dL/da = where(mask, 0, g),  dL/dvalue = sum of g where mask"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value, a.dtype), a)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        g = xp.where(ctx.mask, 0.0, grad) if ctx.needs_input_grad[0] else None
        return g, None, (xp.sum(xp.where(ctx.mask, grad, 0.0)) if ctx.needs_input_grad[2] else None)


def masked_fill(input, mask, value):
    """A copy with ``value`` wherever the bool ``mask`` (broadcastable) is True."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
    try:
        if np.broadcast_shapes(m.shape, input._data.shape) != input._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"masked_fill: the mask of shape {tuple(m.shape)} must be broadcastable to the input "
                           f"of shape {tuple(input._data.shape)}") from None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if not value.requires_grad:
            value = value.item()
    return MaskedFill.apply(input, m, value)


def masked_select(input, mask):
    """The elements of ``input`` where the bool ``mask`` (broadcast with it) is True, as a 1-D tensor."""
    m = np.broadcast_to(mask._data, np.broadcast_shapes(mask._data.shape, input._data.shape))
    return getitem(expand(input, *m.shape), _wrap(m))


@numpy_keywords
def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int or one count per element) along ``dim``.

    ``output_size``, if given, must be the length of the result along ``dim`` (as PyTorch checks).

    Example:
        >>> ember.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
    """
    if dim is None:
        input, d = reshape(input, -1), 0
    else:
        d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.ndim and reps.shape[0] != n:
        raise RuntimeError(f"repeats must have the same size as input along dim {d}: got {reps.shape[0]} "
                           f"repeats for size {n}")
    if input._data.ndim == 0:
        input = reshape(input, 1)
    idx = np.repeat(np.arange(n), reps).astype(np.int64)
    if output_size is not None and output_size != idx.size:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {idx.size} but got {output_size}")
    return index_select(input, d, _wrap(idx))


def one_hot(tensor, num_classes=-1):
    """Class indices (int64) to one-hot rows (int64), as ``torch.nn.functional.one_hot``."""
    if tensor._data.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor (got {tensor.dtype})")
    idx = tensor._data
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    check_index_range(idx, num_classes, lambda bad: f"Class values must be "
                      f"{'non-negative' if bad[0] < 0 else 'smaller than num_classes'}. one_hot: class values must be "
                      f"in 0..{num_classes - 1} (num_classes={num_classes}), got {bad[0]}")
    out = np.zeros(idx.shape + (num_classes,), np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return _wrap(out)
