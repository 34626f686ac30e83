"""Regression losses: a function of the difference ``d = input - target``, elementwise.

L1 (``|d|``), MSE (``d^2``), SmoothL1 and Huber (quadratic near 0, linear beyond). Each is one
fused op whose gradient w.r.t. the input is ``slope(d)`` times the upstream gradient, and w.r.t.
the target its negative. L1, MSE and Huber also take a per-element ``weight`` (PyTorch 2.6+).
"""
import numpy as np

from ...autograd.function import Op
from ...autograd.xp import array_namespace
from ..arithmetic import div, mul
from ..reduce import mean, sum as _sum
from ._common import _check_tensor, _expand, _float_pair, _need, _reduce, _reduction, _warn_size

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"]


class _PointwiseLoss(Op):
    """A loss ``f(d)`` of ``d = input - target``, reduced; subclasses give ``_loss`` and ``_slope``.

    The input's gradient is ``slope(d)`` times the upstream gradient, the target's its negative.
    ``param`` is the loss's one scalar setting (beta, delta), or None. ``_slope`` is written
    against ``xp`` (NumPy, or Tensors with ``create_graph=True``, where ``d`` is recomputed from
    the saved input and target so the second derivative reaches both).
    """
    differentiable_backward = True

    @staticmethod
    def _loss(d, param):
        raise NotImplementedError

    @staticmethod
    def _slope(xp, d, param):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, t, param, reduction):
        d = x - t
        ctx.save_for_backward(d, x, t)
        ctx.param = param
        return _reduce(ctx, cls._loss(d, param), reduction)

    @classmethod
    def backward(cls, ctx, grad):
        d, x, t = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            d = x - t
        g = _expand(ctx, grad) * cls._slope(xp, d, ctx.param)
        return g, (-g if _need(ctx, 1) else None)


class L1Loss(_PointwiseLoss):
    """``|d|``; slope ``sign(d)``."""
    backward_name = "L1LossBackward0"

    @staticmethod
    def _loss(d, param):
        return np.abs(d)

    @staticmethod
    def _slope(xp, d, param):
        return _sgn(xp, d)


def _sgn(xp, d):
    """sign(d), 0 where d is nan (as PyTorch's sgn, which the L1 slopes use)."""
    return xp.where(d != d, 0.0, xp.sign(d))


class MSELoss(_PointwiseLoss):
    """``d^2``; slope ``2 d``."""
    backward_name = "MseLossBackward0"

    @staticmethod
    def _loss(d, param):
        return d * d

    @staticmethod
    def _slope(xp, d, param):
        return d

    @classmethod
    def backward(cls, ctx, grad):
        # the 2 (and the mean's 1/n) scale the upstream gradient before d, as PyTorch: no overflow
        # of 2 d near the dtype's largest value
        return super().backward(ctx, grad * 2)


class SmoothL1Loss(_PointwiseLoss):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; slope ``d / beta``, else
    ``sign(d)`` (``beta = 0`` is L1)."""
    backward_name = "SmoothL1LossBackward0"

    @staticmethod
    def _loss(d, beta):
        ad = np.abs(d)
        if beta == 0:
            return ad
        return np.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)

    @staticmethod
    def _slope(xp, d, beta):
        return _sgn(xp, d) if beta == 0 else xp.where(xp.abs(d) < beta, d / beta, _sgn(xp, d))


class HuberLoss(_PointwiseLoss):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; slope
    ``clip(d, -delta, delta)``."""
    backward_name = "HuberLossBackward0"

    @staticmethod
    def _loss(d, delta):
        ad = np.abs(d)
        return np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).astype(d.dtype, copy=False)

    @staticmethod
    def _slope(xp, d, delta):
        return xp.clip(d, -delta, delta)


def _regression(name, op, input, target, reduction, *params, weight=None, weighted_mean="sum"):
    input, target = _float_pair(name, input, target)
    _warn_size(input, target, stacklevel=4)
    if weight is None:
        return op.apply(input, target, *params, reduction)
    # Weighted form (PyTorch 2.6+): the weight multiplies the elementwise loss; 'mean' divides
    # by the sum of the weights for L1/MSE, by the element count for Huber (as PyTorch does).
    _check_tensor(name, "weight", weight)
    if weight._data.shape != input._data.shape:
        raise ValueError(f"Weights and input must have the same size. {name}: weight has shape "
                         f"{tuple(weight._data.shape)}, input {tuple(input._data.shape)}")
    weighted = mul(op.apply(input, target, *params, "none"), weight)
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return _sum(weighted)
    return div(_sum(weighted), _sum(weight)) if weighted_mean == "sum" else mean(weighted)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: ``|input - target|``, reduced.

    Shapes: input and target of the same shape (a different shape broadcasts with a warning);
    output a scalar, or the input's shape for ``reduction='none'``.

    Example:
        >>> F.l1_loss(ember.tensor([1., 2., 3.]), ember.tensor([1., 2., 5.]))
        tensor(0.6667)
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _regression("l1_loss", L1Loss, input, target, reduction, None, weight=weight)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: ``(input - target)^2``, reduced.

    Shapes as ``l1_loss``. With ``weight`` (input's shape) the mean is
    ``sum(w * (x - y)^2) / sum(w)``.

    Example:
        >>> F.mse_loss(ember.tensor([1., 2., 3.]), ember.tensor([1., 2., 5.]))
        tensor(1.3333)
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _regression("mse_loss", MSELoss, input, target, reduction, None, weight=weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = x - y).

    ``beta=0`` is the L1 loss. Shapes as ``l1_loss``.

    Example:
        >>> F.smooth_l1_loss(ember.tensor([0., 3.]), ember.tensor([0.5, 0.]))
        tensor(1.3125)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta})")
    return _regression("smooth_l1_loss", SmoothL1Loss, input, target, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber: ``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (d = x - y).

    Equal to ``delta * smooth_l1_loss(beta=delta)``. Shapes as ``l1_loss``.

    Example:
        >>> F.huber_loss(ember.tensor([0., 3.]), ember.tensor([0.5, 0.]))
        tensor(1.3125)
    """
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta})")
    return _regression("huber_loss", HuberLoss, input, target, reduction, float(delta), weight=weight,
                       weighted_mean="count")

