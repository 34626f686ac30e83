"""Small helpers shared by the op families: argument normalisation and dtype promotion."""
import functools
import inspect
import numbers

import numpy as np

from .._creation import tensor
from .._dtype import result_type
from .._tensor import Tensor, _norm_dim, _wrap
from ._cast import to_dtype

__all__ = []


def as_tensor_arg(x, like=None):
    """Lists / arrays given where a tensor is expected become tensors (scalars stay scalars)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, numbers.Number)):
        return x.item() if isinstance(x, np.generic) else x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    return tensor(x)


def require_tensor(fname, arg, value):
    """PyTorch's TypeError when an argument that must be a tensor is not (e.g. a Python number
    for ``atan2``'s ``other``)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{fname}(): argument '{arg}' must be Tensor, not {type(value).__name__}")


def promote(a, b):
    """Apply PyTorch's type promotion to two operands (Tensors or Python scalars).

    Returns the operands with any needed casts applied; scalars stay Python scalars unless the
    tensor has to change category (int tensor with a float scalar becomes float32).
    """
    # Fast paths: same-dtype tensors, float tensor with a Python number.
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype is b._data.dtype:
                return a, b
        elif type(b) is float or type(b) is int:
            if a._data.dtype.kind == "f":
                return a, b
    elif isinstance(b, Tensor) and (type(a) is float or type(a) is int) and b._data.dtype.kind == "f":
        return a, b
    return _promote_slow(a, b)


def _promote_slow(a, b):
    a = as_tensor_arg(a)
    b = as_tensor_arg(b)
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        dt = result_type(a._data, b._data)
        if da != dt:
            a = to_dtype(a, dt)
        if db != dt:
            b = to_dtype(b, dt)
        return a, b
    t = a if ta else b
    s = b if ta else a
    dt = result_type(t._data, s)
    if dt != t._data.dtype:
        t = to_dtype(t, dt)
    if dt.kind == "f" and isinstance(s, bool):
        s = float(s)
    elif dt.kind in "iu" and type(s) is int:
        info = np.iinfo(dt)
        if not info.min <= s <= info.max:  # wrap around, as torch does (NumPy 2 would raise)
            s = np.array(s & 0xFFFFFFFFFFFFFFFF, np.uint64).astype(dt)
    return (t, s) if ta else (s, t)


def norm_dim(dim, ndim):
    return _norm_dim(dim, ndim)


