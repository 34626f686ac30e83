"""Normalisation ops: batch, instance, layer, group and RMS norm, and ``normalize``.

Batch, layer, group and RMS norm are fused ops with a closed-form backward (one graph node per
call; rms_norm of float16 or of a weight not of the normalized shape stays a composition, as
normalize is). The layer / group / RMS norm ops run the row kernels of ``_norm_kernels.py`` (BLAS
row sums, per-row passes shared out to ember's threads with bitwise the same result); they save
the centred rows and invstd, and their backward folds the row means into per-row coefficients:
dx = (g * w) * invstd + xc * c2 + c1.

Twice differentiable: with ``create_graph=True`` (``xp.graph``) the fused backwards recompute xhat
and invstd from the saved input with Tensor ops (``_graph_normalize``), so the gradient records a
graph back to the input, weight and bias; the first-order backward stays the tuned array code.
"""
import math

import numpy as np

from .._parallel import split_rows
from .._tensor import Size, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._cast import to_dtype
from ._empty import empty_result
from ._norm_kernels import (_col_sums, _group_norm_grad_rows, _group_norm_rows, _layer_norm_grad_rows,
                            _layer_norm_rows, _rms_norm_grad_rows, _rms_norm_rows, _row_means, _row_sums,
                            channel_sums, split_work)
from .arithmetic import add, div, mul
from .clamp_where import clamp_min
from .math_functions import rsqrt
from .reduce import mean, norm

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "normalize"]


# -- shared helpers --------------------------------------------------------------------------------
def _bshape(ndim):
    """Shape that broadcasts a per-channel vector against (N, C, *)."""
    return (1, -1) + (1,) * (ndim - 2)


def _graph_normalize(xp, x, axes, eps):
    """create_graph: (xhat, invstd) of ``x`` over ``axes`` (kept), recomputed from the input with
    Tensor ops so the second derivative reaches x through them."""
    xc = x - xp.mean(x, axis=axes, keepdims=True)
    invstd = 1.0 / xp.sqrt(xp.mean(xc * xc, axis=axes, keepdims=True) + eps)
    return xc * invstd, invstd


def _graph_normalized_grad(xp, gxh, xhat, invstd, axes):
    """create_graph: dL/dx from gxh = dL/dxhat, invstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat)),
    with Tensor ops, means over ``axes``."""
    return invstd * (gxh - xp.mean(gxh, axis=axes, keepdims=True)
                     - xhat * xp.mean(gxh * xhat, axis=axes, keepdims=True))


def _scale_shift(y, w, b, bs, out=None):
    """``y * w + b`` with per-channel w, b (either may be None) reshaped to ``bs``; never writes into
    y (``out``: written there)."""
    if w is None:
        if b is not None:
            return np.add(y, b.reshape(bs), out=out)
        if out is None:
            return y
        np.copyto(out, y)
        return out
    out = np.multiply(y, w.reshape(bs), out=out)
    if b is not None:
        out += b.reshape(bs)
    return out


def _check_channel_vecs(c, name, **vectors):
    """Each given (not None) tensor must be a vector of ``c`` elements, one per channel."""
    for what, t in vectors.items():
        if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
            raise RuntimeError(f"{name}: {what} should have {c} elements (one per channel of the input), "
                               f"got shape {tuple(t.shape)}")


def _normalized_shape_error(normalized_shape, shape):
    return RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                        f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size "
                        f"{list(shape)}")


def _upcast(*tensors):
    """float16 tensors as float32 (differentiably), others unchanged: PyTorch computes the
    statistics of a half-precision input in float32 (mean and variance overflow in float16)."""
    return [to_dtype(t, np.float32) if t is not None and t._data.dtype == np.float16 else t for t in tensors]


def _downcast(out, input):
    return to_dtype(out, np.float16) if input._data.dtype == np.float16 else out


