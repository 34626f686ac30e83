"""Loss functions as fused ops: each loss is one graph node with a closed-form backward.

Every op takes the reduction (``'none' | 'mean' | 'sum'``) as its last argument and applies it
inside the node, so a training step's loss costs one forward and one backward, whatever the
options. Inputs are checked in the functional wrappers, cheaply, with PyTorch's error types
and messages that say what was expected, what was received and the usual fix.

Cross-entropy has a fast path for the common case (class-index target, no weight, no label
smoothing): about ten NumPy calls forward and five backward.
"""
import math
import warnings

import numpy as np

from .._tensor import Size, Tensor, _wrap
from ..autograd.function import Op
from . import _math

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss", "soft_margin_loss",
    "kl_div", "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "cosine_similarity",
    "pairwise_distance",
]

_REDUCTIONS = ("none", "mean", "sum")
_LOG_2PI = math.log(2 * math.pi)


# -- shared helpers ---------------------------------------------------------------------------
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
    if reduction == "sum":
        return np.asarray(loss.sum())
    ctx.n = loss.size
    if loss.size == 0:
        return np.full((), np.nan, loss.dtype)
    return np.asarray(loss.mean())


def _expand(ctx, grad):
    """The upstream gradient of each element of the unreduced loss."""
    r = ctx.reduction
    if r == "none":
        return grad
    if r == "mean" and ctx.n:
        grad = grad / ctx.n
    return np.broadcast_to(grad, ctx.lshape)


def _need(ctx, i):
    return ctx.needs_input_grad[i]


def _check_tensor(name, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(value).__name__}")


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
    from .elementwise import to_dtype
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


# -- regression losses --------------------------------------------------------------------------
class _PointwiseLoss(Op):
    """A loss ``f(d)`` of ``d = input - target``, reduced; subclasses give ``_loss`` and ``_slope``.

    The input's gradient is ``slope(d)`` times the upstream gradient, the target's its negative.
    ``param`` is the loss's one scalar setting (beta, delta), or None.
    """

    @staticmethod
    def _loss(d, param):
        raise NotImplementedError

    @staticmethod
    def _slope(d, param):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, t, param, reduction):
        d = x - t
        ctx.save_for_backward(d)
        ctx.param = param
        return _reduce(ctx, cls._loss(d, param), reduction)

    @classmethod
    def backward(cls, ctx, grad):
        d, = ctx.saved_tensors
        g = _expand(ctx, grad) * cls._slope(d, ctx.param)
        return g, (-g if _need(ctx, 1) else None)


class L1Loss(_PointwiseLoss):
    backward_name = "L1LossBackward0"

    @staticmethod
    def _loss(d, param):
        return np.abs(d)

    @staticmethod
    def _slope(d, param):
        return np.sign(d)


class MSELoss(_PointwiseLoss):
    backward_name = "MseLossBackward0"

    @staticmethod
    def _loss(d, param):
        return d * d

    @staticmethod
    def _slope(d, param):
        return 2 * d


class SmoothL1Loss(_PointwiseLoss):
    backward_name = "SmoothL1LossBackward0"

    @staticmethod
    def _loss(d, beta):
        ad = np.abs(d)
        if beta == 0:
            return ad
        return np.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)

    @staticmethod
    def _slope(d, beta):
        return np.sign(d) if beta == 0 else np.where(np.abs(d) < beta, d / beta, np.sign(d))


class HuberLoss(_PointwiseLoss):
    backward_name = "HuberLossBackward0"

    @staticmethod
    def _loss(d, delta):
        ad = np.abs(d)
        return np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).astype(d.dtype, copy=False)

    @staticmethod
    def _slope(d, delta):
        return np.clip(d, -delta, delta)


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
    from .elementwise import div, mul
    from .reduce import mean, sum as _sum
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


