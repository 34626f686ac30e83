"""Likelihood losses: the negative log-likelihood of a target under a distribution the input
parametrises, or a divergence between distributions.

Bernoulli: ``binary_cross_entropy`` (probabilities) and ``binary_cross_entropy_with_logits``
(raw scores, stabler); Poisson: ``poisson_nll_loss``; Gaussian: ``gaussian_nll_loss``;
and the Kullback-Leibler divergence ``kl_div``.
"""
import math
import warnings

import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.function import Op
from ...autograd.xp import array_namespace
from .. import _math
from ..views import unsqueeze
from ._common import (_REDUCTIONS, _check_tensor, _expand, _float_pair, _need, _reduce, _reduction,
                      _size)

__all__ = ["poisson_nll_loss", "gaussian_nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div"]

_LOG_2PI = math.log(2 * math.pi)


def _softplus(xp, z):
    """log(1 + exp(z)), stable for any z, written against ``xp`` (the graph path's recompute)."""
    return xp.maximum(z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))


# -- binary cross-entropy ---------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    """``-w (y lp + (1 - y) l1p)`` with ``lp = max(log p, -100)``, ``l1p = max(log(1 - p), -100)``.

    d/dp = w (p - y) / max(p (1 - p), 1e-12);  d/dy = w (l1p - lp).
    With ``create_graph=True`` the logs are recomputed from the saved input (Tensors).
    """
    backward_name = "BinaryCrossEntropyBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, p, t, w, reduction):
        with np.errstate(divide="ignore"):
            lp = np.maximum(np.log(p), -100)
            l1p = np.maximum(np.log1p(-p), -100)
        loss = -(t * lp + (1 - t) * l1p)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(p, t, w, lp, l1p)
        return _reduce(ctx, loss.astype(p.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        p, t, w, lp, l1p = ctx.saved_tensors
        xp = array_namespace(grad)
        g = _expand(ctx, grad)
        if w is not None:
            g = g * w
        if xp.graph and _need(ctx, 1):
            lp = xp.maximum(xp.log(p), -100.0)
            l1p = xp.maximum(xp.log1p(-p), -100.0)
        gp = g * (p - t) / xp.maximum(p * (1 - p), 1e-12) if _need(ctx, 0) else None
        gt = g * (l1p - lp) if _need(ctx, 1) else None
        return gp, gt


# PyTorch's two wordings of "the target must have the input's shape", and the usual fix.
_BCE_SHAPE = ("Using a target size ({target}) that is different to the input size ({input}) is "
              "deprecated. Please ensure they have the same size. ({name}: e.g. target.view_as(input) "
              "or target.float().unsqueeze(1))")
_BCE_LOGITS_SHAPE = ("Target size ({target}) must be the same as input size ({input}). {name}: e.g. "
                     "target.view_as(input) or target.float().unsqueeze(1)")


def _same_shape_pair(name, input, target, message):
    """input and target in one floating dtype; ValueError ``message`` if their shapes differ."""
    input, target = _float_pair(name, input, target)
    if target._data.shape != input._data.shape:
        raise ValueError(message.format(target=_size(target._data.shape), input=_size(input._data.shape),
                                        name=name))
    return input, target


def _broadcast_weight(name, what, weight, input):
    """``weight``'s array in the input's dtype, checked to broadcast to the input; None if None."""
    if weight is None:
        return None
    _check_tensor(name, what, weight)
    w = weight._data.astype(input._data.dtype, copy=False)
    _check_bcast(name, what, w.shape, input._data.shape)
    return w


def _check_bcast(name, what, shape, to):
    try:
        ok = np.broadcast_shapes(shape, to) == tuple(to)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{name}: {what} of shape {tuple(shape)} cannot be broadcast to the input's "
                           f"shape {tuple(to)}; for per-class weights use shape ({to[-1] if to else 1},)")


def _range_check(name, what, arr, fix):
    if arr.size == 0:
        return
    lo, hi = arr.min(), arr.max()
    if not (lo >= 0 and hi <= 1):   # also catches NaN
        raise RuntimeError(f"all elements of {what} should be between 0 and 1. {name}: {what} must be "
                           f"probabilities in [0, 1], got min {float(lo):.4g} max {float(hi):.4g}; {fix}")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities: ``-w (y log p + (1 - y) log(1 - p))``.

    Both logs are clamped at -100 (as PyTorch), so p = 0 or 1 gives a finite loss and gradient.
    For raw scores (logits) use ``binary_cross_entropy_with_logits``, which is stabler.
    Shapes: input and target of the same shape, weight broadcastable to it; output a scalar or
    the input's shape for ``'none'``.

    Example:
        >>> F.binary_cross_entropy(ember.tensor([0.8, 0.1]), ember.tensor([1., 0.]))
        tensor(0.1643)
    """
    name = "binary_cross_entropy"
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _same_shape_pair(name, input, target, _BCE_SHAPE)
    _range_check(name, "input", input._data,
                 "apply sigmoid to the model output, or use BCEWithLogitsLoss / "
                 "binary_cross_entropy_with_logits on the raw scores")
    _range_check(name, "target", target._data, "targets are 0/1 labels or probabilities")
    w = _broadcast_weight(name, "weight", weight, input)
    return BinaryCrossEntropy.apply(input, target, w, reduction)