# -- batch norm ------------------------------------------------------------------------------------
class BatchNormTrain(Op):
    """Normalise with the batch statistics; update the running stats in place if given.

    Per channel c, over the M = N * prod(spatial) values of x[:, c]:
        mean = sum(x) / M,   var = sum((x - mean)**2) / M,   invstd = 1 / sqrt(var + eps)
        xhat = (x - mean) * invstd,   y = w * xhat + b
        running_mean <- (1 - momentum) * running_mean + momentum * mean
        running_var  <- (1 - momentum) * running_var  + momentum * var * M / (M - 1)
    Backward, with g = dL/dy and sums over the same M values:
        dL/db = sum(g),   dL/dw = sum(g * xhat)
        dL/dx = w * invstd / M * (M * g - sum(g) - xhat * sum(g * xhat))
    """
    backward_name = "NativeBatchNormBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, rm, rv, momentum, eps):
        n, c = x.shape[0], x.shape[1]
        m = x.size // c
        bs = _bshape(x.ndim)
        mean = channel_sums(x) / x.dtype.type(m)
        xc = x - mean.reshape(bs)
        xc3 = xc.reshape(n, c, -1)
        var = (np.einsum("ncx,ncx->c", xc3, xc3) / m).astype(x.dtype, copy=False)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        if rm is not None:
            rm *= 1 - momentum
            rm += momentum * mean
        if rv is not None:
            rv *= 1 - momentum
            rv += (momentum * m / max(m - 1, 1)) * var
        # y = xc * (invstd * w) + b: xhat = xc * invstd is never materialised
        scale = invstd if w is None else invstd * w
        ctx.save_for_backward(xc, invstd, scale, x, w)
        ctx.eps = eps
        return _scale_shift(xc, scale, b, bs)

    @staticmethod
    def backward(ctx, grad):
        xc, invstd, scale, x, w = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            return BatchNormTrain._backward_graph_formula(ctx, xp, grad, x, w)
        n, c = grad.shape[0], grad.shape[1]
        bs = _bshape(grad.ndim)
        m = grad.size // c
        gb = channel_sums(grad)
        # gw = sum(g * xhat) = invstd * sum(g * xc)
        gw = np.einsum("ncx,ncx->c", grad.reshape(n, c, -1), xc.reshape(n, c, -1)).astype(grad.dtype, copy=False)
        gw *= invstd
        gx = None
        if ctx.needs_input_grad[0]:
            # dx = w * invstd / M * (M * g - sum(g) - xhat * sum(g * xhat))
            gx = xc * (gw * invstd / m).reshape(bs)
            np.subtract(grad, gx, out=gx)
            gx -= (gb / m).reshape(bs)
            gx *= scale.reshape(bs)
        return (gx, gw if ctx.needs_input_grad[1] else None,
                gb if ctx.needs_input_grad[2] else None, None, None, None, None)

    @staticmethod
    def _backward_graph_formula(ctx, xp, grad, x, w):
        """create_graph: the same formulas with xhat and invstd recomputed from x by Tensor ops."""
        axes = (0,) + tuple(range(2, grad.ndim))
        bs = _bshape(grad.ndim)
        xhat, invstd = _graph_normalize(xp, x, axes, ctx.eps)
        c = grad.shape[1]
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _graph_normalized_grad(xp, grad, xhat, invstd, axes)
            if w is not None:
                gx = gx * xp.reshape(w, bs)
        if ctx.needs_input_grad[1]:
            gw = xp.reshape(xp.sum(grad * xhat, axis=axes), (c,))
        if ctx.needs_input_grad[2]:
            gb = xp.reshape(xp.sum(grad, axis=axes), (c,))
        return gx, gw, gb, None, None, None, None