class PoissonNLLLoss(Op):
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
        g = _expand(ctx, grad)
        gx = gt = None
        if _need(ctx, 0):
            gx = g * (aux - t) if log_input else g * (1 - t / (x + eps))
        if _need(ctx, 1):
            local = -x if log_input else -aux
            if full:
                with np.errstate(divide="ignore", invalid="ignore"):
                    local = local + np.where(t > 1, np.log(t) + 0.5 / t, 0).astype(local.dtype)
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
    @staticmethod
    def forward(ctx, x, t, var, full, eps, reduction):
        v = np.maximum(var, eps).astype(np.result_type(x, var), copy=False)
        d = x - t
        loss = 0.5 * (np.log(v) + d * d / v)
        if full:
            loss = loss + 0.5 * _LOG_2PI
        ctx.save_for_backward(d, v)
        return _reduce(ctx, loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        d, v = ctx.saved_tensors
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
            from .shape import unsqueeze
            var = unsqueeze(var, -1)
        elif not (xs[:-1] == vs[:-1] and vs[-1:] == (1,)):
            raise ValueError(f"var is of incorrect size: gaussian_nll_loss expects var of the input's "
                             f"shape {tuple(xs)}, or {tuple(xs[:-1])}, or {tuple(xs[:-1]) + (1,)}; got "
                             f"{tuple(vs)}")
    if var._data.size and var._data.min() < 0:
        raise ValueError(f"var has negative entry/entries (min {float(var._data.min()):.4g}); variances "
                         f"must be >= 0 (use e.g. softplus or exp to produce them)")
    return GaussianNLLLoss.apply(input, target, var, bool(full), float(eps), reduction)


# -- cross-entropy and NLL (class-index targets) -------------------------------------------------
def _rows(x, t):
    """View input (C) / (N, C) / (N, C, d1, ...) and target as (M, C) rows and (M,) targets."""
    if x.ndim == 2:
        return x, t
    if x.ndim == 1:
        return x[None, :], t.reshape(1)
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]), t.reshape(-1)


def _unrows(g, shape):
    """Inverse of ``_rows`` for a gradient of shape (M, C)."""
    if len(shape) == 2:
        return g
    if len(shape) == 1:
        return g[0]
    return np.moveaxis(g.reshape((shape[0],) + shape[2:] + (shape[1],)), -1, 1)


def _row_reduce(ctx, loss, denom, reduction, out_shape):
    ctx.reduction, ctx.denom, ctx.out_shape = reduction, denom, out_shape
    if reduction == "none":
        return loss.reshape(out_shape)
    s = loss.sum()
    if reduction == "sum":
        return np.asarray(s)
    with np.errstate(divide="ignore", invalid="ignore"):     # every target ignored: nan, as PyTorch
        return np.asarray(s / denom)


def _row_grad(ctx, grad):
    """Upstream gradient per row (M,), including the 1/denominator of 'mean'."""
    if ctx.reduction == "none":
        return grad.reshape(-1)
    if ctx.reduction == "mean":
        # Every row ignored: the loss is 0/0 = nan but no row has a gradient (as PyTorch).
        return grad / ctx.denom if ctx.denom else np.zeros_like(grad)
    return grad


class CrossEntropyFast(Op):
    """Cross-entropy for (N, C) logits and in-range (N,) class indices, no weight or smoothing."""
    backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction):
        m = x.max(axis=1, keepdims=True)
        e = x - m
        np.exp(e, out=e)
        se = e.sum(axis=1, keepdims=True)
        rows = np.arange(x.shape[0])
        nll = (np.log(se) + m)[:, 0] - x[rows, t]       # logsumexp(x) - x[target]
        ctx.save_for_backward(e, se, t)
        ctx.rows, ctx.reduction = rows, reduction
        if reduction == "none":
            return nll
        total = np.add.reduce(nll)
        return np.asarray(total if reduction == "sum" else total / len(t))

    @staticmethod
    def backward(ctx, grad):
        # d/dx = (softmax(x) - one_hot(t)) * upstream: one pass over (N, C) with the per-row
        # factor upstream / sum(exp) folded in, then the target entries.
        e, se, t = ctx.saved_tensors
        r = ctx.reduction
        f = grad / len(t) if r == "mean" else (grad if r == "sum" else grad[:, None])
        g = e * (f / se)
        g[ctx.rows, t] -= f if r != "none" else grad
        return g, None


