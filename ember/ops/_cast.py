"""dtype conversion as an op: the one primitive that type promotion (``_util.promote``) needs.

It sits below ``_util`` and every op family so that promotion imports it at module level;
``ember.ops`` (and so ``ember``) exports ``to_dtype``.
"""
import numpy as np

from .._tensor import _wrap
from ..autograd.function import Op


class ToDtype(Op):
    backward_name = "ToCopyBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine casts back to the input's dtype


def to_dtype(input, dtype):
    """Convert to a NumPy dtype, keeping the graph for float targets."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return _wrap(input._data.astype(dtype))
    return ToDtype.apply(input, dtype)