class BatchNormEval(Op):
    """Normalise with fixed (running) statistics: an affine map per channel.

        invstd = 1 / sqrt(running_var + eps),   y = (x - running_mean) * invstd * w + b
    Backward, with g = dL/dy and sums over all positions of channel c:
        dL/dx = g * w * invstd,   dL/dw = sum(g * (x - running_mean) * invstd),   dL/db = sum(g)
    """
    backward_name = "NativeBatchNormBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, rm, rv, eps):
        bs = _bshape(x.ndim)
        invstd = (1.0 / np.sqrt(rv + eps)).astype(x.dtype, copy=False)
        scale = invstd if w is None else invstd * w
        shift = -rm * scale
        if b is not None:
            shift = shift + b
        ctx.save_for_backward(x, rm, invstd, scale, w)
        out = x * scale.reshape(bs)
        out += shift.reshape(bs)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, rm, invstd, scale, w = ctx.saved_tensors
        bs = _bshape(grad.ndim)
        axes = (0,) + tuple(range(2, grad.ndim))
        xp = array_namespace(grad)
        if xp.graph and w is not None:
            scale = invstd * w    # the saved scale is a constant; w's second derivative needs this one
        gx = grad * xp.reshape(scale, bs) if ctx.needs_input_grad[0] else None
        gw = gb = None
        if ctx.needs_input_grad[1]:
            gw = xp.sum(grad * ((x - xp.reshape(rm, bs)) * xp.reshape(invstd, bs)), axis=axes)
        if ctx.needs_input_grad[2]:
            gb = xp.sum(grad, axis=axes)
        return gx, gw, gb, None, None, None


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    """Normalise each channel (dim 1) of (N, C, *) input to zero mean / unit variance, then scale
    by ``weight`` and shift by ``bias``.

    In training the batch statistics are used and ``running_mean``/``running_var`` (if given)
    are updated in place: ``running = (1 - momentum) * running + momentum * batch_stat``, with
    the unbiased batch variance. In eval the running statistics are used.

    Example:
        >>> x = ember.randn(8, 3, 4, 4)
        >>> y = ember.nn.functional.batch_norm(x, None, None, training=True)
    """
    d = input._data
    if d.ndim < 2:
        raise ValueError(f"batch_norm: expected input with at least 2 dimensions (N, C, ...), got "
                         f"{d.ndim}-D input of shape {tuple(d.shape)}")
    if training and d.shape[0] * math.prod(d.shape[2:]) == 1:  # (PyTorch checks this first, even when empty)
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {Size(d.shape)!r}")
    if d.size == 0:  # an empty batch (train or eval): empty output, stats unchanged, channels unchecked (as torch)
        return empty_result(d.shape, input, weight, bias)
    c = d.shape[1]
    _check_channel_vecs(c, "batch_norm", running_mean=running_mean, running_var=running_var, weight=weight,
                        bias=bias)
    if d.dtype == np.float16:                          # statistics in float32, as PyTorch
        x, w, b = _upcast(input, weight, bias)
        stats = [None if t is None else _wrap(t._data.astype(np.float32)) for t in (running_mean, running_var)]
        out = batch_norm(x, stats[0], stats[1], w, b, training, momentum, eps)
        for t, s32 in zip((running_mean, running_var), stats):
            if t is not None and training:
                t._data[...] = s32._data.astype(t._data.dtype)
                t._vc[0] += 1
        return _downcast(out, input)
    if training:
        if d.size // c == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{Size(d.shape)!r}")
        out = BatchNormTrain.apply(input, weight, bias, running_mean, running_var,
                                   0.0 if momentum is None else momentum, eps)
        for t in (running_mean, running_var):
            if t is not None:
                t._vc[0] += 1
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var are required when training=False "
                           "(or pass training=True to use the batch statistics)")
    return BatchNormEval.apply(input, weight, bias, running_mean, running_var, eps)


