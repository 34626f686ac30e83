"""Views: the same data seen in another shape. reshape/view, flatten/unflatten/ravel,
squeeze/unsqueeze, permute/transpose/t/movedim, expand/broadcast_to, narrow/select; and CopySlices,
the node that an in-place write into a view leaves on its base.

A view shares its input's version counter (``is_view``), so an in-place change of either is seen by
the checks of saved tensors in both.

Layer: above arithmetic; below join_split, rearrange, index and the families above them.
"""
import numbers

import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import norm_dim, numpy_keywords, size_args

__all__ = ["reshape", "view", "view_as", "reshape_as", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze",
           "atleast_1d", "atleast_2d", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
           "moveaxis", "expand", "expand_as", "broadcast_to", "narrow", "select"]


# -- reshape -----------------------------------------------------------------------------------
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
    """out = a in a new shape;  dL/da = g reshaped back"""
    backward_name = "ViewBackward0"
    is_view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).reshape(grad, ctx.shape)


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


@numpy_keywords
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


@numpy_keywords
def squeeze(input, dim=None):
    """Drop dims of size 1 (all, or those in ``dim``)."""
    shp = input._data.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = {norm_dim(d, len(shp)) for d in ((dim,) if isinstance(dim, numbers.Integral) else dim)}
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return (Squeeze if dim is None else SqueezeDim).apply(input, new)


@numpy_keywords
def unsqueeze(input, dim):
    """Insert a dim of size 1 at ``dim``."""
    nd = input._data.ndim
    d = norm_dim(dim, nd + 1)
    shp = input._data.shape
    return Unsqueeze.apply(input, shp[:d] + (1,) + shp[d:])


def atleast_1d(x):
    return reshape(x, 1) if x._data.ndim == 0 else x


def atleast_2d(x):
    return reshape(x, *((1,) * (2 - x._data.ndim) + x._data.shape)) if x._data.ndim < 2 else x


# -- reorder dims -------------------------------------------------------------------------------
class Permute(Op):
    """out = a with dims reordered by ``axes``;  dL/da = g with the inverse order"""
    is_view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).transpose(grad, tuple(int(i) for i in np.argsort(ctx.axes)))


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
        norm_dim(dim0, 0), norm_dim(dim1, 0)  # only 0 and -1 name a scalar's dim
        return Transpose.apply(input, ())
    axes = list(range(nd))
    d0, d1 = norm_dim(dim0, nd), norm_dim(dim1, nd)
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Transpose.apply(input, tuple(axes))


swapdims = transpose


def swapaxes(input, axis0, axis1):
    """``transpose`` under NumPy's name and parameter names (``axis0``, ``axis1``), as PyTorch's."""
    return transpose(input, axis0, axis1)


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


# -- broadcast ----------------------------------------------------------------------------------
class Expand(Op):
    """out = a broadcast to ``shape``;  dL/da = g summed back (by the engine)"""
    is_view = True
    differentiable_backward = True

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


# -- slices along one dim ------------------------------------------------------------------------
class Slice(Op):
    """Basic slicing along one dim (narrow/split/chunk/unbind/select).

    out = a[key];  dL/da = zeros with g written at key"""
    backward_name = "SliceBackward0"
    is_view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        return a[key + (Ellipsis,)]     # (the Ellipsis keeps a 0-d result a view, not a NumPy scalar copy)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        return xp.put(ctx.shape, xp.asarray(grad).dtype, ctx.key, grad)


def dim_key(dim, sel):
    """The index that takes ``sel`` (an int or a slice) along dim ``dim`` and all of the dims before it."""
    return (slice(None),) * dim + (sel,)


@numpy_keywords
def narrow(input, dim, start, length):
    """``length`` elements of dim ``dim`` from ``start``."""
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not (0 <= start and start + length <= n):
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return Slice.apply(input, dim_key(d, slice(start, start + length)))


@numpy_keywords
def select(input, dim, index):
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} "
                         f"at dimension {dim}")
    return Slice.apply(input, dim_key(d, int(index)))


# -- an in-place write into a view ---------------------------------------------------------------
class CopySlices(Op):
    """The new grad_fn of a base tensor after an in-place write into one of its views.

    Inputs: the base (old history) and the view (holding the written values, new history).
    The gradient of the view's region goes to the view; the rest goes to the base.
    """
    backward_name = "CopySlices"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, base, view, view_op, view_args):
        ctx.view_op, ctx.view_args = view_op, view_args
        return base  # the base's buffer already holds the written values

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        if xp.graph:
            # The same with Tensors: the view op applied to grad, and grad zeroed in the region.
            keep = np.ones(tuple(grad.shape), bool)
            ctx.view_op.forward(_Scratch(), keep, *ctx.view_args)[...] = False
            gv = ctx.view_op.apply(grad, *ctx.view_args) if ctx.needs_input_grad[1] else None
            return (xp.where(keep, grad, 0.0) if ctx.needs_input_grad[0] else None), gv
        g = np.array(grad)  # a writable C-contiguous copy, so the view op gives a view of it
        region = ctx.view_op.forward(_Scratch(), g, *ctx.view_args)
        gv = np.array(region) if ctx.needs_input_grad[1] else None
        region[...] = 0
        return (g if ctx.needs_input_grad[0] else None), gv


class _Scratch:
    """A throwaway ctx for re-running a view op's forward."""
