"""Shape ops: reshape/view, permute/transpose, squeeze/unsqueeze, expand/repeat, flip, cat/stack,
split/chunk/unbind, narrow, movedim, tril/triu/diagonal. Views share the input's version counter.

Layer: below index, reduce, linalg and activation (which build on these); sorting is in reduce,
masked_select and repeat_interleave in index.
"""
import numbers

import numpy as np

from .._dtype import _promote
from .._tensor import _wrap
from ..autograd.function import Op
from ._cast import to_dtype
from ._util import norm_dim, size_args

__all__ = ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
           "swapaxes", "swapdims", "t", "expand", "expand_as", "repeat", "tile", "flip", "fliplr",
           "flipud", "roll", "narrow", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
           "split", "chunk", "unbind", "movedim", "moveaxis", "view_as", "reshape_as", "ravel",
           "broadcast_to", "atleast_1d", "atleast_2d", "select", "tensor_split", "meshgrid",
           "tril", "triu", "diag", "diagonal", "unique", "nonzero", "clone"]


def _infer_shape(shape, numel, src_shape):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred (more than one -1 in the shape)")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                               f"(input shape {tuple(src_shape)})")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {tuple(src_shape)})")
    return tuple(shape)


class Reshape(Op):
    backward_name = "ViewBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Squeeze(Reshape):
    backward_name = "SqueezeBackward0"


class SqueezeDim(Reshape):
    backward_name = "SqueezeBackward1"


class Unsqueeze(Reshape):
    backward_name = "UnsqueezeBackward0"


def reshape(input, *shape):
    """Same data in a new shape (one dim may be -1)."""
    shape = _infer_shape(size_args(shape), input._data.size, input._data.shape)
    return Reshape.apply(input, shape)


def view(input, *shape):
    """Like ``reshape``; ``view(dtype)`` is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral)):
        raise NotImplementedError("view(dtype) is not supported by ember; use .to(dtype)")
    shape = _infer_shape(size_args(shape), input._data.size, input._data.shape)
    try:
        np.reshape(input._data, shape, copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return Reshape.apply(input, shape)


def view_as(input, other):
    return view(input, *other._data.shape)


def reshape_as(input, other):
    return reshape(input, *other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = norm_dim(start_dim, nd), norm_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input._data.shape
    return reshape(input, *(shp[:s] + (-1,) + shp[e + 1:])) if input._data.size else \
        reshape(input, *(shp[:s] + (int(np.prod(shp[s:e + 1])),) + shp[e + 1:]))


def ravel(input):
    return reshape(input, -1)


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes``."""
    d = norm_dim(dim, input._data.ndim)
    shp = input._data.shape
    sizes = tuple(sizes)
    if -1 in sizes:
        sizes = _infer_shape(sizes, shp[d], (shp[d],))
    if int(np.prod(sizes)) != shp[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shp[d]}) in the input tensor")
    return reshape(input, *(shp[:d] + sizes + shp[d + 1:]))


def squeeze(input, dim=None):
    """Drop dims of size 1 (all, or those in ``dim``)."""
    shp = input._data.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = {norm_dim(d, len(shp)) for d in ((dim,) if isinstance(dim, numbers.Integral) else dim)}
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return (Squeeze if dim is None else SqueezeDim).apply(input, new)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at ``dim``."""
    nd = input._data.ndim
    d = norm_dim(dim, nd + 1)
    shp = input._data.shape
    return Unsqueeze.apply(input, shp[:d] + (1,) + shp[d:])


class Permute(Op):
    is_view = True

    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(np.argsort(ctx.axes))


class Transpose(Permute):
    pass


class T(Permute):
    backward_name = "TBackward0"


def permute(input, *dims):
    """Reorder dims."""
    dims = size_args(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                           f"to len(dims) = {len(dims)}")
    axes = tuple(norm_dim(d, nd) for d in dims)
    if len(set(axes)) != nd:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {dims})")
    return Permute.apply(input, axes)


def transpose(input, dim0, dim1):
    """Swap two dims."""
    nd = input._data.ndim
    if nd == 0:
        return Transpose.apply(input, ())
    axes = list(range(nd))
    d0, d1 = norm_dim(dim0, nd), norm_dim(dim1, nd)
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Transpose.apply(input, tuple(axes))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return T.apply(input, (1, 0) if input._data.ndim == 2 else tuple(range(input._data.ndim)))


def movedim(input, source, destination):
    nd = input._data.ndim
    src = [source] if isinstance(source, numbers.Integral) else list(source)
    dst = [destination] if isinstance(destination, numbers.Integral) else list(destination)
    src = [norm_dim(s, nd) for s in src]
    dst = [norm_dim(d, nd) for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


class Expand(Op):
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine sums it back to the input's shape


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = size_args(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shp)})")
    lead = len(sizes) - len(shp)
    out = []
    for i, s in enumerate(sizes):
        cur = shp[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = cur
        elif cur is not None and cur != 1 and cur != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shp)}")
        out.append(s)
    return Expand.apply(input, tuple(out))


def expand_as(input, other):
    return expand(input, *other._data.shape)


def broadcast_to(input, size):
    return expand(input, *size)


class Repeat(Op):
    @staticmethod
    def forward(ctx, a, reps):
        lead = len(reps) - a.ndim
        shp = (1,) * lead + a.shape
        ctx.shp, ctx.reps = shp, reps
        return np.tile(a.reshape(shp), reps)

    @staticmethod
    def backward(ctx, grad):
        inter = []
        for r, s in zip(ctx.reps, ctx.shp):
            inter += [r, s]
        g = grad.reshape(inter).sum(axis=tuple(range(0, len(inter), 2)))
        return g  # engine reshapes leading ones away


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim."""
    sizes = size_args(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return Repeat.apply(input, sizes)


def tile(input, dims):
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return Repeat.apply(input, dims)


class Flip(Op):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes).copy()

    @staticmethod
    def backward(ctx, grad):
        return np.flip(grad, ctx.axes)


