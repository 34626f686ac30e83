"""Classification losses on class scores: cross-entropy (logits) and NLL (log-probabilities).

Input ``(C)``, ``(N, C)`` or ``(N, C, d1, ...)``; target class indices (with ``weight``,
``ignore_index`` and, for cross-entropy, ``label_smoothing``) or, for cross-entropy, class
probabilities of the input's shape. Internally the input is viewed as ``(M, C)`` rows.

Cross-entropy has a fast path for the common case (class-index target, no weight, no label
smoothing): about ten NumPy calls forward and five backward.
"""
import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.function import Op
from ...autograd.xp import array_namespace
from .._util import check_index_range
from ..arithmetic import add
from ._common import (_REDUCTIONS, _cast, _check_class_input, _check_tensor, _check_weight,
                      _class_arrays, _need, _reduction)

__all__ = ["cross_entropy", "nll_loss"]


# -- rows: any input rank as (M, C) -------------------------------------------------------------
def _rows(x, t):
    """View input (C) / (N, C) / (N, C, d1, ...) and target as (M, C) rows and (M,) targets."""
    if x.ndim == 2:
        return x, t
    if x.ndim == 1:
        return x[None, :], t.reshape(1)
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]), t.reshape(-1)


def _xrows(xp, x):
    """``_rows`` of the input alone, written against ``xp`` (arrays or Tensors)."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return xp.expand_dims(x, 0)
    return xp.reshape(xp.moveaxis(x, 1, -1), (-1, x.shape[1]))


def _unrows(g, shape, xp=np):
    """Inverse of ``_rows`` for a gradient of shape (M, C)."""
    if len(shape) == 2:
        return g
    if len(shape) == 1:
        return xp.reshape(g, shape)
    return xp.moveaxis(xp.reshape(g, (shape[0],) + shape[2:] + (shape[1],)), -1, 1)


def _softmax_rows(xp, x2):
    """softmax over the rows of (M, C) ``x2`` (arrays or Tensors: the max is a constant)."""
    e = xp.exp(x2 - xp.asarray(x2).max(axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def _log_softmax(xp, x, axis):
    s = x - xp.asarray(x).max(axis=axis, keepdims=True)
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


def _row_reduce(ctx, loss, denom, reduction, out_shape):
    ctx.reduction, ctx.denom, ctx.out_shape = reduction, denom, out_shape
    if reduction == "none":
        return loss.reshape(out_shape)
    s = np.add.reduce(loss, axis=None)
    if reduction == "sum":
        return np.asarray(s)
    with np.errstate(divide="ignore", invalid="ignore"):     # every target ignored: nan, as PyTorch
        return np.asarray(s / denom)


def _row_grad(ctx, grad, xp=np):
    """Upstream gradient per row (M,), including the 1/denominator of 'mean'."""
    if ctx.reduction == "none":
        return xp.reshape(grad, (-1,))
    if ctx.reduction == "mean":
        # Every row ignored: the loss is 0/0 = nan but no row has a gradient (as PyTorch).
        return grad / float(ctx.denom) if ctx.denom else grad * 0
    return grad


# -- ops --------------------------------------------------------------------------------------
class _DependsOn(Op):
    """``g`` unchanged, recorded as a function of ``x`` with a zero derivative: NLL's gradient is
    constant in its input, yet with ``create_graph=True`` PyTorch's requires grad (its second
    derivative is zero, not an error), so ember's does too. (``0 * x`` would turn -inf
    log-probabilities into nan.)"""
    backward_name = "NllLossBackwardBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, x):
        ctx.x_meta = (x.shape, x.dtype)
        return g.view()

    @staticmethod
    def backward(ctx, grad):
        zero = np.zeros(*ctx.x_meta)
        return grad, (_wrap(zero) if array_namespace(grad).graph else zero)


class CrossEntropyFast(Op):
    """Cross-entropy for (N, C) logits and in-range (N,) class indices, no weight or smoothing.

        loss_i = logsumexp(x_i) - x_{i, t_i},    d loss_i / d x_i = softmax(x_i) - onehot(t_i)

    With ``create_graph=True`` softmax is recomputed from the saved input (Tensors), so the
    second derivative reaches it; the first-order backward uses the saved exponentials in place.
    """
    backward_name = "NllLossBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, t, reduction):
        m = x.max(axis=1, keepdims=True)
        e = x - m
        np.exp(e, out=e)
        se = e.sum(axis=1, keepdims=True)
        rows = np.arange(x.shape[0])
        nll = np.log(se)[:, 0] - (x[rows, t] - m[:, 0])  # logsumexp(x) - x[target], as PyTorch: (x - max) first
        ctx.save_for_backward(e, se, t, x)
        ctx.rows, ctx.reduction = rows, reduction
        if reduction == "none":
            return nll
        total = np.add.reduce(nll)
        return np.asarray(total if reduction == "sum" else total / len(t))

    @staticmethod
    def backward(ctx, grad):
        # d/dx = (softmax(x) - one_hot(t)) * upstream: one pass over (N, C) with the per-row
        # factor upstream / sum(exp) folded in, then the target entries.
        e, se, t, x = ctx.saved_tensors
        r = ctx.reduction
        xp = array_namespace(grad)
        if xp.graph:
            t = xp.asarray(t)
            f = grad / len(t) if r == "mean" else (grad if r == "sum" else xp.expand_dims(grad, 1))
            onehot = np.zeros(x.shape, x._data.dtype)
            onehot[ctx.rows, t] = 1
            return (_softmax_rows(xp, x) - onehot) * f, None
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
    With ``create_graph=True`` p is recomputed from the saved input (Tensors).
    """
    backward_name = "NllLossBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, eps, reduction):
        shape, out_shape = x.shape, t.shape if x.ndim > 1 else ()
        x2, t2 = _rows(x, t)
        m, c = x2.shape
        valid = t2 != ignore_index
        if not valid.all():                              # ignored rows are excluded, not scaled
            x2 = np.where(valid[:, None], x2, x2.dtype.type(0))   # by 0 (-inf logits: no nan)
        s = x2 - x2.max(axis=1, keepdims=True, initial=-np.inf)   # initial: empty batch or C = 0
        e = np.exp(s)
        se = e.sum(axis=1, keepdims=True)
        logp = s - np.log(se)
        tc = np.where(valid, t2, 0)
        rows = np.arange(m)
        wt = (w[tc] * valid) if w is not None else valid.astype(x.dtype)
        picked = logp[rows, tc] if c else np.zeros(m, x.dtype)   # C = 0: every row is ignored
        loss = (1 - eps) * wt * -picked
        if eps:
            smooth = -(logp @ w if w is not None else np.add.reduce(logp, axis=1))
            loss = loss + (eps / max(c, 1)) * smooth * valid
        loss = loss.astype(x.dtype, copy=False)
        denom = wt.sum() if reduction == "mean" else 1
        ctx.save_for_backward(e, se, t, x)
        ctx.state = (shape, tc, valid, wt, w, eps, rows)
        out = _row_reduce(ctx, loss, denom, reduction, out_shape)
        if eps and reduction != "none":  # as PyTorch: the NLL and smoothing terms reduced apart, then mixed
            with np.errstate(all="ignore"):
                parts = [np.asarray(p.astype(x.dtype, copy=False).sum()) / denom
                         for p in (wt * -picked, smooth * valid)]
                out = np.asarray((1 - eps) * parts[0] + (eps / max(c, 1)) * parts[1]).astype(x.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        e, se, _, x = ctx.saved_tensors
        shape, tc, valid, wt, w, eps, rows = ctx.state
        c = e.shape[1]
        xp = array_namespace(grad)
        gi = _row_grad(ctx, grad, xp)                   # (M,) or scalar
        a = (1 - eps) * wt                               # weight of the NLL term per row
        if eps:
            wsum = w.sum() if w is not None else c
            coef = a + (eps / max(c, 1)) * wsum * valid
        else:
            coef = a
        if xp.graph:
            e = xp.asarray(e)
            k = np.zeros(e.shape, e.dtype)               # the constant part of the gradient
            k[rows, tc] = a
            if eps:
                k = (k + (eps / max(c, 1)) * valid[:, None] * (w[None, :] if w is not None else 1)).astype(e.dtype)
            xr = _xrows(xp, x)
            if not valid.all():
                xr = xp.where(valid[:, None], xr, xp.zeros_like(xr))
            g = _softmax_rows(xp, xr) * coef[:, None].astype(e.dtype) - k
            g = g * (gi if gi.ndim == 0 else xp.expand_dims(gi, 1))
            return _unrows(g, shape, xp), None, None
        g = (e / se) * coef[:, None]
        if c:
            g[rows, tc] -= a
        if eps:
            g -= (eps / max(c, 1)) * valid[:, None] * (w[None, :] if w is not None else 1)
        g *= gi if np.ndim(gi) == 0 else gi[:, None]
        if not valid.all():                              # as PyTorch: an ignored row's gradient is
            xi = _xrows(np, x)[~valid]                   # softmax * 0 (nan where its softmax is)
            with np.errstate(invalid="ignore", over="ignore"):
                si = xi - xi.max(axis=1, keepdims=True, initial=-np.inf)
                g[~valid] = np.exp(si - np.log(np.exp(si).sum(axis=1, keepdims=True))) * 0
        return _unrows(g.astype(e.dtype, copy=False), shape), None, None


class CrossEntropyProb(Op):
    """Cross-entropy with class-probability targets of the input's shape.

    loss = -sum_c w_c y'_c log_softmax(x)_c with y' = (1 - eps) y + eps / C; 'mean' divides by
    the number of rows (input.numel() / C), whatever the weights (as PyTorch).

    d/dx = g (softmax(x) sum_c contrib_c - contrib);  d/dy = -g (1 - eps) w log_softmax(x).
    With ``create_graph=True`` both are recomputed from the saved input and target (Tensors).
    """
    backward_name = "CrossEntropyBackward0"
    differentiable_backward = True

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
        ctx.save_for_backward(logp, contrib, x, t)
        ctx.opts = (ax, wb, eps)
        denom = (x.size // c) if x.size else 0
        return _row_reduce(ctx, loss.astype(x.dtype, copy=False), denom, reduction, loss.shape)

    @staticmethod
    def backward(ctx, grad):
        logp, contrib, x, t = ctx.saved_tensors
        ax, wb, eps = ctx.opts
        xp = array_namespace(grad)
        gi = _row_grad(ctx, grad, xp)
        gi = xp.expand_dims(xp.reshape(gi, ctx.out_shape), ax) if gi.ndim else gi
        if xp.graph:
            logp = _log_softmax(xp, x, ax)
            c = x.shape[ax]
            contrib = t * (1 - eps) + eps / c if eps else t
            if wb is not None:
                contrib = contrib * wb
        gx = gt = None
        if _need(ctx, 0):
            gx = gi * (xp.exp(logp) * xp.sum(contrib, axis=ax, keepdims=True) - contrib)
        if _need(ctx, 1):
            gt = -gi * (1 - eps) * (logp * wb if wb is not None else logp)
        return gx, gt


class NllLoss(Op):
    """Negative log-likelihood of log-probabilities: -w_y x_y, 'mean' over sum of w_y.

    Gradient: -w_{y_i} g_i at (i, y_i), 0 elsewhere (and for ignored rows): linear in g, so
    with ``create_graph=True`` only the upstream gradient is differentiated further.
    """
    backward_name = "NllLossBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction):
        shape, out_shape = x.shape, t.shape if x.ndim > 1 else ()
        x2, t2 = _rows(x, t)
        valid = t2 != ignore_index
        tc = np.where(valid, t2, 0)
        rows = np.arange(x2.shape[0])
        wt = (w[tc] * valid) if w is not None else valid.astype(x.dtype)
        picked = x2[rows, tc] if x2.shape[1] else np.zeros(len(rows), x.dtype)   # C = 0: all ignored
        if not valid.all():                              # ignored rows give 0, even for inf/nan
            picked = np.where(valid, picked, picked.dtype.type(0))
        loss = (-wt * picked).astype(x.dtype, copy=False)
        denom = wt.sum() if reduction == "mean" else 1
        ctx.state = (shape, x2.shape, tc, wt, rows)
        ctx.save_for_backward(x)
        return _row_reduce(ctx, loss, denom, reduction, out_shape)

    @staticmethod
    def backward(ctx, grad):
        shape, shape2, tc, wt, rows = ctx.state
        xp = array_namespace(grad)
        gi = _row_grad(ctx, grad, xp)
        if xp.graph:
            x, = ctx.saved_tensors
            m = np.zeros(shape2, grad._data.dtype)
            m[rows, tc] = -wt
            g = _unrows(m * (gi if gi.ndim == 0 else xp.expand_dims(gi, 1)), shape, xp)
            return _DependsOn.apply(g, x), None, None
        g = np.zeros(shape2, grad.dtype)
        if shape2[1]:
            g[rows, tc] = -wt * gi
        return _unrows(g, shape), None, None



# -- target checks ----------------------------------------------------------------------------
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
    def message(vals):
        lo, hi = min(vals), max(vals)
        return (f"Target {vals[0]} is out of bounds. {name}: target has class {hi if hi >= c else lo} "
                f"but input has {c} classes (valid range 0..{c - 1}, ignore_index={ignore_index}); "
                f"out-of-range targets span min {lo}, max {hi}. Check the model's number of outputs, or "
                f"shift the labels to start at 0")
    check_index_range(t, c, message, ignore=ignore_index, error=IndexError)


# -- functions --------------------------------------------------------------------------------
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
    out = CrossEntropy.apply(input, target, w, int(ignore_index), float(label_smoothing), reduction)
    if c == 0 and label_smoothing:  # the smoothing term averages over no classes: nan, as PyTorch
        out = add(out, float("nan"))
    return out


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

