"""Bilinear: y[..., o] = x1 @ w[o] @ x2 + b[o], fused into one graph node."""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace

__all__ = ["bilinear"]


class Bilinear(Op):
    """y[b, o] = sum_ij x1[b, i] * w[o, i, j] * x2[b, j] + bias[o]   (leading dims flattened into b).

    Backward, with g = dL/dy:
        dL/dx1[b, i] = sum_oj g[b, o] * w[o, i, j] * x2[b, j]
        dL/dx2[b, j] = sum_oi g[b, o] * w[o, i, j] * x1[b, i]
        dL/dw[o, i, j] = sum_b g[b, o] * x1[b, i] * x2[b, j],   dL/dbias[o] = sum_b g[b, o]
    """
    backward_name = "BilinearBackward0"
    differentiable_backward = True   # backward is einsums: on Tensors with create_graph=True

    @staticmethod
    def forward(ctx, x1, x2, w, b):
        ctx.save_for_backward(x1, x2, w)
        a1 = x1.reshape(-1, x1.shape[-1])
        a2 = x2.reshape(-1, x2.shape[-1])
        # (B, i) @ (i, o*j) -> (B, o, j), then contract j with x2
        t = (a1 @ w.transpose(1, 0, 2).reshape(w.shape[1], -1)).reshape(a1.shape[0], w.shape[0], w.shape[2])
        out = np.einsum("boj,bj->bo", t, a2)
        if b is not None:
            out += b
        return out.reshape(x1.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x1, x2, w = ctx.saved_tensors
        xp = array_namespace(grad)
        ein = xp.einsum if xp.graph else _einsum
        a1 = xp.reshape(x1, (-1, x1.shape[-1]))
        a2 = xp.reshape(x2, (-1, x2.shape[-1]))
        g = xp.reshape(grad, (-1, w.shape[0]))
        n = ctx.needs_input_grad
        g1 = xp.reshape(ein("bo,oij,bj->bi", g, w, a2), tuple(x1.shape)) if n[0] else None
        g2 = xp.reshape(ein("bo,oij,bi->bj", g, w, a1), tuple(x2.shape)) if n[1] else None
        gw = ein("bo,bi,bj->oij", g, a1, a2) if n[2] else None
        gb = xp.sum(g, axis=0) if n[3] else None
        return g1, g2, gw, gb


def _einsum(equation, *operands):
    return np.einsum(equation, *operands, optimize=True)


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1 @ weight[o] @ input2 + bias[o]``."""
    if input1._data.shape[:-1] != input2._data.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 and input2 must have the same leading dims, got "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    if weight._data.ndim != 3 or weight._data.shape[1:] != (input1._data.shape[-1], input2._data.shape[-1]):
        raise RuntimeError(f"bilinear: weight should have shape (out, {input1._data.shape[-1]}, "
                           f"{input2._data.shape[-1]}), got {tuple(weight.shape)}")
    return Bilinear.apply(input1, input2, weight, bias)