class CrossEntropy(Op):
    """Cross-entropy with class indices: weight, ignore_index, label smoothing, any K dims.

    Per row i with target y_i (not ignored), log-probabilities l = log_softmax(x_i), weights w
    (ones if none), W = sum_c w_c and smoothing eps over C classes:

        loss_i = (1 - eps) w_{y_i} (-l_{y_i}) + (eps / C) sum_c w_c (-l_c)

    'mean' divides the sum by sum_i w_{y_i} over non-ignored rows (PyTorch's normalisation for
    both terms). Gradient: (p ((1-eps) w_y + (eps/C) W) - (1-eps) w_y onehot_y - (eps/C) w) g_i.
    """
    backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, eps, reduction):
        shape, out_shape = x.shape, t.shape if x.ndim > 1 else ()
        x2, t2 = _rows(x, t)
        m, c = x2.shape
        s = x2 - x2.max(axis=1, keepdims=True)
        e = np.exp(s)
        se = e.sum(axis=1, keepdims=True)
        logp = s - np.log(se)
        valid = t2 != ignore_index
        tc = np.where(valid, t2, 0)
        rows = np.arange(m)
        wt = (w[tc] * valid) if w is not None else valid.astype(x.dtype)
        loss = (1 - eps) * wt * -logp[rows, tc]
        if eps:
            smooth = -(logp @ w if w is not None else logp.sum(axis=1))
            loss = loss + (eps / c) * smooth * valid
        loss = loss.astype(x.dtype, copy=False)
        denom = wt.sum() if reduction == "mean" else 1
        ctx.save_for_backward(e, se, t)
        ctx.state = (shape, tc, valid, wt, w, eps, rows)
        return _row_reduce(ctx, loss, denom, reduction, out_shape)

    @staticmethod
    def backward(ctx, grad):
        e, se, _ = ctx.saved_tensors
        shape, tc, valid, wt, w, eps, rows = ctx.state
        c = e.shape[1]
        gi = _row_grad(ctx, grad)                       # (M,) or scalar
        a = (1 - eps) * wt                               # weight of the NLL term per row
        if eps:
            wsum = w.sum() if w is not None else c
            coef = a + (eps / c) * wsum * valid
        else:
            coef = a
        g = (e / se) * coef[:, None]
        g[rows, tc] -= a
        if eps:
            g -= (eps / c) * valid[:, None] * (w[None, :] if w is not None else 1)
        g *= gi if np.ndim(gi) == 0 else gi[:, None]
        return _unrows(g.astype(e.dtype, copy=False), shape), None, None


class CrossEntropyProb(Op):
    """Cross-entropy with class-probability targets of the input's shape.

    loss = -sum_c w_c y'_c log_softmax(x)_c with y' = (1 - eps) y + eps / C; 'mean' divides by
    the number of rows (input.numel() / C), whatever the weights (as PyTorch).
    """
    backward_name = "CrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, w, eps, reduction):
        ax = 1 if x.ndim > 1 else 0
        c = x.shape[ax]
        s = x - x.max(axis=ax, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=ax, keepdims=True))
        ts = t * (1 - eps) + eps / c if eps else t
        wb = None if w is None else w.reshape((c,) + (1,) * (x.ndim - ax - 1))
        contrib = ts * wb if wb is not None else ts
        loss = -(logp * contrib).sum(axis=ax)
        ctx.save_for_backward(logp, contrib)
        ctx.opts = (ax, wb, eps)
        denom = (x.size // c) if x.size else 0
        return _row_reduce(ctx, loss.astype(x.dtype, copy=False), denom, reduction, loss.shape)

    @staticmethod
    def backward(ctx, grad):
        logp, contrib = ctx.saved_tensors
        ax, wb, eps = ctx.opts
        gi = _row_grad(ctx, grad)
        gi = np.expand_dims(gi.reshape(ctx.out_shape), ax) if np.ndim(gi) else gi
        gx = gt = None
        if _need(ctx, 0):
            gx = gi * (np.exp(logp) * contrib.sum(axis=ax, keepdims=True) - contrib)
        if _need(ctx, 1):
            gt = -gi * (1 - eps) * (logp * wb if wb is not None else logp)
        return gx, gt


class NllLoss(Op):
    """Negative log-likelihood of log-probabilities: -w_y x_y, 'mean' over sum of w_y."""
    backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction):
        shape, out_shape = x.shape, t.shape if x.ndim > 1 else ()
        x2, t2 = _rows(x, t)
        valid = t2 != ignore_index
        tc = np.where(valid, t2, 0)
        rows = np.arange(x2.shape[0])
        wt = (w[tc] * valid) if w is not None else valid.astype(x.dtype)
        loss = (-wt * x2[rows, tc]).astype(x.dtype, copy=False)
        denom = wt.sum() if reduction == "mean" else 1
        ctx.state = (shape, x2.shape, tc, wt, rows)
        return _row_reduce(ctx, loss, denom, reduction, out_shape)

    @staticmethod
    def backward(ctx, grad):
        shape, shape2, tc, wt, rows = ctx.state
        gi = _row_grad(ctx, grad)
        g = np.zeros(shape2, grad.dtype)
        g[rows, tc] = -wt * gi
        return _unrows(g, shape), None, None


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