def _update_instance_stats(x, running_mean, running_var, momentum):
    """Running stats <- (1 - momentum) * running + momentum * (batch mean of the per-instance stats)."""
    x3 = x.reshape(x.shape[0], x.shape[1], -1)
    if running_mean is not None:
        running_mean._data *= 1 - momentum
        running_mean._data += momentum * x3.mean(axis=2).mean(axis=0)
        running_mean._vc[0] += 1
    if running_var is not None:
        running_var._data *= 1 - momentum
        running_var._data += momentum * x3.var(axis=2, ddof=1).mean(axis=0)
        running_var._vc[0] += 1


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalise each (sample, channel) of (N, C, *) input over its spatial positions.

    With ``use_input_stats=False`` the running statistics are used instead; when they are given
    and ``use_input_stats`` is true they are updated with the batch average of the per-instance
    statistics (unbiased variance).
    """
    shape = input._data.shape
    if len(shape) < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with at least one spatial dim, got "
                         f"{tuple(shape)}")
    c = shape[1]
    _check_channel_vecs(c, "instance_norm", running_mean=running_mean, running_var=running_var, weight=weight,
                        bias=bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: use_input_stats=False needs running_mean and running_var")
        return BatchNormEval.apply(input, weight, bias, running_mean, running_var, eps)
    if input._data.size == 0:                            # an empty batch: empty output, stats unchanged
        return empty_result(shape, input, weight, bias)
    spatial = input._data.size // (shape[0] * c) if shape[0] * c else 0
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {Size(shape)!r}")
    if running_mean is not None or running_var is not None:
        _update_instance_stats(input._data, running_mean, running_var, momentum)
    # one group per channel: group norm normalises each (sample, channel) over its positions
    return GroupNorm.apply(input, weight, bias, c, eps)


# -- layer norm / group norm -----------------------------------------------------------------------
class LayerNorm(Op):
    """Normalise each row of the (M, n) view of x over its n trailing elements, then scale and shift.

        xhat = (x - mean(x)) * invstd,   invstd = 1 / sqrt(var(x) + eps)   (biased var, per row)
        y = xhat * w + b                 (w, b of the normalized shape, shared by all rows)
    Backward, with g = dL/dy, gxh = g * w and means over each row:
        dL/dw = sum_rows(g * xhat),   dL/db = sum_rows(g)
        dL/dx = invstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat))
    """
    backward_name = "NativeLayerNormBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, n, eps):
        # normalise each row of the (M, n) view over its n trailing elements
        x2 = x.reshape(-1, n)
        xc = np.empty(x2.shape, x.dtype)
        y = np.empty(x2.shape, np.result_type(*(a for a in (x, w, b) if a is not None)))
        invstd = np.empty((len(x2), 1), x.dtype)
        split_rows(_layer_norm_rows, (x2, _row_means(x2), xc, invstd, y),
                   None if w is None else w.reshape(-1), None if b is None else b.reshape(-1), eps,
                   elements=split_work(x2))
        ctx.save_for_backward(xc, invstd, w, x)
        ctx.n, ctx.eps = n, eps
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        xc, invstd, w, x = ctx.saved_tensors
        n = ctx.n
        xp = array_namespace(grad)
        if xp.graph:
            return LayerNorm._backward_graph_formula(ctx, xp, grad, x, w)
        g2 = np.ascontiguousarray(grad.reshape(-1, n))
        wv = None if w is None else w.reshape(-1)
        gw = gb = gx = None
        # with xhat = xc * invstd (per row): sum_rows(g * xhat) = invstd @ (g * xc), and
        # mean(gxh * xhat) = invstd * ((g * xc) @ w) / n: one product g * xc serves both
        gxc = np.multiply(g2, xc) if ctx.needs_input_grad[0] or ctx.needs_input_grad[1] else None
        if ctx.needs_input_grad[1]:
            gw = (invstd[:, 0] @ gxc).reshape(w.shape)
        if ctx.needs_input_grad[2]:
            gb = _col_sums(g2).reshape(ctx.input_meta[2][0])
        if ctx.needs_input_grad[0]:
            # the row sums s1 = sum(g * w), s2 = sum(g * w * xc) as gemvs over all rows; the rest per row
            s1, s2 = (_row_sums(g2), _row_sums(gxc)) if wv is None else (g2 @ wv, gxc @ wv)
            gx = np.empty(g2.shape, np.result_type(g2, invstd) if w is None else np.result_type(g2, invstd, w))
            split_rows(_layer_norm_grad_rows, (g2, gxc, xc, invstd, s1[:, None], s2[:, None], gx), wv,
                       elements=split_work(g2))
            gx = gx.reshape(grad.shape)
        return gx, gw, gb, None, None

    @staticmethod
    def _backward_graph_formula(ctx, xp, grad, x, w):
        """create_graph: the same formulas with xhat and invstd recomputed from x by Tensor ops."""
        n = ctx.n
        g2 = xp.reshape(grad, (-1, n))
        xhat, invstd = _graph_normalize(xp, xp.reshape(x, (-1, n)), (1,), ctx.eps)
        gw = gb = gx = None
        if ctx.needs_input_grad[1]:
            gw = xp.reshape(xp.sum(g2 * xhat, axis=0), ctx.input_meta[1][0])
        if ctx.needs_input_grad[2]:
            gb = xp.reshape(xp.sum(g2, axis=0), ctx.input_meta[2][0])
        if ctx.needs_input_grad[0]:
            gxh = g2 * xp.reshape(w, (1, n)) if w is not None else g2
            gx = xp.reshape(_graph_normalized_grad(xp, gxh, xhat, invstd, (1,)), grad.shape)
        return gx, gw, gb, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift elementwise.

    Example:
        >>> ember.nn.functional.layer_norm(ember.randn(2, 5, 8), (8,)).shape
        ember.Size([2, 5, 8])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    shape = input._data.shape
    if k == 0 or tuple(shape[len(shape) - k:]) != normalized_shape or len(shape) < k:
        raise _normalized_shape_error(normalized_shape, shape)
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t._data.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: {what} should have shape {normalized_shape}, got {tuple(t.shape)}")
    n = math.prod(normalized_shape)
    if input._data.size == 0:                            # weight and bias get zero gradients
        return empty_result(shape, input, weight, bias)
    if input._data.dtype == np.float16:                  # statistics in float32, as PyTorch
        return _downcast(LayerNorm.apply(*_upcast(input, weight, bias), n, eps), input)
    return LayerNorm.apply(input, weight, bias, n, eps)


class GroupNorm(Op):
    """Normalise (N, C, *) input over each (sample, group): G groups of C/G channels and all positions.

    The rows are the (N, G) views of C/G * prod(spatial) values; per row, as in LayerNorm,
        xhat = (x - mean(x)) * invstd,   y = xhat * w[c] + b[c]   (per-channel w, b)
    Backward, with g = dL/dy, gxh = g * w[c], sums over the positions of channel c and means over each row:
        dL/dw[c] = sum(g * xhat),   dL/db[c] = sum(g)
        dL/dx = invstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat))
    """
    backward_name = "NativeGroupNormBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, groups, eps):
        nb, c = x.shape[0], x.shape[1]
        x2 = x.reshape(nb * groups, -1)
        xc = np.empty(x2.shape, x.dtype)
        invstd = np.empty((len(x2), 1), x.dtype)
        y = np.empty((nb * c, x2.size // (nb * c)), np.result_type(*(a for a in (x, w, b) if a is not None)))
        split_rows(_group_norm_rows, (x2.reshape(nb, groups, -1), _row_means(x2).reshape(nb, groups, 1),
                                      xc.reshape(nb, groups, -1), invstd.reshape(nb, groups, 1),
                                      y.reshape(nb, c, -1)), w, b, eps, math.prod(x.shape[2:]) == 1,
                   elements=split_work(x2))
        ctx.save_for_backward(xc, invstd, w, x)
        ctx.groups, ctx.eps = groups, eps
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        xc, invstd, w, x = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            return GroupNorm._backward_graph_formula(ctx, xp, grad, x, w)
        groups = ctx.groups
        nb, c = grad.shape[0], grad.shape[1]
        cg = c // groups
        g2 = np.ascontiguousarray(grad.reshape(nb * c, -1))
        xc2 = xc.reshape(nb * c, -1)
        count = cg * g2.shape[1]
        inv_c = np.repeat(invstd.reshape(nb, groups), cg, axis=1)          # invstd of each (sample, channel)
        gxc = np.multiply(g2, xc2)
        sg = _row_sums(g2).reshape(nb, c)            # sum(g) per (sample, channel)
        sgx = _row_sums(gxc).reshape(nb, c)          # sum(g * xc) per (sample, channel)
        gw = (sgx * inv_c).sum(axis=0) if ctx.needs_input_grad[1] else None
        gb = sg.sum(axis=0) if ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:
            # dx = (g * w) * invstd + xc * c2 + c1 per (sample, group), as in _layer_norm_grad_rows
            wsg, wsgx = (sg, sgx) if w is None else (sg * w, sgx * w)
            inv = invstd.reshape(nb, groups)
            c1 = -inv * wsg.reshape(nb, groups, cg).sum(axis=2) / count
            c2 = -(wsgx.reshape(nb, groups, cg).sum(axis=2) / count * inv) * inv * inv
            a = inv_c if w is None else inv_c * w
            gx = np.empty(g2.shape, np.result_type(g2, a))
            split_rows(_group_norm_grad_rows, (g2, xc2, gxc, a.reshape(-1, 1), np.repeat(c2, cg, axis=1).reshape(-1, 1),
                                               np.repeat(c1, cg, axis=1).reshape(-1, 1), gx), elements=split_work(g2))
            gx = gx.reshape(grad.shape)
        return gx, gw, gb, None, None

    @staticmethod
    def _backward_graph_formula(ctx, xp, grad, x, w):
        """create_graph: the same formulas with xhat and invstd recomputed from x by Tensor ops."""
        nb, c = grad.shape[0], grad.shape[1]
        rows = (nb, ctx.groups, -1)
        axes = (0,) + tuple(range(2, grad.ndim))
        xhat3, invstd = _graph_normalize(xp, xp.reshape(x, rows), (2,), ctx.eps)
        gw = gb = gx = None
        if ctx.needs_input_grad[1]:
            gw = xp.reshape(xp.sum(grad * xp.reshape(xhat3, grad.shape), axis=axes), (c,))
        if ctx.needs_input_grad[2]:
            gb = xp.reshape(xp.sum(grad, axis=axes), (c,))
        if ctx.needs_input_grad[0]:
            gxh = grad * xp.reshape(w, _bshape(grad.ndim)) if w is not None else grad
            gx = xp.reshape(_graph_normalized_grad(xp, xp.reshape(gxh, rows), xhat3, invstd, (2,)), grad.shape)
        return gx, gw, gb, None, None


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalise (N, C, *) input over groups of C/num_groups channels (and all spatial positions),
    then apply a per-channel scale and shift.

    Example:
        >>> ember.nn.functional.group_norm(ember.randn(2, 6, 4, 4), 3).shape
        ember.Size([2, 6, 4, 4])
    """
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"group_norm: expected input with at least 2 dimensions (N, C, ...), got shape "
                           f"{tuple(shape)}")
    c = shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {list(shape)} and num_groups={num_groups}")
    _check_channel_vecs(c, "group_norm", weight=weight, bias=bias)
    if input._data.size == 0:                            # an empty batch: an empty output
        return empty_result(shape, input, weight, bias)
    if input._data.dtype == np.float16:                  # statistics in float32, as PyTorch
        return _downcast(GroupNorm.apply(*_upcast(input, weight, bias), num_groups, eps), input)
    return GroupNorm.apply(input, weight, bias, num_groups, eps)