def norm_dims(dim, ndim):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes (None = all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (_norm_dim(int(dim), ndim),)
    dims = tuple(sorted(_norm_dim(int(d), ndim) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
    if not dims:
        return tuple(range(ndim))
    return dims


def expand_reduced(grad, shape, axes, keepdim):
    """Broadcast a reduction's gradient back to the input shape (a Tensor ``grad``, under
    create_graph=True, is broadcast by recorded ops)."""
    if isinstance(grad, Tensor):
        if grad.ndim and not keepdim and axes:
            grad = grad.unsqueeze(axes[0]) if len(axes) == 1 else grad.reshape(_kept_shape(grad.shape, axes))
        return grad.broadcast_to(tuple(shape))
    if grad.ndim == 0:  # full reduction: a filled array is cheaper than np.broadcast_to
        out = np.empty(shape, grad.dtype)
        out.fill(grad)
        return out
    if not keepdim and axes:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


def _kept_shape(shape, axes):
    """``shape`` with a 1 inserted at each (output-relative) position in ``axes``."""
    out = list(shape)
    for a in sorted(a % (len(shape) + len(axes)) for a in axes):
        out.insert(a, 1)
    return tuple(out)


def size_args(size):
    """Accept f(2, 3) and f((2, 3)) and f(ember.Size([2, 3]))."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def broadcast_error(*operands):
    """The RuntimeError PyTorch raises for operands whose shapes do not broadcast."""
    shapes = [np.shape(o) for o in operands]
    nd = max(len(sh) for sh in shapes)
    padded = [(1,) * (nd - len(sh)) + tuple(sh) for sh in shapes]
    for d in range(nd - 1, -1, -1):
        sizes = [sh[d] for sh in padded]
        big = [n for n in sizes if n != 1]
        if big and any(n != big[0] for n in big):
            a, b = big[0], next(n for n in big if n != big[0])
            return RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                f"dimension {d} (shapes {', '.join(str(tuple(sh)) for sh in shapes)}); the shapes must be "
                f"broadcastable: equal, or 1, in each trailing dimension")
    return RuntimeError(f"shapes {', '.join(str(tuple(sh)) for sh in shapes)} are not broadcastable")


def ntuple(value, n, name=None, message="{name} must either be a single int, or a tuple of {n} ints, got {value}"):
    """``value`` as an ``n``-tuple: a scalar, or a sequence of one, repeated ``n`` times.

    With a ``name`` (the functional ops) the result is checked and converted: a sequence of
    another length raises RuntimeError(``message`` formatted with ``name``, ``n`` and ``value``
    as a list) and the entries become Python ints. Without one (module constructors) another
    sequence is kept as given, as PyTorch's modules keep it.
    """
    if not isinstance(value, (tuple, list)):
        return (value,) * n if name is None else (int(value),) * n
    value = tuple(value) * n if len(value) == 1 else tuple(value)
    if name is None:
        return value
    if len(value) != n:
        raise RuntimeError(message.format(name=name, n=n, value=list(value)))
    return tuple(int(a) for a in value)


def stride_or_kernel(stride, kernel_size):
    """A pooling stride: ``kernel_size`` when ``stride`` is None or empty (PyTorch's default)."""
    return kernel_size if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else stride


class _KeepdimDefault:
    """The default ``keepdim`` of the reductions PyTorch overloads on ``dim`` (sum, mean, prod, max, min,
    median, nanmedian): False, told apart from an explicit ``keepdim=False``, which PyTorch's overload
    without ``dim`` refuses (``x.sum(keepdim=False)`` is a TypeError). Falsy; callers turn it into False
    before using it."""
    __slots__ = ()

    def __bool__(self):
        return False

    def __repr__(self):
        return "False"


NO_KEEPDIM = _KeepdimDefault()


def keepdim_without_dim(name):
    """PyTorch's TypeError for ``keepdim`` given to a reduction over every element."""
    return TypeError(f"{name}() got keepdim without dim: keepdim applies only to a reduction over a given "
                     f"dim, e.g. {name}(x, dim=1, keepdim=False); without dim, {name} reduces every element "
                     f"to a 0-d tensor (drop keepdim, or pass dim)")


def dim_none_refused(name):
    """PyTorch's TypeError for ``dim=None`` given to a reduction whose ``dim`` must be an int (prod, max, min,
    median, nanmedian: their every-element form is the call without ``dim``)."""
    return TypeError(f"{name}(): argument 'dim' must be int, not NoneType; leave dim out to reduce every element "
                     f"({name}(x)) or pass an int dim")


def numpy_dim(name, dim, axis, keepdim=False, keepdims=None, default=None, keepdim_needs_dim=False):
    """NumPy's ``axis=`` / ``keepdims=`` spellings, which PyTorch accepts as aliases of ``dim`` /
    ``keepdim``: returns ``(dim, keepdim)``. Called only when one of them was passed (``default``
    is the function's default ``dim``; any other ``dim`` together with ``axis`` is an error).
    ``keepdim_needs_dim``: the function (like torch.prod) takes ``keepdim`` only together with ``dim``."""
    if axis is not None:
        if dim is not default:
            raise TypeError(f"{name}() got both 'dim' and its alias 'axis'; pass only one")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{name}() got both 'keepdim' and its alias 'keepdims'; pass only one")
        keepdim = keepdims
    if keepdim_needs_dim and dim is None and (keepdim is not NO_KEEPDIM or keepdims is not None):
        raise keepdim_without_dim(name)
    return dim, (False if keepdim is NO_KEEPDIM else keepdim)


def numpy_keywords(fn):
    """Let ``fn`` take NumPy's ``axis=`` for its ``dim`` and ``keepdims=`` for its ``keepdim``, as
    PyTorch's native functions do (``torch.cat(ts, axis=1)``, ``x.gather(axis=1, index=i)``).

    Giving both a parameter and its alias (``dim`` positionally or by name, and ``axis``) is a
    TypeError, as in PyTorch. Functions PyTorch writes in Python (``F.softmax``, ``torch.norm``,
    ``Tensor.split``) take no aliases there, so ember leaves theirs undecorated.
    """
    params = list(inspect.signature(fn).parameters)
    aliases = [(alias, name, params.index(name)) for alias, name in (("axis", "dim"), ("keepdims", "keepdim"))
               if name in params]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name, position in aliases:
                if alias in kwargs:
                    if name in kwargs or len(args) > position:
                        raise TypeError(f"{fn.__name__}() got both '{name}' and its alias '{alias}'; pass only one")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return wrapper


def check_index_range(idx, size, message, *, negative=False, ignore=None, error=RuntimeError):
    """Raise ``error(message(bad))`` if the integer array ``idx`` holds a value outside ``[0, size)``
    (``[-size, size)`` when ``negative``: an index counting from the end); ``bad`` holds the offending
    values in row-major order (``ignore``, e.g. a loss's ignore_index, is never offending).

    The one bounds check of every op that takes an index tensor (NumPy would wrap a negative index
    around silently). Valid indices cost one min and one max.

    Example:
        >>> check_index_range(np.array([0, -1]), 4, lambda bad: f"index {bad[0]} is out of bounds")
        Traceback (most recent call last):
        RuntimeError: index -1 is out of bounds
    """
    if not idx.size:
        return
    low = -size if negative else 0
    if idx.min() >= low and idx.max() < size:
        return
    bad = (idx < low) | (idx >= size)
    if ignore is not None:
        bad &= idx != ignore
    if bad.any():
        raise error(message(idx[bad].tolist()))
