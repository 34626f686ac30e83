"""Ranking and embedding losses: they compare two or three inputs, not one input with labels.

Pairs: ``margin_ranking_loss`` (scores x1, x2 and which should rank higher),
``cosine_embedding_loss`` (two embeddings, similar or not), ``hinge_embedding_loss`` (a
distance, similar or not). Triplets: ``triplet_margin_loss`` and
``triplet_margin_with_distance_loss`` (anchor, positive, negative), on the distances of
``distance``.
"""
import numpy as np

from ...autograd.function import Op
from ...autograd.xp import array_namespace
from ..clamp_where import minimum
from ._common import _check_tensor, _expand, _float_pair, _need, _reduce, _reduction, _size
from .distance import pairwise_distance

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss"]


# -- pairs ------------------------------------------------------------------------------------
class CosineEmbeddingLoss(Op):
    """``1 - cos`` where y = 1, ``max(0, cos - margin)`` where y = -1, along the last dimension.

    ``cos = a.b / sqrt(m1 m2)`` with ``m1 = |a|^2 + 1e-12``, ``m2 = |b|^2 + 1e-12``;
    d/da = dcos (b / sqrt(m1 m2) - cos a / m1), symmetric for b, with dcos = -1 (y = 1),
    1 (y = -1 and cos > margin), else 0. With ``create_graph=True`` the norms and cos are
    recomputed from the saved inputs (Tensors).
    """
    _EPS = 1e-12
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, y, margin, reduction):
        prod = (a * b).sum(axis=-1)
        m1 = (a * a).sum(axis=-1) + CosineEmbeddingLoss._EPS
        m2 = (b * b).sum(axis=-1) + CosineEmbeddingLoss._EPS
        denom = np.sqrt(m1 * m2)
        cos = prod / denom
        pos, neg = y == 1, y == -1
        loss = np.where(pos, 1 - cos, 0) + np.where(neg, np.maximum(cos - margin, 0), 0)
        ctx.save_for_backward(a, b)
        ctx.state = (m1, m2, denom, cos, pos, neg & (cos > margin))
        return _reduce(ctx, loss.astype(a.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        m1, m2, denom, cos, pos, neg_active = ctx.state
        xp = array_namespace(grad)
        sign = neg_active.astype(cos.dtype) - pos
        if xp.graph:
            eps = CosineEmbeddingLoss._EPS
            m1 = xp.sum(a * a, axis=-1) + eps
            m2 = xp.sum(b * b, axis=-1) + eps
            denom = xp.sqrt(m1 * m2)
            cos = xp.sum(a * b, axis=-1) / denom
        dcos = xp.expand_dims(_expand(ctx, grad) * sign, -1)
        denom, cos = xp.expand_dims(denom, -1), xp.expand_dims(cos, -1)
        ga = dcos * (b / denom - cos * a / xp.expand_dims(m1, -1)) if _need(ctx, 0) else None
        gb = dcos * (a / denom - cos * b / xp.expand_dims(m2, -1)) if _need(ctx, 1) else None
        return ga, gb, None


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """Similarity loss on cosine: ``1 - cos(x1, x2)`` for y = 1, ``max(0, cos(x1, x2) - margin)``
    for y = -1.

    Shapes: inputs ``(N, D)`` or ``(D)``, target ``(N)`` or ``()`` of 1/-1; output a scalar or
    ``(N)`` for ``'none'``.

    Example:
        >>> F.cosine_embedding_loss(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]), ember.tensor([1.]))
        tensor(0.2929)
    """
    name = "cosine_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction)
    for arg, v in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(name, arg, v)
    a, b = _float_pair(name, input1, input2)
    nd = target._data.ndim
    if nd > 1 or a._data.ndim != nd + 1 or b._data.ndim != nd + 1:
        raise RuntimeError(
            f"{nd}D target tensor expects {nd + 1}D input tensors, but found inputs with sizes "
            f"{list(a._data.shape)} and {list(b._data.shape)}. {name}: inputs are (N, D) with target "
            f"(N), or (D) with a 0-d target")
    if a._data.shape != b._data.shape:
        try:
            np.broadcast_shapes(a._data.shape, b._data.shape)
        except ValueError:
            raise RuntimeError(f"{name}: input1 of shape {tuple(a._data.shape)} and input2 of shape "
                               f"{tuple(b._data.shape)} must have the same shape") from None
    return CosineEmbeddingLoss.apply(a, b, target, float(margin), reduction)


class MarginRankingLoss(Op):
    """``max(0, margin - y (a - b))``; where active: d/da = -y, d/db = y, d/dy = -(a - b).

    With ``create_graph=True`` a - b is recomputed from the saved inputs (Tensors).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, y, margin, reduction):
        d = a - b
        z = margin - y * d
        act = z > 0
        ctx.save_for_backward(y, d, act, a, b)
        return _reduce(ctx, np.where(act, z, 0).astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        y, d, act, a, b = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            d, act = a - b, xp.asarray(act)
        g = _expand(ctx, grad) * act
        gy = -g * d if _need(ctx, 2) else None
        g = g * y
        return -g, (g if _need(ctx, 1) else None), gy


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """Ranking hinge: ``max(0, -y (x1 - x2) + margin)`` with y = 1 if x1 should rank higher.

    Shapes: input1, input2 and target of the same number of dimensions, broadcastable; output
    a scalar or the broadcast shape for ``'none'``.

    Example:
        >>> F.margin_ranking_loss(ember.tensor([1., 2.]), ember.tensor([2., 1.]), ember.tensor([1., 1.]))
        tensor(0.5000)
    """
    name = "margin_ranking_loss"
    reduction = _reduction(size_average, reduce, reduction)
    for arg, v in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(name, arg, v)
    if not input1._data.ndim == input2._data.ndim == target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got "
                           f"sizes: input1: {_size(input1._data.shape)}, input2: "
                           f"{_size(input2._data.shape)}, target: {_size(target._data.shape)} ")
    a, b = _float_pair(name, input1, input2)
    _, y = _float_pair(name, a, target)
    return MarginRankingLoss.apply(a, b, y, float(margin), reduction)


class HingeEmbeddingLoss(Op):
    """``[y != 1] max(0, margin - x) + [y != -1] x``: x where y = 1, the hinge where y = -1.

    d/dx = [y != -1] - [y != 1][margin - x > 0] (piecewise constant: linear in the upstream gradient).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, y, margin, reduction):
        mz = margin - x
        not_pos, not_neg = y != 1, y != -1
        loss = np.where(not_pos, np.maximum(mz, 0), 0) + np.where(not_neg, x, 0)
        ctx.save_for_backward(not_pos & (mz > 0), not_neg)
        return _reduce(ctx, loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        act, not_neg = ctx.saved_tensors
        xp = array_namespace(grad)
        act, not_neg = xp.asarray(act), xp.asarray(not_neg)
        return _expand(ctx, grad) * (not_neg.astype(xp.asarray(grad).dtype) - act), None


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """Hinge embedding loss: ``x`` where y = 1, ``max(0, margin - x)`` where y = -1.

    Shapes: input and target broadcastable (usually equal); output a scalar or the broadcast
    shape for ``'none'``.

    Example:
        >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.4]), ember.tensor([1., -1.]))
        tensor(0.4500)
    """
    name = "hinge_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(name, "input", input)
    _check_tensor(name, "target", target)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {input.dtype}; use .float()")
    return HingeEmbeddingLoss.apply(input, target, float(margin), reduction)



# -- triplet losses ---------------------------------------------------------------------------
class TripletHinge(Op):
    """``max(0, margin + d_ap - d_an)``, reduced: the tail of both triplet losses.

    d/d_ap = -d/d_an = 1 where the hinge is active, else 0 (linear in the upstream gradient).
    """
    backward_name = "ClampMinBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, dap, dan, margin, reduction):
        z = margin + dap - dan
        act = z > 0
        ctx.save_for_backward(act)
        return _reduce(ctx, np.where(act, z, 0).astype(dap.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        act, = ctx.saved_tensors
        g = _expand(ctx, grad) * array_namespace(grad).asarray(act)
        return g, (-g if _need(ctx, 1) else None)


def _triplet(dist, anchor, positive, negative, margin, swap, reduction):
    """The triplet hinge on ``dist``; with ``swap``, the negative distance is min(d(a, n), d(p, n))."""
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = minimum(d_an, dist(positive, negative))
    return TripletHinge.apply(d_ap, d_an, float(margin), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """Triplet loss ``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the pairwise p-norm distance.

    ``swap=True`` uses ``min(d(a, n), d(p, n))`` as the negative distance.
    Shapes: anchor, positive, negative all ``(N, D)`` or all ``(D)``; output a scalar or ``(N)``.

    Example:
        >>> a = ember.tensor([[0., 0.]]); F.triplet_margin_loss(a, a + 1, a - 2)
        tensor(0.)
    """
    name = "triplet_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    for arg, v in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_tensor(name, arg, v)
    da, dp, dn = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not da == dp == dn:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same "
                           f"number of dimensions, but got: anchor {da}D, positive {dp}D, and negative "
                           f"{dn}D inputs")
    return _triplet(lambda x, y: pairwise_distance(x, y, p, eps), anchor, positive, negative, margin,
                    swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """Triplet loss with any distance: ``max(0, margin + d(a, p) - d(a, n))``.

    ``distance_function(x, y)`` returns one distance per sample (default ``pairwise_distance``).
    Shapes: anchor, positive, negative ``(N, *)`` as the distance accepts; output a scalar or ``(N)``.

    Example:
        >>> a = ember.tensor([[0., 0.]])
        >>> F.triplet_margin_with_distance_loss(a, a + 1, a - 2, distance_function=F.pairwise_distance)
        tensor(0.)
    """
    reduction = _reduction(None, None, reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                         f"{margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    return _triplet(dist, anchor, positive, negative, margin, swap, reduction)
