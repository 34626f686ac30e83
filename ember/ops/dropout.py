"""Dropout ops: elementwise, feature-wise (whole channels) and alpha dropout for SELU networks.

The random mask comes from ember's global generator, drawn as PyTorch draws it (``bernoulli_(1 - p)``
then divided by ``1 - p``), so a seeded run drops the units PyTorch drops; the op multiplies by it
(one graph node per call).
"""
import warnings

import numpy as np

from .. import _sampling
from .._random import default_generator
from ..autograd.function import Op
from .arithmetic import mul

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


class Dropout(Op):
    """y = x * m, with m the mask: 0 for dropped units, 1/(1-p) for kept ones.

    dL/dx = dL/dy * m (the same mask; the mask itself gets no gradient).
    """
    backward_name = "MulBackward0"
    differentiable_backward = True   # grad * mask (a constant): the same on Tensors

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
    keep = _sampling.bernoulli_scalar(default_generator, shape, 1.0 - p)
    return keep.astype(dtype) / dtype.type(1.0 - p)


def _result(input, out, inplace):
    """``out``, written back into ``input`` when ``inplace``."""
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
    mask = _dropout_mask(input._data.shape, p, input._data.dtype)
    return _result(input, Dropout.apply(input, mask), inplace)


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
    mask = _dropout_mask(mshape, p, input._data.dtype)
    return _result(input, Dropout.apply(input, mask), inplace)


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


# -- alpha dropout ---------------------------------------------------------------------------------
class AlphaDropout(Op):
    """y = x * a + b with per-unit a (scale) and b (shift) fixed by the mask.

    With q = 1 - p, s = SELU's saturation value (-scale * alpha) and keep in {0, 1}:
        A = (q * (1 + p * s**2)) ** -1/2,   B = -A * s * p
        a = keep * A,   b = (1 - keep) * A * s + B
    so E[y] = 0 and Var[y] = 1 for standardised x.  dL/dx = dL/dy * a.
    """
    backward_name = "AddBackward0"
    differentiable_backward = True   # grad * mask (a constant): the same on Tensors

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
        return _result(input, mul(input, 0.0), inplace)
    keep = _sampling.bernoulli_scalar(default_generator, mshape, 1.0 - p).astype(dt)
    # dropped units are set to SELU's saturation value, then an affine map restores mean 0 / var 1
    a = (1.0 - p) * (1.0 + p * _SELU_SAT ** 2)
    a = a ** -0.5
    b = -a * _SELU_SAT * p
    scale = (keep * dt.type(a))
    shift = (1 - keep) * dt.type(a * _SELU_SAT) + dt.type(b)
    return _result(input, AlphaDropout.apply(input, scale, shift), inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps the input's mean and variance (dropped units take SELU's
    negative saturation value, then an affine correction)."""
    return _alpha_dropout(input, p, training, inplace, input._data.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout with one draw per (sample, channel)."""
    shape = input._data.shape
    mshape = shape[:2] + (1,) * (len(shape) - 2) if len(shape) >= 2 else shape
    return _alpha_dropout(input, p, training, inplace, mshape)