def _check_class_target(name, input, target, ignore_index, prob_ok):
    """Validate a class-index target against input (C) / (N, C) / (N, C, d1, ...)."""
    x, t = input._data, target._data
    xs, ts = x.shape, t.shape
    c = xs[1] if x.ndim > 1 else xs[0]
    expected = xs[:1] + xs[2:] if x.ndim > 1 else ()
    if x.ndim > 1 and t.ndim >= 1 and ts[0] != xs[0]:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size ({ts[0]}). "
                         f"{name}: input has shape {tuple(xs)} and target {tuple(ts)}; they must come "
                         f"from the same batch")
    is_int = t.dtype.kind in "iu"
    if ts == expected or (x.ndim == 1 and ts == (1,)):
        if not is_int:
            modes = (f" (or, for class probabilities, a float target of the input's shape {tuple(xs)})"
                     if prob_ok else "")
            raise RuntimeError(
                f"expected target dtype to be Long or Byte, but got {target.dtype}. {name}: a target "
                f"of shape {tuple(ts)} holds class indices and must be an integer tensor; use "
                f"target.long(){modes}")
        return c
    if prob_ok and ts == xs and is_int:
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {target.dtype}. "
            f"{name}: a target of the input's shape {tuple(xs)} holds class probabilities; use "
            f"target.float(), or pass class indices of shape {tuple(expected)} (target.argmax(1))")
    prob = f"; class probabilities need a float target of the input's shape {tuple(xs)}" if prob_ok else ""
    if ts == tuple(expected) + (1,) or (x.ndim == 2 and t.ndim == 2 and ts[1:] == (1,)):
        hint = " The target has an extra dimension of size 1: use target.squeeze(-1) (or target.view(-1))."
    elif x.ndim > 2 and ts == tuple(expected) + (c,):
        hint = (" This looks like a channels-last one-hot target: use target.argmax(-1) for class "
                "indices, or move the class dimension to position 1 (target.movedim(-1, 1)).")
    elif t.ndim == x.ndim:
        hint = (" A one-hot target with the wrong number of classes is the usual cause: use "
                "target.argmax(1) for class indices" +
                (f", or one_hot(target, num_classes={c}).float()." if prob_ok else "."))
    else:
        hint = ""
    raise RuntimeError(
        f"{name}: target of shape {tuple(ts)} does not fit input of shape {tuple(xs)}: class indices "
        f"need an integer target of shape {tuple(expected)} with values in 0..{c - 1}{prob}.{hint}")


