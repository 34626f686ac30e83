"""The result of a layer on an empty batch (a size-0 input), as PyTorch gives it: a zero-size
output of the layer's shape, and zero gradients for every tensor argument (weights included).

The layers' kernels reshape with -1 and cannot see a batch of 0; they call ``empty_result``
instead. Layer: beside the other private helpers at the bottom of the op families.
"""
import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.xp import array_namespace


class EmptyResult(Op):
    """out = zeros(shape) (no elements when the batch is empty); d/d(each tensor) = 0."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, shape, dtype, *tensors):
        ctx.metas = [None if t is None else (t.shape, t.dtype) for t in tensors]
        return np.zeros(shape, dtype)

    @staticmethod
    def backward(ctx, grad):
        xp = array_namespace(grad)
        if xp.graph:                                     # zeros as a function of grad (Tensors)
            z = xp.sum(grad) * 0.0
            return (None, None) + tuple(None if m is None else xp.broadcast_to(z, m[0]) for m in ctx.metas)
        return (None, None) + tuple(None if m is None else np.zeros(m[0], m[1]) for m in ctx.metas)


def empty_result(shape, input, *params):
    """A zero-size output of ``shape`` and ``input``'s dtype, connected to ``input`` and ``params``
    (Tensors or None) so that backward gives them zero gradients, as PyTorch on an empty batch."""
    tensors = [p if isinstance(p, Tensor) else None for p in (input,) + params]
    return EmptyResult.apply(tuple(shape), input._data.dtype, *tensors)
