"""Distances between two batches of vectors: ``pairwise_distance`` (p-norm of the difference)
and ``cosine_similarity``, as ``torch.nn.PairwiseDistance`` / ``CosineSimilarity``.

They are not losses themselves, but the triplet losses (``ranking``) are built on them, and
PyTorch's functional namespace exports them beside the losses.
"""
import math

import numpy as np

from ...autograd.function import Op
from ...autograd.xp import array_namespace
from .._util import numpy_keywords
from ._common import _check_tensor, _float_pair, _need

__all__ = ["cosine_similarity", "pairwise_distance"]


def _pair_args(name, x1, x2):
    """Check x1 and x2 are Tensors that broadcast; promoted to one float dtype, and their shape."""
    _check_tensor(name, "x1", x1)
    _check_tensor(name, "x2", x2)
    a, b = _float_pair(name, x1, x2)
    try:
        shape = np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"{name}: x1 of shape {tuple(a._data.shape)} and x2 of shape "
                           f"{tuple(b._data.shape)} cannot be broadcast together") from None
    return a, b, shape


class PairwiseDistance(Op):
    """``n = ||v||_p`` over the last dimension, ``v = a - b + eps``.

    d/da = -d/db = sign(v) |v|^(p-1) / n^(p-1) (p = 2: v / n; p = 1: sign(v); p = inf: sign(v) on
    the entries reaching the max, shared among ties; p = 0: 0), and 0 where n = 0.
    With ``create_graph=True`` v and n are recomputed from the saved inputs (Tensors).
    """
    backward_name = "NormBackward1"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, p, eps, keepdim):
        v = a - b + eps
        av = np.abs(v)
        if p == 2:
            n = np.sqrt((v * v).sum(axis=-1, keepdims=True))
        elif p == 1:
            n = av.sum(axis=-1, keepdims=True)
        elif p == math.inf:
            n = av.max(axis=-1, keepdims=True)
        elif p == 0:
            n = (v != 0).sum(axis=-1, keepdims=True).astype(v.dtype)
        else:
            n = (av ** p).sum(axis=-1, keepdims=True) ** (1 / p)
        n = n.astype(v.dtype, copy=False)
        ctx.save_for_backward(v, n, a, b)
        ctx.p, ctx.eps = p, eps
        return n if keepdim else n[..., 0]

    @staticmethod
    def backward(ctx, grad):
        v, n, a, b = ctx.saved_tensors
        p = ctx.p
        xp = array_namespace(grad)
        zero = xp.asarray(n) == 0
        if xp.graph:
            v = a - b + ctx.eps
            if p == 2:
                n = xp.sqrt(xp.sum(v * v, axis=-1, keepdims=True))
            elif p not in (1, 0, math.inf):
                n = xp.sum(xp.abs(v) ** p, axis=-1, keepdims=True) ** (1 / p)
            else:
                n = xp.asarray(n)        # the gradient does not depend on n: a constant
        g = xp.reshape(grad, n.shape)
        safe = xp.where(zero, 1.0, n)
        if p == 2:
            local = v / safe
        elif p == 1:
            local = xp.sign(v)
        elif p == math.inf:
            va = xp.asarray(v)
            hit = np.abs(va) == xp.asarray(n)
            local = xp.sign(v) * (hit / np.maximum(hit.sum(axis=-1, keepdims=True), 1)).astype(va.dtype)
        elif p == 0:
            local = np.zeros_like(xp.asarray(v))
        else:
            local = xp.sign(v) * xp.abs(v) ** (p - 1) / safe ** (p - 1)
        g = g * xp.where(zero, 0.0, local)
        return g, (-g if _need(ctx, 1) else None)


@numpy_keywords
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm distance along the last dimension: ``||x1 - x2 + eps||_p``.

    Shapes: ``(N, D)`` or ``(D)``, broadcastable; output ``(N)`` (``(N, 1)`` with keepdim) or ``()``.

    Example:
        >>> F.pairwise_distance(ember.tensor([[0., 0.]]), ember.tensor([[3., 4.]]), eps=0)
        tensor([5.])
    """
    a, b, _ = _pair_args("pairwise_distance", x1, x2)
    return PairwiseDistance.apply(a, b, float(p), float(eps), bool(keepdim))


class CosineSimilarity(Op):
    """``cos = a.b / (max(|a|, eps) max(|b|, eps))`` along ``dim``.

    d/da = b / (max(|a|, eps) max(|b|, eps)) - cos a / (|a| max(|a|, eps)), symmetric for b.
    With ``create_graph=True`` the norms and cos are recomputed from the saved inputs (Tensors;
    each clamped norm is the norm plus a constant, so the gradient passes the clamp, as PyTorch).
    """
    backward_name = "SumBackward1"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, dim, eps):
        ctx.save_for_backward(a, b)
        if a.shape != b.shape:                 # norms are taken over the broadcast operands
            a, b = np.broadcast_arrays(a, b)
        na = np.sqrt((a * a).sum(axis=dim, keepdims=True))
        nb = np.sqrt((b * b).sum(axis=dim, keepdims=True))
        ca, cb = np.maximum(na, eps), np.maximum(nb, eps)
        out = (a * b).sum(axis=dim, keepdims=True) / (ca * cb)
        ctx.state = (dim, na, nb, ca, cb, out)
        return np.squeeze(out, axis=dim).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        dim, na, nb, ca, cb, out = ctx.state
        xp = array_namespace(grad)
        if a.shape != b.shape:
            shape = np.broadcast_shapes(a.shape, b.shape)
            a, b = xp.broadcast_to(a, shape), xp.broadcast_to(b, shape)
        if xp.graph:
            na0, nb0 = na, nb
            na = xp.sqrt(xp.sum(a * a, axis=dim, keepdims=True))
            nb = xp.sqrt(xp.sum(b * b, axis=dim, keepdims=True))
            ca, cb = na + (ca - na0), nb + (cb - nb0)
            out = xp.sum(a * b, axis=dim, keepdims=True) / (ca * cb)
        g = xp.expand_dims(grad, dim)
        ga = gb = None
        # d/da (a.b / (|a| |b|)) = b / (|a| |b|) - cos a / |a|^2. Where a norm is clamped to eps,
        # PyTorch still lets the gradient pass through the clamp: the second term becomes
        # cos (a / |a|) / eps (and 0 for a zero vector). We do the same.
        if _need(ctx, 0):
            ga = g * (b / (ca * cb) - out * a / (xp.where(na > 0, na, 1.0) * ca))
        if _need(ctx, 1):
            gb = g * (a / (ca * cb) - out * b / (xp.where(nb > 0, nb, 1.0) * cb))
        return ga, gb


@numpy_keywords
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between x1 and x2 along ``dim``: ``x1.x2 / (max(|x1|, eps) max(|x2|, eps))``.

    Shapes: x1 and x2 broadcastable; output the broadcast shape without ``dim``.

    Example:
        >>> F.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
        tensor([0.7071])
    """
    a, b, shape = _pair_args("cosine_similarity", x1, x2)
    nd = len(shape)
    if not -nd <= dim < max(nd, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got "
                         f"{dim})")
    return CosineSimilarity.apply(a, b, dim % nd if nd else 0, float(eps))