def _check_range(name, t, c, ignore_index):
    if t.size == 0:
        return
    lo, hi = t.min(), t.max()
    if lo >= 0 and hi < c:
        return
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        vals = t[bad]
        lo, hi = int(vals.min()), int(vals.max())
        raise IndexError(
            f"Target {int(vals[0])} is out of bounds. {name}: target has class {hi if hi >= c else lo} "
            f"but input has {c} classes (valid range 0..{c - 1}, ignore_index={ignore_index}); "
            f"out-of-range targets span min {lo}, max {hi}. Check the model's number of outputs, or "
            f"shift the labels to start at 0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and a target: log-softmax and NLL in one stable op.

    Class indices: ``loss_n = -w[y_n] log softmax(x_n)[y_n]`` (rows with ``y_n == ignore_index``
    are skipped); ``'mean'`` divides by the sum of ``w[y_n]`` over non-ignored rows. Class
    probabilities: ``loss_n = -sum_c w_c y_nc log softmax(x_n)_c``, ``'mean'`` divides by N.
    ``label_smoothing`` eps mixes the target with the uniform distribution:
    ``(1 - eps) * loss + eps / C * sum_c w_c (-log softmax(x)_c)``.

    Shapes: input ``(C)``, ``(N, C)`` or ``(N, C, d1, ...)``; target ``()``, ``(N)`` or
    ``(N, d1, ...)`` of int64 class indices in ``[0, C)``, or a float target of the input's shape;
    output a scalar, or the target's shape (without C) for ``reduction='none'``.

    Example:
        >>> F.cross_entropy(ember.tensor([[0.1, 0.2, 0.3]]), ember.tensor([1]))
        tensor(1.1019)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    x = input._data if isinstance(input, Tensor) else None
    t = target._data if isinstance(target, Tensor) else None
    # Fast path: (N, C) logits, in-range (N,) int64 targets none of which is ignored, no weight,
    # no smoothing. Viewed as uint64, negative targets become huge, so one max() checks the range.
    if (x is not None and t is not None and x.ndim == 2 and t.ndim == 1 and weight is None
            and not label_smoothing and t.dtype == np.int64 and x.dtype.kind == "f"
            and t.shape[0] == x.shape[0] and reduction in _REDUCTIONS and t.size
            and not 0 <= ignore_index < x.shape[1] and t.view(np.uint64).max() < x.shape[1]):
        return CrossEntropyFast.apply(input, target, reduction)
    name = "cross_entropy"
    _check_tensor(name, "input", input)
    _check_tensor(name, "target", target)
    reduction = _reduction(None, None, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _check_class_input(name, input)
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    w = _check_weight(name, weight, c, x.dtype)
    if t.dtype.kind == "f" and t.shape == x.shape:
        if ignore_index != -100:
            raise RuntimeError(f"ignore_index is not supported for floating point target ({name} with "
                               f"class-probability targets; got ignore_index={ignore_index})")
        target = _cast(target, x.dtype)
        return CrossEntropyProb.apply(input, target, w, float(label_smoothing), reduction)
    _check_class_target(name, input, target, ignore_index, prob_ok=True)
    _check_range(name, t, c, ignore_index)
    return CrossEntropy.apply(input, target, w, int(ignore_index), float(label_smoothing), reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities (e.g. the output of ``log_softmax``).

    ``loss_n = -w[y_n] x[n, y_n]``, rows with ``y_n == ignore_index`` skipped; ``'mean'`` divides
    by the sum of ``w[y_n]`` over non-ignored rows.

    Shapes: input ``(C)``, ``(N, C)`` or ``(N, C, d1, ...)``; target ``()``, ``(N)`` or
    ``(N, d1, ...)`` of int64 class indices; output a scalar or the target's shape for ``'none'``.

    Example:
        >>> F.nll_loss(F.log_softmax(ember.tensor([[0.1, 0.2, 0.3]]), 1), ember.tensor([1]))
        tensor(1.1019)
    """
    name = "nll_loss"
    reduction = _reduction(size_average, reduce, reduction)
    x, t = _class_arrays(name, input, target)
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    w = _check_weight(name, weight, c, x.dtype)
    _check_class_target(name, input, target, ignore_index, prob_ok=False)
    _check_range(name, t, c, ignore_index)
    return NllLoss.apply(input, target, w, int(ignore_index), reduction)


# -- binary cross-entropy ---------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    backward_name = "BinaryCrossEntropyBackward0"

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
        g = _expand(ctx, grad)
        if w is not None:
            g = g * w
        gp = g * (p - t) / np.maximum(p * (1 - p), 1e-12) if _need(ctx, 0) else None
        gt = g * (l1p - lp) if _need(ctx, 1) else None
        return gp, gt


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
    input, target = _float_pair(name, input, target)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_size(target._data.shape)}) that is different to the "
                         f"input size ({_size(input._data.shape)}) is deprecated. Please ensure they "
                         f"have the same size. ({name}: e.g. target.view_as(input) or "
                         f"target.float().unsqueeze(1))")
    _range_check(name, "input", input._data,
                 "apply sigmoid to the model output, or use BCEWithLogitsLoss / "
                 "binary_cross_entropy_with_logits on the raw scores")
    _range_check(name, "target", target._data, "targets are 0/1 labels or probabilities")
    w = None
    if weight is not None:
        _check_tensor(name, "weight", weight)
        w = weight._data.astype(input._data.dtype, copy=False)
        _check_bcast(name, "weight", w.shape, input._data.shape)
    return BinaryCrossEntropy.apply(input, target, w, reduction)


def _check_bcast(name, what, shape, to):
    try:
        ok = np.broadcast_shapes(shape, to) == tuple(to)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{name}: {what} of shape {tuple(shape)} cannot be broadcast to the input's "
                           f"shape {tuple(to)}; for per-class weights use shape ({to[-1] if to else 1},)")


class BinaryCrossEntropyWithLogits(Op):
    """``(1 - y) x + (1 + (pw - 1) y) softplus(-x)``, times weight: stable for any |x|."""
    backward_name = "BinaryCrossEntropyWithLogitsBackward0"

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
        g = _expand(ctx, grad)
        if w is not None:
            g = g * w
        gx = gt = None
        if _need(ctx, 0):
            sig_neg = np.exp(-x - sp)                    # sigmoid(-x), no overflow
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
    input, target = _float_pair(name, input, target)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_size(target._data.shape)}) must be the same as input size "
                         f"({_size(input._data.shape)}). {name}: e.g. target.view_as(input) or "
                         f"target.float().unsqueeze(1)")
    dt = input._data.dtype
    w = pw = None
    if weight is not None:
        _check_tensor(name, "weight", weight)
        w = weight._data.astype(dt, copy=False)
        _check_bcast(name, "weight", w.shape, input._data.shape)
    if pos_weight is not None:
        _check_tensor(name, "pos_weight", pos_weight)
        pw = pos_weight._data.astype(dt, copy=False)
        _check_bcast(name, "pos_weight", pw.shape, input._data.shape)
    return BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction)


# -- margin and multi-label losses --------------------------------------------------------------
class SoftMarginLoss(Op):
    backward_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction):
        z = -t * x
        sp = _math.softplus(z, threshold=None)
        ctx.save_for_backward(t, z, sp)
        return _reduce(ctx, sp.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        t, z, sp = ctx.saved_tensors
        return _expand(ctx, grad) * (-t * np.exp(z - sp)), None


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss ``log(1 + exp(-y x))`` for targets y in {1, -1}.

    Shapes: input and target broadcastable (usually equal); output a scalar or the broadcast
    shape for ``'none'``.

    Example:
        >>> F.soft_margin_loss(ember.tensor([2., -1.]), ember.tensor([1., -1.]))
        tensor(0.2201)
    """
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _float_pair("soft_margin_loss", input, target)
    return SoftMarginLoss.apply(input, target, reduction)


class MultiLabelSoftMarginLoss(Op):
    @staticmethod
    def forward(ctx, x, t, w, reduction):
        sp = _math.softplus(-x, threshold=None)
        el = (1 - t) * x + sp                           # -(y log s(x) + (1-y) log s(-x))
        c = x.shape[-1]
        loss = ((el * w) if w is not None else el).sum(axis=-1) / c
        ctx.save_for_backward(x, t, w, sp, el)
        ctx.c = c
        return _reduce(ctx, loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, w, sp, el = ctx.saved_tensors
        g = _expand(ctx, grad)[..., None] / ctx.c
        gw = g * el if _need(ctx, 2) else None
        if w is not None:
            g = g * w
        gx = g * (np.exp(-sp) - t) if _need(ctx, 0) else None     # sigmoid(x) - y
        gt = -g * x if _need(ctx, 1) else None
        return gx, gt, gw


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Multi-label one-versus-all logistic loss, averaged over the C classes of each sample.

    ``loss_n = -(1/C) sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c))``.
    Shapes: input ``(N, C)`` or ``(C)``, target (0/1 floats) of the same shape, weight ``(C)``;
    output a scalar or ``(N)`` for ``'none'``.

    Example:
        >>> F.multilabel_soft_margin_loss(ember.tensor([[2., -1.]]), ember.tensor([[1., 0.]]))
        tensor(0.2201)
    """
    name = "multilabel_soft_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _float_pair(name, input, target)
    if input._data.ndim == 0:
        raise RuntimeError(f"{name}: expected input of shape (N, C) or (C), got a 0-d tensor")
    if weight is not None:
        _check_tensor(name, "weight", weight)
        weight = _cast(weight, input._data.dtype)
    return MultiLabelSoftMarginLoss.apply(input, target, weight, reduction)


class MultiMarginLoss(Op):
    backward_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, t, p, margin, w, reduction):
        x2 = x[None, :] if x.ndim == 1 else x
        t2 = t.reshape(-1)
        rows = np.arange(x2.shape[0])
        z = margin - x2[rows, t2][:, None] + x2
        z[rows, t2] = 0                                   # the target class is not a margin term
        pos = np.maximum(z, 0)
        h = pos if p == 1 else pos * pos
        if w is not None:
            h = h * w[t2][:, None]
        c = x2.shape[1]
        loss = (h.sum(axis=1) / c).astype(x.dtype, copy=False)
        ctx.state = (x.shape, t2, rows, z, pos, w, p, c)
        return _reduce(ctx, loss if x.ndim > 1 else loss.reshape(()), reduction)

    @staticmethod
    def backward(ctx, grad):
        shape, t2, rows, z, pos, w, p, c = ctx.state
        g = _expand(ctx, grad).reshape(-1, 1) / c
        local = (z > 0).astype(z.dtype) if p == 1 else 2 * pos
        local[rows, t2] = 0
        if w is not None:
            local *= w[t2][:, None]
        gx = local * g
        gx[rows, t2] = -gx.sum(axis=1)
        return gx.reshape(shape), None, None, None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss: ``loss_n = (1/C) sum_{j != y} w_y max(0, margin - x_y + x_j)^p``.

    Shapes: input ``(N, C)`` or ``(C)``, target int64 ``(N)`` or ``()``, weight ``(C)``; ``p`` is 1
    or 2; output a scalar or ``(N)`` for ``'none'``.

    Example:
        >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """
    name = "multi_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"only p == 1 and p == 2 supported (got p={p})")
    x, t = _class_arrays(name, input, target)
    if x.ndim > 2:
        raise RuntimeError(f"{name}: expected input of shape (N, C) or (C), got {tuple(x.shape)}")
    c = x.shape[-1]
    expected = x.shape[:1] if x.ndim == 2 else ()
    if t.shape != expected and not (x.ndim == 1 and t.shape == (1,)):
        raise RuntimeError(f"inconsistent target size, expected {list(expected)} but got {list(t.shape)}. "
                           f"{name}: target holds one class index per sample")
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long, but got {target.dtype}. {name}: class "
                           f"indices must be integers; use target.long()")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError(f"target out of range: {name} got class indices from {int(t.min())} to "
                           f"{int(t.max())} but input has {c} classes (valid range 0..{c - 1})")
    w = _check_weight(name, weight, c, x.dtype)
    return MultiMarginLoss.apply(input, target, int(p), float(margin), w, reduction)


class MultiLabelMarginLoss(Op):
    backward_name = "MultilabelMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction):
        x2 = x[None, :] if x.ndim == 1 else x
        t2 = t[None, :] if t.ndim == 1 else t
        n, c = x2.shape
        # Targets are read up to the first -1; cnt[n, j] counts how often class j is listed.
        stop = np.cumsum(t2 < 0, axis=1) > 0
        listed = np.where(stop, c, t2)
        cnt = np.zeros((n, c + 1), x.dtype)
        np.add.at(cnt, (np.arange(n)[:, None], listed), 1)
        cnt = cnt[:, :c]
        other = (cnt == 0).astype(x.dtype)
        z = 1 - x2[:, :, None] + x2[:, None, :]           # z[n, j, k] = 1 - x_j + x_k
        act = (z > 0) * cnt[:, :, None] * other[:, None, :]
        loss = ((z * act).sum(axis=(1, 2)) / c).astype(x.dtype, copy=False)
        ctx.state = (x.shape, act, c)
        return _reduce(ctx, loss if x.ndim > 1 else loss.reshape(()), reduction)

    @staticmethod
    def backward(ctx, grad):
        shape, act, c = ctx.state
        g = _expand(ctx, grad).reshape(-1, 1) / c
        gx = (act.sum(axis=1) - act.sum(axis=2)) * g
        return gx.reshape(shape).astype(act.dtype, copy=False), None


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: ``loss_n = (1/C) sum_{j in y} sum_{k not in y} max(0, 1 - x_j + x_k)``.

    The target lists the sample's classes, padded with -1 (read up to the first -1).
    Shapes: input ``(N, C)`` or ``(C)``, int64 target of the same shape; output a scalar or
    ``(N)`` for ``'none'``.

    Example:
        >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    name = "multilabel_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    x, t = _class_arrays(name, input, target)
    if x.ndim > 2 or t.shape != x.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}. {name}: the target has the input's shape (N, C) and "
                           f"lists each sample's classes, padded with -1")
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long, but got {target.dtype}; use target.long()")
    c = x.shape[-1]
    if t.size and (t.max() >= c or t.min() < -1):
        raise RuntimeError(f"argument #2 'target' is out of range: {name} got values from {int(t.min())} "
                           f"to {int(t.max())}; class indices must be in 0..{c - 1}, padded with -1")
    return MultiLabelMarginLoss.apply(input, target, reduction)


