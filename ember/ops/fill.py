"""``x.fill_(value)`` and ``x.zero_()`` as graph nodes: the result does not depend on ``x``, so the
gradient to ``x`` is zero. The Tensor's in-place methods record them; they are not public functions.

Layer: beside arithmetic at the bottom of the op families (it uses none of them).
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace

__all__ = []


class Fill(Op):
    """``x.fill_(v)`` when recorded: the output does not depend on x (zero gradient)."""
    backward_name = "FillBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, value):
        return np.full_like(a, value)

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).zeros_like(grad)


class Zero(Fill):
    backward_name = "ZeroBackward0"
