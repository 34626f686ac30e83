"""Margin losses on class scores: hinge and logistic losses of one input against its labels.

Two classes (targets 1/-1): ``soft_margin_loss``. Multi-class, one label per sample:
``multi_margin_loss``. Multi-label, any number of labels per sample: ``multilabel_margin_loss``
(the target lists class indices) and ``multilabel_soft_margin_loss`` (0/1 target per class).
Losses that compare two or three inputs (ranking, embeddings, triplets) are in ``ranking``.
"""
import numpy as np

from ...autograd.function import Op
from ...autograd.xp import array_namespace
from .. import _math
from .._util import check_index_range
from ._common import (_cast, _check_tensor, _check_weight, _class_arrays, _expand, _float_pair, _need,
                      _reduce, _reduction)

__all__ = ["soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss"]


def _softplus(xp, z):
    """log(1 + exp(z)), stable for any z, written against ``xp`` (the graph path's recompute)."""
    return xp.maximum(z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))


class SoftMarginLoss(Op):
    """``log(1 + exp(-y x)) = softplus(-y x)``; d/dx = -y sigmoid(-y x).

    With ``create_graph=True`` z = -y x and its softplus are recomputed from the saved input.
    """
    backward_name = "SoftMarginLossBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, t, reduction):
        z = -t * x
        sp = _math.softplus(z, threshold=None)
        ctx.save_for_backward(t, z, sp, x)
        return _reduce(ctx, sp.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        t, z, sp, x = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            z = -t * x
            sp = _softplus(xp, z)
        return _expand(ctx, grad) * (-t * xp.exp(z - sp)), None


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
    """``loss_n = (1/C) sum_c w_c l_c`` with ``l_c = (1 - y_c) x_c + softplus(-x_c)``.

    d/dx_c = w_c (sigmoid(x_c) - y_c) / C;  d/dy_c = -w_c x_c / C;  d/dw_c = l_c / C.
    With ``create_graph=True`` softplus(-x) and l are recomputed from the saved input and target.
    """
    differentiable_backward = True
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
        xp = array_namespace(grad)
        if xp.graph:
            sp = _softplus(xp, -x)
            el = (1 - t) * x + sp
        g = xp.expand_dims(_expand(ctx, grad), -1) / ctx.c
        gw = g * el if _need(ctx, 2) else None
        if w is not None:
            g = g * w
        gx = g * (xp.exp(-sp) - t) if _need(ctx, 0) else None     # sigmoid(x) - y
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


class _RefusedBackward(Op):
    """The gradient of a loss whose own derivative PyTorch does not implement: with
    ``create_graph=True`` it passes through, connected to the input and the upstream gradient, and
    differentiating it again raises PyTorch's error (``derivative for aten::<name> is not
    implemented``) when that second backward runs, as in PyTorch."""

    @staticmethod
    def forward(ctx, g, x, grad, name):
        ctx.name_ = name
        return g

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.name_} is not implemented")


def _refused(backward, ctx, grad, name):
    """Run the array ``backward`` (a staticmethod body); with ``create_graph=True`` wrap its input
    gradient in ``_RefusedBackward``."""
    if not array_namespace(grad).graph:
        return backward(ctx, grad)
    x, = ctx.saved_tensors
    result = backward(ctx, grad._data)
    return (_RefusedBackward.apply(result[0], x, grad, name),) + result[1:]


class MultiMarginLoss(Op):
    """``loss_n = (1/C) sum_{j != y} w_y max(0, z_j)^p`` with ``z_j = margin - x_y + x_j``.

    d/dx_j = w_y p max(0, z_j)^(p-1) / C for j != y (p = 1: the indicator z_j > 0);
    d/dx_y = -sum_{j != y} d/dx_j. PyTorch does not differentiate this gradient again (its
    double backward raises), nor does ember.
    """
    backward_name = "MultiMarginLossBackward0"
    differentiable_backward = True

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
        ctx.save_for_backward(x)
        return _reduce(ctx, loss if x.ndim > 1 else loss.reshape(()), reduction)

    @staticmethod
    def backward(ctx, grad):
        return _refused(MultiMarginLoss._backward_arrays, ctx, grad, "multi_margin_loss_backward")

    @staticmethod
    def _backward_arrays(ctx, grad):
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
    check_index_range(t, c, lambda bad: f"target out of range: {name} got class index {bad[0]} but input has "
                      f"{c} classes (valid range 0..{c - 1})")
    w = _check_weight(name, weight, c, x.dtype)
    return MultiMarginLoss.apply(input, target, int(p), float(margin), w, reduction)


class MultiLabelMarginLoss(Op):
    """``loss_n = (1/C) sum_{j in y} sum_{k not in y} max(0, 1 - x_j + x_k)``.

    Each active pair (j, k) adds 1/C to the gradient of x_k and -1/C to that of x_j.
    PyTorch does not differentiate this gradient again (its double backward raises), nor does ember.
    """
    backward_name = "MultilabelMarginLossBackward0"
    differentiable_backward = True

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
        ctx.save_for_backward(x)
        return _reduce(ctx, loss if x.ndim > 1 else loss.reshape(()), reduction)

    @staticmethod
    def backward(ctx, grad):
        return _refused(MultiLabelMarginLoss._backward_arrays, ctx, grad, "multilabel_margin_loss_backward")

    @staticmethod
    def _backward_arrays(ctx, grad):
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