class BinaryCrossEntropyWithLogits(Op):
    """``(1 - y) x + (1 + (pw - 1) y) softplus(-x)``, times weight: stable for any |x|.

    With ``lw = 1 + (pw - 1) y`` (1 without pos_weight):
    d/dx = w ((1 - y) - lw sigmoid(-x));  d/dy = w ((pw - 1) softplus(-x) - x).
    With ``create_graph=True`` softplus(-x) and lw are recomputed from the saved input and target.
    """
    backward_name = "BinaryCrossEntropyWithLogitsBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        sp = _math.softplus(-x, threshold=None)
        lw = None if pw is None else 1 + (pw - 1) * t
        loss = (1 - t) * x + (sp if lw is None else lw * sp)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, sp)
        ctx.wts = (w, pw, lw)
        return _reduce(ctx, loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, sp = ctx.saved_tensors
        w, pw, lw = ctx.wts
        xp = array_namespace(grad)
        if xp.graph:
            sp = _softplus(xp, -x)
            lw = None if pw is None else 1 + (pw - 1) * t
        g = _expand(ctx, grad)
        if w is not None:
            g = g * w
        gx = gt = None
        if _need(ctx, 0):
            sig_neg = xp.exp(-x - sp)                    # sigmoid(-x), no overflow
            sig_neg = xp.where(x == -np.inf, 1.0, sig_neg)  # (-x - sp is inf - inf there)
            gx = g * ((1 - t) - (sig_neg if lw is None else lw * sig_neg))
        if _need(ctx, 1):
            gt = g * (-x if pw is None else (pw - 1) * sp - x)
        return gx, gt


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable op (log-sigmoid form).

    ``loss = -w (pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))``; ``pos_weight`` (one per
    class, broadcast along the last dimension) scales the positive term.
    Shapes: input and target of the same shape; weight and pos_weight broadcastable to it.

    Example:
        >>> F.binary_cross_entropy_with_logits(ember.tensor([2., -1.]), ember.tensor([1., 0.]))
        tensor(0.2201)
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _same_shape_pair(name, input, target, _BCE_LOGITS_SHAPE)
    w = _broadcast_weight(name, "weight", weight, input)
    pw = _broadcast_weight(name, "pos_weight", pos_weight, input)
    return BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction)



