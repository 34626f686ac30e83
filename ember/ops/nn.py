"""Fused neural-network ops: dropout, batch/layer/group norm, embedding, pad, bilinear.

Each op works on NumPy arrays with a closed-form backward (one graph node per call).
"""
import math
import warnings

import numpy as np

from .._random import _rng
from .._tensor import Size, Tensor
from ..autograd.function import Op

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
           "batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "embedding", "pad", "bilinear",
           "normalize"]


# -- dropout -----------------------------------------------------------------------------------
class Dropout(Op):
    backward_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        mask, = ctx.saved_tensors
        return grad * mask, None


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(shape, p, dtype):
    """Keep each unit with probability 1-p and scale kept units by 1/(1-p)."""
    if p == 1.0:
        return np.zeros(shape, dtype)
    keep = _rng(None).random(shape, dtype=np.float32) >= p
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))


def _apply_mask(input, mask, inplace):
    out = Dropout.apply(input, mask)
    return input._inplace_from(out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p); identity when
    ``training=False``. The mask comes from ember's global generator.

    Example:
        >>> ember.nn.functional.dropout(ember.ones(4), p=0.5)    # e.g. tensor([2., 0., 2., 2.])
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, _dropout_mask(input._data.shape, p, input._data.dtype), inplace)


def _feature_dropout(input, p, training, inplace, nd, name):
    _check_p(p)
    shape = input._data.shape
    if input._data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, "
                           f"got {input._data.ndim}-D input of shape {tuple(shape)}")
    if not training or p == 0.0:
        return input
    batched = input._data.ndim == nd + 2
    # One draw per (sample, channel); the whole feature map is kept or dropped.
    mshape = (shape[:2] if batched else shape[:1]) + (1,) * nd
    return _apply_mask(input, _dropout_mask(mshape, p, input._data.dtype), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) / (C, L) input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) / (C, H, W) input with probability ``p``.

    A 3-D input is treated as (N, C, L), as PyTorch does (with the same warning).
    """
    if input._data.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one "
                      "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.", stacklevel=2)
        return _feature_dropout(input, p, training, inplace, 1, "dropout2d")
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W) input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


class AlphaDropout(Op):
    backward_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, a, b):
        ctx.save_for_backward(a)
        return x * a + b

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * a, None, None


_SELU_SAT = -1.7580993408473766  # -scale * alpha of SELU: the value SELU saturates to


def _alpha_dropout(input, p, training, inplace, mshape):
    _check_p(p)
    if not training or p == 0.0:
        return input
    dt = input._data.dtype
    if p == 1.0:
        from .elementwise import mul
        out = mul(input, 0.0)
        return input._inplace_from(out) if inplace else out
    keep = (_rng(None).random(mshape, dtype=np.float32) >= p).astype(dt)
    # dropped units are set to SELU's saturation value, then an affine map restores mean 0 / var 1
    a = (1.0 - p) * (1.0 + p * _SELU_SAT ** 2)
    a = a ** -0.5
    b = -a * _SELU_SAT * p
    scale = (keep * dt.type(a))
    shift = (1 - keep) * dt.type(a * _SELU_SAT) + dt.type(b)
    out = AlphaDropout.apply(input, scale, shift)
    return input._inplace_from(out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps the input's mean and variance (dropped units take SELU's
    negative saturation value, then an affine correction)."""
    return _alpha_dropout(input, p, training, inplace, input._data.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout with one draw per (sample, channel)."""
    shape = input._data.shape
    mshape = shape[:2] + (1,) * (len(shape) - 2) if len(shape) >= 2 else shape
    return _alpha_dropout(input, p, training, inplace, mshape)


# -- batch norm --------------------------------------------------------------------------------
def _bshape(ndim):
    """Shape that broadcasts a per-channel vector against (N, C, *)."""
    return (1, -1) + (1,) * (ndim - 2)


def _normalize_rows(x, eps):
    """(xhat, invstd): each row (last axis) of ``x`` centred and scaled to unit variance."""
    k = x.shape[-1]
    xhat = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("...k,...k->...", xhat, xhat)[..., None] / k
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    xhat *= invstd
    return xhat, invstd


def _normalized_grad(gxh, xhat, invstd):
    """dL/dx of ``_normalize_rows`` from gxh = dL/dxhat (overwritten and returned).

    dx = invstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat)), means over each row.
    """
    k = gxh.shape[-1]
    m1 = np.einsum("...k->...", gxh)[..., None] / k
    m2 = np.einsum("...k,...k->...", gxh, xhat)[..., None] / k
    gxh -= m1
    gxh -= xhat * m2
    gxh *= invstd
    return gxh


def _scale_shift(y, w, b, bs):
    """``y * w + b`` with per-channel w, b (either may be None) reshaped to ``bs``; never writes into y."""
    if w is None:
        return y if b is None else y + b.reshape(bs)
    out = y * w.reshape(bs)
    if b is not None:
        out += b.reshape(bs)
    return out


class BatchNormTrain(Op):
    """Normalise with the batch statistics; update the running stats in place if given."""
    backward_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, rm, rv, momentum, eps):
        n, c = x.shape[0], x.shape[1]
        m = x.size // c
        bs = _bshape(x.ndim)
        mean = x.sum(axis=(0,) + tuple(range(2, x.ndim))) / x.dtype.type(m)
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
        ctx.save_for_backward(xc, invstd, scale)
        return _scale_shift(xc, scale, b, bs)

    @staticmethod
    def backward(ctx, grad):
        xc, invstd, scale = ctx.saved_tensors
        n, c = grad.shape[0], grad.shape[1]
        bs = _bshape(grad.ndim)
        m = grad.size // c
        gb = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
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


class BatchNormEval(Op):
    """Normalise with fixed (running) statistics: an affine map per channel."""
    backward_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, rm, rv, eps):
        bs = _bshape(x.ndim)
        invstd = (1.0 / np.sqrt(rv + eps)).astype(x.dtype, copy=False)
        scale = invstd if w is None else invstd * w
        shift = -rm * scale
        if b is not None:
            shift = shift + b
        ctx.save_for_backward(x, rm, invstd, scale)
        out = x * scale.reshape(bs)
        out += shift.reshape(bs)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, rm, invstd, scale = ctx.saved_tensors
        bs = _bshape(grad.ndim)
        axes = (0,) + tuple(range(2, grad.ndim))
        gx = grad * scale.reshape(bs) if ctx.needs_input_grad[0] else None
        gw = gb = None
        if ctx.needs_input_grad[1]:
            gw = (grad * ((x - rm.reshape(bs)) * invstd.reshape(bs))).sum(axis=axes)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=axes)
        return gx, gw, gb, None, None, None


def _channel_vec(t, c, what, name):
    if t is None:
        return None
    if t._data.ndim != 1 or t._data.shape[0] != c:
        raise RuntimeError(f"{name}: {what} should have {c} elements (one per channel of the input), "
                           f"got shape {tuple(t.shape)}")
    return t


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
    c = d.shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        _channel_vec(t, c, what, "batch_norm")
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
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        _channel_vec(t, c, what, "instance_norm")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: use_input_stats=False needs running_mean and running_var")
        return BatchNormEval.apply(input, weight, bias, running_mean, running_var, eps)
    spatial = input._data.size // (shape[0] * c) if shape[0] * c else 0
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {Size(shape)!r}")
    if running_mean is not None or running_var is not None:
        x3 = input._data.reshape(shape[0], c, -1)
        if running_mean is not None:
            running_mean._data *= 1 - momentum
            running_mean._data += momentum * x3.mean(axis=2).mean(axis=0)
            running_mean._vc[0] += 1
        if running_var is not None:
            running_var._data *= 1 - momentum
            running_var._data += momentum * x3.var(axis=2, ddof=1).mean(axis=0)
            running_var._vc[0] += 1
    return GroupNorm.apply(input, weight, bias, c, eps)


# -- layer norm / group norm / rms norm ----------------------------------------------------------
class LayerNorm(Op):
    backward_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, n, eps):
        # normalise each row of the (M, n) view over its n trailing elements
        xhat, invstd = _normalize_rows(x.reshape(-1, n), eps)
        ctx.save_for_backward(xhat, invstd, w)
        ctx.n = n
        return _scale_shift(xhat, w, b, (1, n)).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        xhat, invstd, w = ctx.saved_tensors
        n = ctx.n
        g2 = grad.reshape(-1, n)
        gw = gb = gx = None
        if ctx.needs_input_grad[1]:
            gw = np.einsum("ij,ij->j", g2, xhat).reshape(w.shape)
        if ctx.needs_input_grad[2]:
            gb = g2.sum(axis=0).reshape(ctx.input_meta[2][0])
        if ctx.needs_input_grad[0]:
            gx = g2 * w.reshape(1, n) if w is not None else np.array(g2)
            gx = _normalized_grad(gx, xhat, invstd).reshape(grad.shape)
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
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size "
                           f"{list(shape)}")
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t._data.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: {what} should have shape {normalized_shape}, got {tuple(t.shape)}")
    n = math.prod(normalized_shape)
    if input._data.size == 0:
        from .elementwise import mul
        return mul(input, 1.0)
    return LayerNorm.apply(input, weight, bias, n, eps)


class GroupNorm(Op):
    backward_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, groups, eps):
        nb, c = x.shape[0], x.shape[1]
        xhat, invstd = _normalize_rows(x.reshape(nb, groups, -1), eps)
        xhat = xhat.reshape(x.shape)
        ctx.save_for_backward(xhat, invstd, w)
        ctx.groups = groups
        return _scale_shift(xhat, w, b, _bshape(x.ndim))

    @staticmethod
    def backward(ctx, grad):
        xhat, invstd, w = ctx.saved_tensors
        g = ctx.groups
        nb, c = grad.shape[0], grad.shape[1]
        bs = _bshape(grad.ndim)
        g3 = grad.reshape(nb, c, -1)
        gw = np.einsum("ncx,ncx->c", g3, xhat.reshape(nb, c, -1)) if ctx.needs_input_grad[1] else None
        gb = np.einsum("ncx->c", g3) if ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gxh = (grad * w.reshape(bs) if w is not None else np.array(grad)).reshape(nb, g, -1)
            gx = _normalized_grad(gxh, xhat.reshape(nb, g, -1), invstd).reshape(grad.shape)
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
    _channel_vec(weight, c, "weight", "group_norm")
    _channel_vec(bias, c, "bias", "group_norm")
    return GroupNorm.apply(input, weight, bias, num_groups, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x**2) + eps) over the trailing ``normalized_shape`` dims, times ``weight``."""
    from .elementwise import add, mul, rsqrt
    from .reduce import mean
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input._data.shape[input._data.ndim - k:]) != tuple(normalized_shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size "
                           f"{list(input._data.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input._data.ndim - k, input._data.ndim))
    out = mul(input, rsqrt(add(mean(mul(input, input), dims, keepdim=True), eps)))
    return out if weight is None else mul(out, weight)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``.

    Example:
        >>> ember.nn.functional.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    from .elementwise import clamp_min, div
    from .reduce import norm
    return div(input, clamp_min(norm(input, p, dim, keepdim=True), eps))


# -- embedding -----------------------------------------------------------------------------------
class Embedding(Op):
    @staticmethod
    def forward(ctx, idx, w, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(idx)
        ctx.c = (w.shape, padding_idx, scale_grad_by_freq)
        return w[idx]

    @staticmethod
    def backward(ctx, grad):
        idx, = ctx.saved_tensors
        shape, padding_idx, by_freq = ctx.c
        flat = idx.reshape(-1)
        g2 = grad.reshape(-1, shape[1])
        if by_freq:
            counts = np.bincount(flat, minlength=shape[0])
            g2 = g2 / counts[flat][:, None].astype(g2.dtype)
        gw = np.zeros(shape, grad.dtype)
        np.add.at(gw, flat, g2)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return None, gw, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` picked by the integer tensor ``input``: output shape ``input.shape + (dim,)``.

    Rows at ``padding_idx`` get no gradient; with ``max_norm``, looked-up rows whose norm exceeds
    it are rescaled in place first.

    Example:
        >>> w = ember.randn(10, 3)
        >>> ember.nn.functional.embedding(ember.tensor([[1, 2], [4, 9]]), w).shape
        ember.Size([2, 2, 3])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): argument 'input' must be Tensor, not {type(input).__name__}")
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {input.dtype} instead (usage: embedding(input.long(), "
                           f"weight))")
    if weight._data.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    num = weight._data.shape[0]
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= num:
            bad = hi if hi >= num else lo
            raise IndexError(f"index out of range in self: embedding index {bad} is outside [0, {num - 1}] "
                             f"for an Embedding with {num} rows")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        rows = np.unique(idx)
        w = weight._data
        norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        over = norms > max_norm
        if over.any():
            scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
            w[rows[over]] *= scale[:, None]
            weight._vc[0] += 1
    return Embedding.apply(_IndexArg(idx), weight, padding_idx, bool(scale_grad_by_freq))


def _IndexArg(idx):
    # Indices pass through Op.apply as a plain array (not a Tensor): they never get a gradient.
    return idx if idx.dtype == np.intp else idx.astype(np.intp)


# -- pad ------------------------------------------------------------------------------------------
def _pad_pairs(pad, ndim, mode):
    if len(pad) % 2:
        raise ValueError(f"Padding length must be divisible by 2, got pad={tuple(pad)}")
    if len(pad) // 2 > ndim:
        raise ValueError(f"Padding length should be less than or equal to two times the input dimension but "
                         f"got padding length {len(pad)} and input of dimension {ndim}")
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return pairs


class PadConstant(Op):
    backward_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pairs, value):
        out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pairs))
        if any(s < 0 for s in out_shape):
            raise RuntimeError(f"pad: the padding {pairs} makes a negative size from input shape {x.shape}")
        out = np.full(out_shape, value, dtype=x.dtype)
        src, dst = [], []
        for n, (lo, hi) in zip(x.shape, pairs):
            s0, s1 = max(0, -lo), n - max(0, -hi)
            d0 = max(0, lo)
            src.append(slice(s0, max(s0, s1)))
            dst.append(slice(d0, d0 + max(0, s1 - s0)))
        out[tuple(dst)] = x[tuple(src)]
        ctx.c = (x.shape, tuple(src), tuple(dst))
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, src, dst = ctx.c
        gx = np.zeros(shape, grad.dtype)
        gx[src] = grad[dst]
        return gx, None, None


def _pad_index(n, lo, hi, mode):
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) should be less than the corresponding input dimension "
                               f"({n}) for mode='reflect'")
        period = 2 * (n - 1) if n > 1 else 1
        i = np.abs(i) % period
        i = np.where(i > n - 1, period - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    elif mode == "circular":
        if lo > n or hi > n:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) should be at most the input dimension ({n}) "
                               "for mode='circular'")
        i = i % n
    return i


class PadIndex(Op):
    """reflect / replicate / circular padding as a gather along each padded dim."""

    @staticmethod
    def forward(ctx, x, pairs, mode):
        idxs = []
        out = x
        for d, (lo, hi) in enumerate(pairs):
            if lo or hi:
                ix = _pad_index(x.shape[d], lo, hi, mode)
                out = np.take(out, ix, axis=d)
                idxs.append((d, ix))
        ctx.c = (x.shape, idxs)
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, idxs = ctx.c
        g = grad
        for d, ix in reversed(idxs):
            acc = np.zeros(g.shape[:d] + (shape[d],) + g.shape[d + 1:], g.dtype)
            np.add.at(np.moveaxis(acc, d, 0), ix, np.moveaxis(g, d, 0))
            g = acc
        return g, None, None


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)`` starting
    from the last dim. Modes: ``'constant'`` (with ``value``, negative pads crop), ``'reflect'``,
    ``'replicate'``, ``'circular'``.

    Example:
        >>> ember.nn.functional.pad(ember.ones(1, 2, 2), (1, 1)).shape
        ember.Size([1, 2, 4])
    """
    pairs = _pad_pairs(pad, input._data.ndim, mode)
    if mode == "constant":
        return PadConstant.apply(input, tuple(pairs), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if any(lo < 0 or hi < 0 for lo, hi in pairs) and mode != "circular":
        raise RuntimeError(f"pad: negative padding is only supported in 'constant' and 'circular' modes, got {pad}")
    n_pad = len(pad) // 2
    if input._data.ndim not in (n_pad + 1, n_pad + 2):
        raise NotImplementedError(f"Only {n_pad + 1}D or {n_pad + 2}D input is supported for {n_pad}D "
                                  f"{mode} padding (got {input._data.ndim}D input of shape {tuple(input.shape)})")
    return PadIndex.apply(input, tuple(pairs), mode)


# -- bilinear -------------------------------------------------------------------------------------
class Bilinear(Op):
    backward_name = "BilinearBackward0"

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
        a1 = x1.reshape(-1, x1.shape[-1])
        a2 = x2.reshape(-1, x2.shape[-1])
        g = grad.reshape(-1, w.shape[0])
        n = ctx.needs_input_grad
        g1 = np.einsum("bo,oij,bj->bi", g, w, a2, optimize=True).reshape(x1.shape) if n[0] else None
        g2 = np.einsum("bo,oij,bi->bj", g, w, a1, optimize=True).reshape(x2.shape) if n[1] else None
        gw = np.einsum("bo,bi,bj->oij", g, a1, a2, optimize=True) if n[2] else None
        gb = g.sum(axis=0) if n[3] else None
        return g1, g2, gw, gb


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1 @ weight[o] @ input2 + bias[o]``."""
    if input1._data.shape[:-1] != input2._data.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 and input2 must have the same leading dims, got "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    if weight._data.ndim != 3 or weight._data.shape[1:] != (input1._data.shape[-1], input2._data.shape[-1]):
        raise RuntimeError(f"bilinear: weight should have shape (out, {input1._data.shape[-1]}, "
                           f"{input2._data.shape[-1]}), got {tuple(weight.shape)}")
    return Bilinear.apply(input1, input2, weight, bias)

