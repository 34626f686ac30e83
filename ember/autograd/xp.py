"""The array namespace a backward is written against, so it is written once and runs two ways.

``xp = array_namespace(grad)`` gives NumPy itself when ``grad`` is an array (first-order backward:
no Tensors, no cost) and the same functions on Tensors when ``grad`` is a Tensor
(``create_graph=True``: every step records, so the gradient can be differentiated again).

Example (the backward of ``relu``):

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        xp = array_namespace(grad)
        return xp.where(out > 0, grad, 0.0)

Rules for a backward written this way: operators (``+ - * / ** @``, comparisons, unary ``-``) and
``xp.<function>`` only; no ``out=`` or in-place updates, no ``.dtype.type(...)`` (Python numbers
keep a tensor's dtype), no ``.astype`` (use ``xp.astype``). Mark the op
``differentiable_backward = True``. Functions take NumPy's arguments (``axis``, ``keepdims``).
"""
import numpy as np

from .._dtype import dtype as _dtype_class, from_numpy_dtype
from .._tensor import Tensor, _wrap


def array_namespace(*values):
    """``TensorNamespace`` if any value is a Tensor, else ``NumpyNamespace``."""
    for v in values:
        if isinstance(v, Tensor):
            return TensorNamespace
    return NumpyNamespace


class NumpyNamespace:
    """NumPy's own functions (first-order backward on arrays)."""
    graph = False
    where = staticmethod(np.where)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tan = staticmethod(np.tan)
    tanh = staticmethod(np.tanh)
    sinh = staticmethod(np.sinh)
    cosh = staticmethod(np.cosh)
    square = staticmethod(np.square)
    reciprocal = staticmethod(np.reciprocal)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    clip = staticmethod(np.clip)
    sum = staticmethod(np.sum)
    mean = staticmethod(np.mean)
    broadcast_to = staticmethod(np.broadcast_to)
    expand_dims = staticmethod(np.expand_dims)
    reshape = staticmethod(np.reshape)
    transpose = staticmethod(np.transpose)
    swapaxes = staticmethod(np.swapaxes)
    moveaxis = staticmethod(np.moveaxis)
    squeeze = staticmethod(np.squeeze)
    matmul = staticmethod(np.matmul)
    einsum = staticmethod(np.einsum)
    concatenate = staticmethod(np.concatenate)
    stack = staticmethod(np.stack)
    flip = staticmethod(np.flip)
    cumsum = staticmethod(np.cumsum)
    take_along_axis = staticmethod(np.take_along_axis)
    zeros_like = staticmethod(np.zeros_like)
    ones_like = staticmethod(np.ones_like)
    trunc = staticmethod(np.trunc)
    floor = staticmethod(np.floor)
    isfinite = staticmethod(np.isfinite)
    roll = staticmethod(np.roll)
    diagonal = staticmethod(np.diagonal)
    cumprod = staticmethod(np.cumprod)

    @staticmethod
    def put(shape, dtype, index, values):
        """A zero array of ``shape`` with ``values`` written at ``index`` (a NumPy index without
        repeated positions): the backward of slicing."""
        out = np.zeros(shape, dtype)
        out[index] = values
        return out

    @staticmethod
    def astype(x, dtype):
        return x.astype(dtype, copy=False)

    @staticmethod
    def asarray(x):
        """The plain array of ``x`` (a constant in either namespace)."""
        return x

    @staticmethod
    def scatter_add(shape, dtype, index, values):
        """A zero array of ``shape`` with ``values`` added at ``index`` (a NumPy index; repeated
        positions add up): the backward of indexing."""
        out = np.zeros(shape, dtype)
        np.add.at(out, index, values)
        return out


def _axes(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _like(value, other):
    """A Python number or array as a constant Tensor of ``other``'s float dtype."""
    if isinstance(value, Tensor):
        return value
    dtype = other._data.dtype if isinstance(other, Tensor) else None
    return _wrap(np.asarray(value, dtype=dtype if dtype is not None and dtype.kind == "f" else None))


class TensorNamespace:
    """The same functions on Tensors, recording the graph (``create_graph=True``). Filled in by
    ``ember._tensor_methods`` (these use Tensor methods, which live above this layer)."""
    graph = True

    @staticmethod
    def where(cond, a, b):
        cond = cond if isinstance(cond, Tensor) else _wrap(np.asarray(cond))
        if not isinstance(a, Tensor):
            a = _like(a, b)
        return a.where(cond, _like(b, a))

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(dim=_axes(x, axis), keepdim=keepdims)

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return x.mean(dim=_axes(x, axis), keepdim=keepdims)

    @staticmethod
    def broadcast_to(x, shape):
        return x.broadcast_to(tuple(shape))

    @staticmethod
    def expand_dims(x, axis):
        axes = _axes(x, axis)
        nd = x.ndim + len(axes)
        for a in sorted(a % nd for a in axes):
            x = x.unsqueeze(a)
        return x

    @staticmethod
    def reshape(x, shape):
        return x.reshape(tuple(shape) if not isinstance(shape, int) else (shape,))

    @staticmethod
    def transpose(x, axes=None):
        return x.permute(*(axes if axes is not None else reversed(range(x.ndim))))

    @staticmethod
    def swapaxes(x, a, b):
        return x.transpose(a, b)

    @staticmethod
    def moveaxis(x, source, destination):
        return x.movedim(source, destination)

    @staticmethod
    def squeeze(x, axis=None):
        return x.squeeze() if axis is None else x.squeeze(axis)

    @staticmethod
    def matmul(a, b):
        return a @ b

    @staticmethod
    def clip(x, lo, hi):
        return x.clamp(lo, hi)

    @staticmethod
    def flip(x, axis=None):
        return x.flip(_axes(x, axis))

    @staticmethod
    def cumsum(x, axis):
        return x.cumsum(axis)

    @staticmethod
    def astype(x, dtype):
        if not isinstance(x, Tensor):
            return np.asarray(x).astype(dtype)
        return x.to(from_numpy_dtype(np.dtype(dtype)) if not isinstance(dtype, _dtype_class) else dtype)

    @staticmethod
    def asarray(x):
        return x._data if isinstance(x, Tensor) else x

    @staticmethod
    def zeros_like(x):
        return x.new_zeros(x.shape)

    @staticmethod
    def ones_like(x):
        return x.new_ones(x.shape)


# Elementwise functions that are Tensor methods with NumPy's meaning.
for _name in ["exp", "log", "log1p", "expm1", "sqrt", "abs", "sign", "sin", "cos", "tan", "tanh", "sinh",
              "cosh", "square", "reciprocal"]:
    setattr(TensorNamespace, _name, staticmethod(lambda x, _n=_name: getattr(x, _n)()))


def _binary_method(name):
    def fn(a, b):
        if not isinstance(a, Tensor):
            a = _like(a, b)
        return getattr(a, name)(_like(b, a))
    fn.__name__ = name
    return fn


TensorNamespace.maximum = staticmethod(_binary_method("maximum"))
TensorNamespace.minimum = staticmethod(_binary_method("minimum"))

# Piecewise-constant elementwise functions (zero gradient), as Tensor methods.
for _name in ["trunc", "floor", "isfinite"]:
    setattr(TensorNamespace, _name, staticmethod(lambda x, _n=_name: getattr(x, _n)()))

TensorNamespace.cumprod = staticmethod(lambda x, axis: x.cumprod(axis))