# -- Kullback-Leibler divergence ------------------------------------------------------------
class KLDiv(Op):
    """``y (log y - x)`` (0 where y = 0); d/dx = -y, d/dy = log y + 1 - x.

    ``log_target``: ``exp(y) (y - x)``; d/dx = -exp(y), d/dy = exp(y) (y - x + 1).
    ``'batchmean'`` divides the sum by the batch size (the first dimension).
    With ``create_graph=True`` exp(y) / log y is recomputed from the saved target (Tensors).
    """
    backward_name = "KlDivBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, t, log_target, reduction):
        if log_target:
            et = np.exp(t)
            loss = et * (t - x)
            ctx.save_for_backward(x, t, et)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                lt = np.where(t > 0, np.log(np.where(t > 0, t, 1)), 0).astype(t.dtype, copy=False)
            loss = t * lt - t * x
            ctx.save_for_backward(x, t, lt)
        ctx.log_target = log_target
        batch = x.shape[0] if x.ndim else 1
        if reduction == "batchmean":
            ctx.reduction, ctx.lshape, ctx.n = "mean", loss.shape, batch
            return np.asarray(loss.sum() / batch)
        return _reduce(ctx, loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, aux = ctx.saved_tensors
        xp = array_namespace(grad)
        g = _expand(ctx, grad)
        if ctx.log_target:
            if xp.graph:
                aux = xp.exp(t)
            gx = -g * aux
            gt = g * aux * (t - x + 1) if _need(ctx, 1) else None
        else:
            pos = t > 0
            if xp.graph and _need(ctx, 1):
                aux = xp.where(pos, xp.log(xp.where(pos, t, 1.0)), 0.0)
            gx = -g * t
            gt = g * (xp.where(pos, aux + 1, -np.inf) - x) if _need(ctx, 1) else None
        return gx, gt


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence ``y (log y - x)`` with ``x`` log-probabilities.

    ``log_target=True`` takes the target as log-probabilities too: ``exp(y) (y - x)``.
    ``reduction='batchmean'`` (sum / batch size) gives the true KL divergence; ``'mean'``
    averages over all elements and warns, as PyTorch does.
    Shapes: input ``(*)``, target broadcastable; output a scalar or the input's shape.

    Example:
        >>> F.kl_div(ember.tensor([[-1., -0.5]]), ember.tensor([[0.4, 0.6]]), reduction='batchmean')
        tensor(0.0270)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction (expected 'none', "
                         f"'batchmean', 'mean' or 'sum')")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support "
                      "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                      "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                      "major release.", UserWarning, stacklevel=2)
    input, target = _float_pair("kl_div", input, target)
    return KLDiv.apply(input, target, bool(log_target), reduction)