# -- RMS norm --------------------------------------------------------------------------------------
class RMSNorm(Op):
    """Scale each row of the (M, n) view of x by the inverse root mean square of its n trailing elements.

        r = 1 / sqrt(mean(x²) + eps)   (per row),   y = x * r * w
    Backward, with g = dL/dy, gxh = g * w and means over each row:
        dL/dw = sum_rows(g * x * r),   dL/dx = r * gxh - x * r³ * mean(gxh * x)
    """
    backward_name = "MulBackward0"      # (PyTorch composes rms_norm; its grad_fn is the last multiply)
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, n, eps):
        x2 = np.ascontiguousarray(x.reshape(-1, n))
        y = np.empty(x2.shape, x.dtype if w is None else np.result_type(x, w))
        r = np.empty((len(x2), 1), x.dtype)
        split_rows(_rms_norm_rows, (x2, r, y), None if w is None else w.reshape(-1), eps, elements=split_work(x2))
        ctx.save_for_backward(x2, r, w, x)
        ctx.n, ctx.eps = n, eps
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x2, r, w, x = ctx.saved_tensors
        n = ctx.n
        xp = array_namespace(grad)
        if xp.graph:
            return RMSNorm._backward_graph_formula(ctx, xp, grad, x, w)
        g2 = np.ascontiguousarray(grad.reshape(-1, n))
        wv = None if w is None else w.reshape(-1)
        gxx = np.multiply(g2, x2)                      # g * x: the weight's gradient and the row sums
        gw = (r[:, 0] @ gxx).reshape(w.shape) if ctx.needs_input_grad[1] else None
        gx = None
        if ctx.needs_input_grad[0]:
            s = _row_sums(gxx) if wv is None else gxx @ wv
            gx = np.empty(g2.shape, np.result_type(g2, r) if w is None else np.result_type(g2, r, w))
            split_rows(_rms_norm_grad_rows, (g2, x2, r, s[:, None], gxx, gx), wv, elements=split_work(g2))
            gx = gx.reshape(grad.shape)
        return gx, gw, None, None

    @staticmethod
    def _backward_graph_formula(ctx, xp, grad, x, w):
        """create_graph: the same formulas with r recomputed from x by Tensor ops."""
        n = ctx.n
        g2, x2 = xp.reshape(grad, (-1, n)), xp.reshape(x, (-1, n))
        r = 1.0 / xp.sqrt(xp.mean(x2 * x2, axis=(1,), keepdims=True) + ctx.eps)
        gw = gx = None
        if ctx.needs_input_grad[1]:
            gw = xp.reshape(xp.sum(g2 * (x2 * r), axis=0), ctx.input_meta[1][0])
        if ctx.needs_input_grad[0]:
            gxh = g2 * xp.reshape(w, (1, n)) if w is not None else g2
            gx = r * gxh - x2 * (r * r * r) * xp.mean(gxh * x2, axis=(1,), keepdims=True)
            gx = xp.reshape(gx, grad.shape)
        return gx, gw, None, None


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x**2) + eps) over the trailing ``normalized_shape`` dims, times ``weight``
    (``eps`` None: the machine epsilon of the input's dtype).

    Example:
        >>> ember.nn.functional.rms_norm(ember.randn(2, 5, 8), (8,)).shape
        ember.Size([2, 5, 8])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input._data.shape[input._data.ndim - k:]) != normalized_shape:
        raise _normalized_shape_error(normalized_shape, input._data.shape)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    d = input._data
    if (k and d.size and d.dtype in (np.float32, np.float64)
            and (weight is None or (tuple(weight._data.shape) == normalized_shape and weight._data.dtype == d.dtype))):
        return RMSNorm.apply(input, weight, math.prod(normalized_shape), eps)
    dims = tuple(range(input._data.ndim - k, input._data.ndim))
    x, = _upcast(input)                                  # float16: mean of squares in float32
    out = _downcast(mul(x, rsqrt(add(mean(mul(x, x), dims, keepdim=True), eps))), input)
    return out if weight is None else mul(out, weight)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``; with ``out``, written into it as ``div(out=)`` does
    (not differentiable, as in PyTorch).

    Example:
        >>> ember.nn.functional.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    if input._data.dtype == np.float16 and out is None:  # the norm in float32, as PyTorch
        x, = _upcast(input)
        return _downcast(div(x, clamp_min(norm(x, p, dim, keepdim=True), eps)), input)
    return div(input, clamp_min(norm(input, p, dim, keepdim=True), eps), out=out)