def flip(input, dims):
    """Reverse the order of elements along ``dims``."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return Flip.apply(input, tuple(norm_dim(d, input._data.ndim) for d in dims))


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


class Roll(Op):
    @staticmethod
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, grad):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return np.roll(grad, neg, ctx.axes)


def roll(input, shifts, dims=None):
    if dims is None:
        return reshape(Roll.apply(reshape(input, -1), shifts, 0), *input._data.shape)
    return Roll.apply(input, tuple(shifts) if isinstance(shifts, (list, tuple)) else shifts,
                      tuple(dims) if isinstance(dims, (list, tuple)) else dims)


class Cat(Op):
    @staticmethod
    def forward(ctx, axis, *arrays):
        # 1-D empty tensors are skipped (legacy PyTorch behaviour) and get an empty gradient.
        skip = [a.ndim == 1 and a.size == 0 for a in arrays]
        if all(skip):
            skip = [False] * len(arrays)
        kept = [a for a, s in zip(arrays, skip) if not s]
        ctx.axis, ctx.skip = axis, skip
        ctx.bounds = np.cumsum([a.shape[axis] for a in kept])[:-1]
        return np.concatenate(kept, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        parts = iter(np.split(grad, ctx.bounds, axis=ctx.axis))
        return (None,) + tuple(np.zeros(0, grad.dtype) if s else next(parts) for s in ctx.skip)


class CopySlices(Op):
    """The new grad_fn of a base tensor after an in-place write into one of its views.

    Inputs: the base (old history) and the view (holding the written values, new history).
    The gradient of the view's region goes to the view; the rest goes to the base.
    """
    backward_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, view, view_op, view_args):
        ctx.view_op, ctx.view_args = view_op, view_args
        return base  # the base's buffer already holds the written values

    @staticmethod
    def backward(ctx, grad):
        g = np.array(grad)  # a writable C-contiguous copy, so the view op gives a view of it
        region = ctx.view_op.forward(_Scratch(), g, *ctx.view_args)
        gv = np.array(region) if ctx.needs_input_grad[1] else None
        region[...] = 0
        return (g if ctx.needs_input_grad[0] else None), gv


class _Scratch:
    """A throwaway ctx for re-running a view op's forward."""


def cat(tensors, dim=0):
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    shaped = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    nd = shaped[0]._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = norm_dim(dim, nd)
    ref = shaped[0]._data.shape
    for i, x in enumerate(tensors):
        s = x._data.shape
        if len(s) == 1 and s[0] == 0:
            continue
        if len(s) != nd or any(a != b for j, (a, b) in enumerate(zip(s, ref)) if j != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                               f"{list(ref)} but got size {list(s)} for tensor number {i} in the list.")
    tensors = _common_dtype(tensors)
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def _common_dtype(tensors):
    dt = tensors[0]._data.dtype
    for x in tensors[1:]:
        if x._data.dtype != dt:
            dt = _promote(dt, x._data.dtype)
    return [x if x._data.dtype == dt else to_dtype(x, dt) for x in tensors]


class Stack(Op):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return (None,) + tuple(np.moveaxis(grad, ctx.axis, 0))


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                               f"and {list(x._data.shape)} at entry {i}")
    d = norm_dim(dim, len(ref) + 1)
    return Stack.apply(d, *_common_dtype(tensors))


