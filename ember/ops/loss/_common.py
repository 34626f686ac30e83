"""What every loss family shares: the reduction, and the cheap argument checks.

``_reduction`` turns the legacy ``size_average``/``reduce`` flags into a reduction string (with
PyTorch's warning); ``_reduce`` applies it inside a fused op and ``_expand`` undoes it in that
op's backward. The checks raise PyTorch's error types with messages that say what was expected,
what was received and the usual fix.
"""
import warnings

import numpy as np

from ... import _torch_sum
from ..._tensor import Size, Tensor, _wrap
from .._cast import to_dtype
from .._util import require_tensor

_REDUCTIONS = ("none", "mean", "sum")


# -- reduction ---------------------------------------------------------------------------------
def _reduction(size_average, reduce, reduction, stacklevel=3):
    """The reduction string, honouring the legacy ``size_average``/``reduce`` flags as PyTorch."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=stacklevel)
    elif reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction (expected 'none', 'mean' or "
                         f"'sum')")
    return reduction


def _reduce(ctx, loss, reduction):
    """Apply the reduction in forward and remember what backward needs to undo it."""
    ctx.reduction = reduction
    ctx.lshape = loss.shape
    if reduction == "none":
        return loss
    r = _torch_sum.reduce_last(loss, None, False, mean=reduction == "mean") if loss.dtype == np.float32 else None
    if reduction == "sum":
        return r if r is not None else np.asarray(np.add.reduce(loss, axis=None))
    ctx.n = loss.size
    if loss.size == 0:
        return np.full((), np.nan, loss.dtype)
    if r is not None:                              # PyTorch's sum, then / n
        return r
    with np.errstate(all="ignore"):                # an overflowing mean is inf, silently, as PyTorch
        return np.asarray(loss.mean())


def _expand(ctx, grad):
    """The upstream gradient of each element of the unreduced loss (an array, or a Tensor when
    backward records a graph: ``create_graph=True``)."""
    r = ctx.reduction
    if r == "none":
        return grad
    if r == "mean" and ctx.n:
        grad = grad / ctx.n
    if isinstance(grad, Tensor):
        return grad * _wrap(np.ones(ctx.lshape, grad._data.dtype))   # broadcast, recorded
    return np.broadcast_to(grad, ctx.lshape)


def _need(ctx, i):
    return ctx.needs_input_grad[i]


# -- argument checks -------------------------------------------------------------------------
_check_tensor = require_tensor        # (name, arg, value): PyTorch's "must be Tensor" TypeError


def _float_pair(name, input, target):
    """Promote input and target to one floating dtype (PyTorch's promotion), as Tensors."""
    _check_tensor(name, "input", input)
    _check_tensor(name, "target", target)
    a, b = input._data.dtype, target._data.dtype
    if a == b and a.kind == "f":
        return input, target
    dt = np.result_type(a, b) if a.kind == b.kind or (a.kind == "f") == (b.kind == "f") else (
        a if a.kind == "f" else b)
    if dt.kind != "f":
        raise RuntimeError(f"{name}: expected floating-point input and target, got {input.dtype} and "
                           f"{target.dtype}; convert them with .float()")
    return _cast(input, dt), _cast(target, dt)


def _cast(t, dt):
    if t is None or t._data.dtype == dt:
        return t
    return to_dtype(t, dt)


def _size(shape):
    return repr(Size(shape))


def _warn_size(input, target, stacklevel=3):
    """PyTorch's warning for regression losses whose input and target shapes differ."""
    if input._data.shape != target._data.shape:
        try:
            np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            raise RuntimeError(
                f"input of shape {tuple(input._data.shape)} and target of shape "
                f"{tuple(target._data.shape)} cannot be broadcast together; give the target the "
                f"input's shape (e.g. target.view_as(input))") from None
        warnings.warn(
            f"Using a target size ({_size(target._data.shape)}) that is different to the input size "
            f"({_size(input._data.shape)}). This will likely lead to incorrect results due to "
            f"broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=stacklevel)


# -- class-score inputs (cross-entropy, NLL, multi-margin) -------------------------------------
def _check_class_input(name, input):
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected floating-point input (scores for each class), got "
                           f"{input.dtype}; convert with .float()")
    if x.ndim == 0:
        raise RuntimeError(f"{name}: expected input of shape (C), (N, C) or (N, C, d1, ...), got a 0-d "
                           f"tensor")


def _class_arrays(name, input, target):
    """Check a class-score input and its target are Tensors (input floating); their arrays."""
    _check_tensor(name, "input", input)
    _check_tensor(name, "target", target)
    _check_class_input(name, input)
    return input._data, target._data


def _check_weight(name, weight, c, dtype):
    if weight is None:
        return None
    _check_tensor(name, "weight", weight)
    w = weight._data
    if w.shape != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes "
                           f"but got weight tensor of shape: {list(w.shape)}. {name}: pass one weight "
                           f"per class, shape ({c},)")
    return w.astype(dtype, copy=False)