# -- distribution losses ---------------------------------------------------------------------
class KLDiv(Op):
    backward_name = "KlDivBackward0"

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
        g = _expand(ctx, grad)
        if ctx.log_target:
            gx = -g * aux
            gt = g * aux * (t - x + 1) if _need(ctx, 1) else None
        else:
            gx = -g * t
            gt = g * (np.where(t > 0, aux + 1, -np.inf) - x) if _need(ctx, 1) else None
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


# -- embedding losses ---------------------------------------------------------------------------
class CosineEmbeddingLoss(Op):
    _EPS = 1e-12

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
        dcos = _expand(ctx, grad) * (neg_active.astype(a.dtype) - pos)
        dcos, denom, cos = dcos[..., None], denom[..., None], cos[..., None]
        ga = dcos * (b / denom - cos * a / m1[..., None]) if _need(ctx, 0) else None
        gb = dcos * (a / denom - cos * b / m2[..., None]) if _need(ctx, 1) else None
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
    @staticmethod
    def forward(ctx, a, b, y, margin, reduction):
        d = a - b
        z = margin - y * d
        act = z > 0
        ctx.save_for_backward(y, d, act)
        return _reduce(ctx, np.where(act, z, 0).astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        y, d, act = ctx.saved_tensors
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
        return _expand(ctx, grad) * (not_neg.astype(grad.dtype) - act), None


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


# -- distances ------------------------------------------------------------------------------
class PairwiseDistance(Op):
    backward_name = "NormBackward1"

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
        ctx.save_for_backward(v, n)
        ctx.p = p
        return n if keepdim else n[..., 0]

    @staticmethod
    def backward(ctx, grad):
        v, n = ctx.saved_tensors
        p = ctx.p
        g = grad.reshape(n.shape)
        safe = np.where(n == 0, 1, n)
        if p == 2:
            local = v / safe
        elif p == 1:
            local = np.sign(v)
        elif p == math.inf:
            hit = np.abs(v) == n
            local = np.sign(v) * hit / np.maximum(hit.sum(axis=-1, keepdims=True), 1)
        elif p == 0:
            local = np.zeros_like(v)
        else:
            local = np.sign(v) * np.abs(v) ** (p - 1) / safe ** (p - 1)
        g = g * np.where(n == 0, 0, local)
        return g, (-g if _need(ctx, 1) else None)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm distance along the last dimension: ``||x1 - x2 + eps||_p``.

    Shapes: ``(N, D)`` or ``(D)``, broadcastable; output ``(N)`` (``(N, 1)`` with keepdim) or ``()``.

    Example:
        >>> F.pairwise_distance(ember.tensor([[0., 0.]]), ember.tensor([[3., 4.]]), eps=0)
        tensor([5.])
    """
    name = "pairwise_distance"
    _check_tensor(name, "x1", x1)
    _check_tensor(name, "x2", x2)
    a, b = _float_pair(name, x1, x2)
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"{name}: x1 of shape {tuple(a._data.shape)} and x2 of shape "
                           f"{tuple(b._data.shape)} cannot be broadcast together") from None
    return PairwiseDistance.apply(a, b, float(p), float(eps), bool(keepdim))


class CosineSimilarity(Op):
    backward_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, b, dim, eps):
        if a.shape != b.shape:                 # norms are taken over the broadcast operands
            a, b = np.broadcast_arrays(a, b)
        na = np.sqrt((a * a).sum(axis=dim, keepdims=True))
        nb = np.sqrt((b * b).sum(axis=dim, keepdims=True))
        ca, cb = np.maximum(na, eps), np.maximum(nb, eps)
        out = (a * b).sum(axis=dim, keepdims=True) / (ca * cb)
        ctx.save_for_backward(a, b)
        ctx.state = (dim, na, nb, ca, cb, out)
        return np.squeeze(out, axis=dim).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        dim, na, nb, ca, cb, out = ctx.state
        g = np.expand_dims(grad, dim)
        ga = gb = None
        # d/da (a.b / (|a| |b|)) = b / (|a| |b|) - cos a / |a|^2. Where a norm is clamped to eps,
        # PyTorch still lets the gradient pass through the clamp: the second term becomes
        # cos (a / |a|) / eps (and 0 for a zero vector). We do the same.
        if _need(ctx, 0):
            ga = g * (b / (ca * cb) - out * a / (np.where(na > 0, na, 1) * ca))
        if _need(ctx, 1):
            gb = g * (a / (ca * cb) - out * b / (np.where(nb > 0, nb, 1) * cb))
        return ga, gb


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between x1 and x2 along ``dim``: ``x1.x2 / (max(|x1|, eps) max(|x2|, eps))``.

    Shapes: x1 and x2 broadcastable; output the broadcast shape without ``dim``.

    Example:
        >>> F.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
        tensor([0.7071])
    """
    name = "cosine_similarity"
    _check_tensor(name, "x1", x1)
    _check_tensor(name, "x2", x2)
    a, b = _float_pair(name, x1, x2)
    try:
        shape = np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"{name}: x1 of shape {tuple(a._data.shape)} and x2 of shape "
                           f"{tuple(b._data.shape)} cannot be broadcast together") from None
    nd = len(shape)
    if not -nd <= dim < max(nd, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got "
                         f"{dim})")
    return CosineSimilarity.apply(a, b, dim % nd if nd else 0, float(eps))


# -- triplet losses ---------------------------------------------------------------------------
class TripletHinge(Op):
    """``max(0, margin + d_ap - d_an)``, reduced: the tail of both triplet losses."""
    backward_name = "ClampMinBackward0"

    @staticmethod
    def forward(ctx, dap, dan, margin, reduction):
        z = margin + dap - dan
        act = z > 0
        ctx.save_for_backward(act)
        return _reduce(ctx, np.where(act, z, 0).astype(dap.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        act, = ctx.saved_tensors
        g = _expand(ctx, grad) * act
        return g, (-g if _need(ctx, 1) else None)


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
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from .elementwise import minimum
        d_an = minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return TripletHinge.apply(d_ap, d_an, float(margin), reduction)


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
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        from .elementwise import minimum
        d_an = minimum(d_an, dist(positive, negative))
    return TripletHinge.apply(d_ap, d_an, float(margin), reduction)