def hstack(tensors):
    tensors = [atleast_1d(x) for x in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(x) for x in tensors], 0)


def atleast_1d(x):
    return reshape(x, 1) if x._data.ndim == 0 else x


def atleast_2d(x):
    return reshape(x, *((1,) * (2 - x._data.ndim) + x._data.shape)) if x._data.ndim < 2 else x


class Slice(Op):
    """Basic slicing along one dim (narrow/split/chunk/unbind/select)."""
    backward_name = "SliceBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        g = np.zeros(ctx.shape, grad.dtype)
        g[ctx.key] = grad
        return g


def _dim_key(dim, sel):
    return (slice(None),) * dim + (sel,)


def narrow(input, dim, start, length):
    """``length`` elements of dim ``dim`` from ``start``."""
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not (0 <= start and start + length <= n):
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return Slice.apply(input, _dim_key(d, slice(start, start + length)))


def select(input, dim, index):
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} "
                         f"at dimension {dim}")
    return Slice.apply(input, _dim_key(d, int(index)))


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (last may be smaller) or of the listed sizes."""
    d = norm_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = int(split_size_or_sections)
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(Slice.apply(tensor, _dim_key(d, slice(start, start + s))))
        start += s
    return tuple(out)


def tensor_split(input, indices_or_sections, dim=0):
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, numbers.Integral):
        k = indices_or_sections
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        b = [0] + list(indices_or_sections) + [n]
        sizes = [max(min(b[i + 1], n) - min(b[i], n), 0) for i in range(len(b) - 1)]
    return split(input, sizes, dim)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (fewer if it divides unevenly)."""
    n = input._data.shape[norm_dim(dim, input._data.ndim)]
    size = -(-n // chunks) if n else 1
    return split(input, size, dim)


def unbind(input, dim=0):
    """All slices along ``dim``, as a tuple."""
    d = norm_dim(dim, input._data.ndim)
    return tuple(Slice.apply(input, _dim_key(d, i)) for i in range(input._data.shape[d]))


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    n = len(tensors)
    shape = [t._data.size for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(tensors):
        view_shape = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view_shape[pos] = x._data.size
        out.append(expand(reshape(x, *view_shape), *shape))
    return tuple(out)


class _Masked(Op):
    """A zero-gradient-outside-the-mask op: tril/triu/diag-like selections."""
    @staticmethod
    def forward(ctx, a, mask):
        ctx.mask = mask
        return np.where(mask, a, np.zeros((), a.dtype))

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.mask, grad, np.zeros((), grad.dtype))


class Tril(_Masked):
    pass


class Triu(_Masked):
    pass


def tril(input, diagonal=0):
    r, c = input._data.shape[-2:]
    return Tril.apply(input, np.tri(r, c, diagonal, dtype=bool))


def triu(input, diagonal=0):
    r, c = input._data.shape[-2:]
    return Triu.apply(input, ~np.tri(r, c, diagonal - 1, dtype=bool))


class Diagonal(Op):
    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return np.diagonal(a, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, grad):
        g = np.zeros(ctx.shape, grad.dtype)
        offset, d1, d2 = ctx.args
        view = np.diagonal(g, offset, d1, d2)
        view.setflags(write=True)
        view[...] = grad
        return g


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input._data.ndim
    return Diagonal.apply(input, offset, norm_dim(dim1, nd), norm_dim(dim2, nd))


class DiagEmbed(Op):
    @staticmethod
    def forward(ctx, a, offset):
        ctx.offset = offset
        return np.diag(a, offset)

    @staticmethod
    def backward(ctx, grad):
        return np.diag(grad, ctx.offset).copy()


def diag(input, diagonal=0):
    """The diagonal of a matrix, or a matrix with a vector on its diagonal."""
    if input._data.ndim == 1:
        return DiagEmbed.apply(input, diagonal)
    return globals()["diagonal"](input, diagonal)


def clone(input, *, memory_format=None):
    """A copy that stays in the graph."""
    if memory_format is not None:
        raise NotImplementedError(f"clone(memory_format={memory_format!r}) is not supported by ember: its tensors "
                                  "have one (contiguous) layout; call clone() without memory_format")
    if input._data.dtype.kind != "f":
        return _wrap(input._data.copy())
    return _Clone.apply(input)


class _Clone(Op):
    backward_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    res = np.unique(input._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(res, tuple):
        return _wrap(res)
    out = [_wrap(res[0])]
    out += [_wrap(np.asarray(r, np.int64).reshape(input._data.shape if i == 0 and return_inverse else -1))
            for i, r in enumerate(res[1:])]
    return tuple(out)


def nonzero(input, *, as_tuple=False):
    nz = np.nonzero(input._data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in nz)
    return _wrap(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))
