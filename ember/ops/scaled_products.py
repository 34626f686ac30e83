"""PyTorch's scaled matrix products ``out = beta * input + alpha * product``: ``baddbmm`` (batched),
``addbmm`` (batch-summed), ``addmv`` (matrix-vector), ``addr`` (outer); and ``chain_matmul``.

With ``beta == 0`` the input is ignored (as PyTorch: nan/inf in it do not reach the result, and its
gradient is zero). Composed from the differentiable matmul, sum, mul and add, so gradients and double
gradients come from those ops.
"""
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap
from .arithmetic import add, mul
from .index import masked_fill
from .linalg import bmm, mm, mv, outer
from .rearrange import clone
from .reduce import sum as _sum

__all__ = ["baddbmm", "addbmm", "addmv", "addr", "chain_matmul"]


def _scaled_sum(name, input, prod, beta, alpha):
    """beta * input + alpha * prod, input broadcast to prod's shape; beta == 0 ignores the input."""
    if input._data.dtype != prod._data.dtype:
        raise RuntimeError(f"{name}: expected input and the product to have the same dtype, but got "
                           f"{_dtype.from_numpy_dtype(input._data.dtype)} and "
                           f"{_dtype.from_numpy_dtype(prod._data.dtype)}; cast one with .to()")
    if prod._data.dtype.kind in "biu" and (isinstance(beta, float) or isinstance(alpha, float)):
        raise RuntimeError(f"{name}: for integral input tensors, beta and alpha must not be floats")
    try:
        np.broadcast_shapes(input._data.shape, prod._data.shape)
        ok = np.broadcast_shapes(input._data.shape, prod._data.shape) == prod._data.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{name}: input of shape {list(input._data.shape)} cannot be broadcast to the "
                           f"product's shape {list(prod._data.shape)}")
    if alpha != 1:
        prod = mul(prod, alpha)
    if beta == 0:               # torch: the input's values are ignored (nan * 0 does not appear)
        base = masked_fill(input, _wrap(np.ones((), np.bool_)), 0)
    else:
        base = input if beta == 1 else mul(input, beta)
    return add(base, prod)


def _need(name, what, t, nd):
    if t._data.ndim != nd:
        raise RuntimeError(f"{name}: {what} must be a {nd}-D tensor, got {t._data.ndim}-D of shape "
                           f"{list(t._data.shape)}")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices (b, n, m) @ (b, m, p).

    Example:
        >>> ember.baddbmm(ember.zeros(1, 2, 2), ember.ones(1, 2, 3), ember.ones(1, 3, 2)).shape
        ember.Size([1, 2, 2])
    """
    _need("baddbmm", "batch1", batch1, 3)
    _need("baddbmm", "batch2", batch2, 3)
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``, an (n, p) result.

    Example:
        >>> ember.addbmm(ember.zeros(2, 2), ember.ones(4, 2, 3), ember.ones(4, 3, 2))
        tensor([[12., 12.],
                [12., 12.]])
    """
    _need("addbmm", "batch1", batch1, 3)
    _need("addbmm", "batch2", batch2, 3)
    return _scaled_sum("addbmm", input, _sum(bmm(batch1, batch2), 0), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``.

    Example:
        >>> ember.addmv(ember.ones(2), ember.ones(2, 3), ember.ones(3))
        tensor([4., 4.])
    """
    _need("addmv", "mat", mat, 2)
    _need("addmv", "vec", vec, 1)
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``.

    Example:
        >>> ember.addr(ember.zeros(2, 2), ember.tensor([1., 2.]), ember.tensor([1., 3.]))
        tensor([[1., 3.],
                [2., 6.]])
    """
    _need("addr", "vec1", vec1, 1)
    _need("addr", "vec2", vec2, 1)
    if vec1._data.dtype == np.bool_ and vec2._data.dtype == np.bool_:
        raise NotImplementedError("addr: bool vectors are not supported by ember; cast them to an integer dtype")
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def chain_matmul(*matrices):
    """The product of 2-d matrices, left to right (deprecated in PyTorch: use ``linalg.multi_dot``).

    Example:
        >>> ember.chain_matmul(ember.eye(2), ember.ones(2, 3)).shape
        ember.Size([2, 3])
    """
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
                  "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
                  "than multiple parameters.", UserWarning, stacklevel=2)
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor):
            raise TypeError(f"chain_matmul(): expected Tensor as element {i}, but got {type(m).__name__}")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return clone(matrices[0])
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out