# -- Poisson and Gaussian NLL --------------------------------------------------------------
class PoissonNLLLoss(Op):
    """``log_input``: ``exp(x) - y x``; d/dx = exp(x) - y, d/dy = -x.

    Otherwise ``x - y log(x + eps)``; d/dx = 1 - y / (x + eps), d/dy = -log(x + eps).
    ``full`` adds Stirling's ``y log y - y + 0.5 log(2 pi y)`` where ``y > 1``: d/dy += log y + 0.5 / y.
    With ``create_graph=True`` exp(x) / log(x + eps) is recomputed from the saved input (Tensors).
    """
    differentiable_backward = True
    @staticmethod
    def forward(ctx, x, t, log_input, full, eps, reduction):
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_input:
                ex = np.exp(x)
                loss = ex - t * x
                ctx.save_for_backward(x, t, ex)
            else:
                lx = np.log(x + eps)
                loss = x - t * lx
                ctx.save_for_backward(x, t, lx)
            if full:
                # Stirling's approximation of log(t!), only where t > 1 (as PyTorch).
                st = np.where(t > 1, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t), 0)
                loss = (loss + st).astype(loss.dtype, copy=False)
        ctx.opts = (log_input, full, eps)
        return _reduce(ctx, loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, aux = ctx.saved_tensors
        log_input, full, eps = ctx.opts
        xp = array_namespace(grad)
        if xp.graph:
            aux = xp.exp(x) if log_input else xp.log(x + eps)
        g = _expand(ctx, grad)
        gx = gt = None
        if _need(ctx, 0):
            gx = g * (aux - t) if log_input else g * (1 - t / (x + eps))
        if _need(ctx, 1):
            local = -x if log_input else -aux
            if full:
                big = t > 1
                ts = xp.where(big, t, 1.0)               # finite in both branches (and their grads)
                local = local + xp.where(big, xp.log(ts) + 0.5 / ts, 0.0)
            gt = g * local
        return gx, gt


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of a Poisson target.

    ``log_input=True``: ``exp(x) - y x`` (x is the log-rate); else ``x - y log(x + eps)``.
    ``full=True`` adds Stirling's term ``y log y - y + 0.5 log(2 pi y)`` where ``y > 1``.
    Shapes: any, broadcastable; output scalar or the broadcast shape for ``'none'``.

    Example:
        >>> F.poisson_nll_loss(ember.tensor([0., 1.]), ember.tensor([1., 2.]))
        tensor(0.8591)
    """
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _float_pair("poisson_nll_loss", input, target)
    return PoissonNLLLoss.apply(input, target, bool(log_input), bool(full), float(eps), reduction)


class GaussianNLLLoss(Op):
    """``0.5 (log v + d^2 / v)`` (+ ``0.5 log(2 pi)`` if full), ``d = x - y``, ``v = max(var, eps)``.

    d/dx = d / v = -d/dy;  d/dvar = 0.5 (1 / v - d^2 / v^2) (passed through the clamp).
    With ``create_graph=True`` d and v are recomputed from the saved input, target and var
    (v = var + the clamp's constant offset, so var's gradient passes through it, as PyTorch).
    """
    differentiable_backward = True
    @staticmethod
    def forward(ctx, x, t, var, full, eps, reduction):
        v = np.maximum(var, eps).astype(np.result_type(x, var), copy=False)
        d = x - t
        loss = 0.5 * (np.log(v) + d * d / v)
        if full:
            loss = loss + 0.5 * _LOG_2PI
        ctx.save_for_backward(d, v, x, t, var)
        return _reduce(ctx, loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        d, v, x, t, var = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            d = x - t
            v = var + (xp.asarray(v) - xp.asarray(var))
        g = _expand(ctx, grad)
        gx = g * d / v
        # The clamp to eps has no gradient of its own in PyTorch: var's gradient passes through.
        gv = g * 0.5 * (1 / v - d * d / (v * v)) if _need(ctx, 2) else None
        return gx, (-gx if _need(ctx, 1) else None), gv


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood: ``0.5 (log(max(var, eps)) + (x - y)^2 / max(var, eps))``.

    ``full=True`` adds ``0.5 log(2 pi)``. Shapes: input ``(N, *)``, target like input, var like
    input, or with one dimension fewer, or a last dimension of 1 (one variance per sample), or a
    float.

    Example:
        >>> F.gaussian_nll_loss(ember.tensor([1., 2.]), ember.tensor([1., 0.]), ember.tensor([1., 2.]))
        tensor(0.6733)
    """
    reduction = _reduction(None, None, reduction)
    input, target = _float_pair("gaussian_nll_loss", input, target)
    if not isinstance(var, Tensor):
        var = _wrap(np.full(input._data.shape, var, dtype=input._data.dtype))
    xs, vs = input._data.shape, var._data.shape
    if vs != xs:
        if xs[:-1] == vs:
            var = unsqueeze(var, -1)
        elif not (xs[:-1] == vs[:-1] and vs[-1:] == (1,)):
            raise ValueError(f"var is of incorrect size: gaussian_nll_loss expects var of the input's "
                             f"shape {tuple(xs)}, or {tuple(xs[:-1])}, or {tuple(xs[:-1]) + (1,)}; got "
                             f"{tuple(vs)}")
    if var._data.size and var._data.min() < 0:
        raise ValueError(f"var has negative entry/entries (min {float(var._data.min()):.4g}); variances "
                         f"must be >= 0 (use e.g. softplus or exp to produce them)")
    return GaussianNLLLoss.apply(input, target, var, bool(full), float(eps), reduction)
