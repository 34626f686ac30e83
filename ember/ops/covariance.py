"""Covariance and correlation of variables (rows) observed together (columns): ``cov``, ``corrcoef``.

    cov = (x - avg) @ (w * (x - avg)).T / (sum(w) - correction * sum(w * aweights) / sum(w))

with ``w = fweights * aweights`` (either may be absent; without aweights the divisor is ``sum(w) - correction``)
and ``avg`` the w-weighted mean of each row.  corrcoef = cov / (std_i * std_j), clipped to [-1, 1].
Composed from differentiable ops (mean, sum, matmul, div, sqrt), so gradients come from those ops.
"""
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._cast import to_dtype
from .arithmetic import div, mul, sub
from .clamp_where import clamp
from .diagonals import diag
from .linalg import mm
from .math_functions import sqrt
from .reduce import mean, sum as _sum
from .views import reshape, squeeze, t as _t, unsqueeze

__all__ = ["cov", "corrcoef"]


def _check_weights(name, w, n, integral):
    if not isinstance(w, Tensor):
        raise TypeError(f"cov(): {name} must be a Tensor, got {type(w).__name__}")
    if w._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                           f"{w._data.ndim} dimensions")
    if w._data.size != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                           f"input but got {w._data.size} != {n}")
    kind = w._data.dtype.kind
    if integral and kind not in "iu":
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                           f"{_dtype.from_numpy_dtype(w._data.dtype)} dtype")
    if not integral and kind != "f":
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                           f"{_dtype.from_numpy_dtype(w._data.dtype)} dtype")
    if w._data.size and w._data.min() < 0:
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the rows of a 2-d input (a 1-d input is one variable: a 0-d result).

    Example:
        >>> ember.cov(ember.tensor([[1., 2., 4.], [3., 1., 0.]]))
        tensor([[ 2.3333, -2.1667],
                [-2.1667,  2.3333]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    x = reshape(input, 1, -1) if input._data.ndim < 2 else input
    if x._data.dtype.kind in "biu":
        x = to_dtype(x, _dtype.get_default_dtype().np)
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n, True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, False)
        w = aweights if w is None else mul(w, aweights)
    if w is not None and w._data.dtype != x._data.dtype:
        w = to_dtype(w, x._data.dtype)
    w_sum = _sum(w) if w is not None else n          # a tensor where weights are given: they get gradients
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = mean(x, 1) if w is None else div(_sum(mul(x, w), 1), w_sum)
        if w is not None and aweights is not None and correction != 0:
            aw = to_dtype(aweights, x._data.dtype) if aweights._data.dtype != x._data.dtype else aweights
            norm = sub(w_sum, div(mul(_sum(mul(w, aw)), correction), w_sum))
        else:
            norm = sub(w_sum, correction) if w is not None else float(n - correction)
    if not float(norm._data if isinstance(norm, Tensor) else norm) > 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number "
                      "of observations.", UserWarning, stacklevel=2)
        norm = mul(norm, 0.0) if isinstance(norm, Tensor) else 0.0
    xc = sub(x, unsqueeze(avg, 1))
    c = mm(xc, _t(mul(xc, w) if w is not None else xc))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = div(c, norm)
    return squeeze(out)


def corrcoef(input):
    """Pearson correlation coefficients of the rows of a 2-d input (``cov`` normalised by the std devs).

    Example:
        >>> ember.corrcoef(ember.tensor([[1., 2., 4.], [3., 1., 0.]]))
        tensor([[ 1.0000, -0.9286],
                [-0.9286,  1.0000]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return div(c, c)
    std = sqrt(diag(c))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = div(div(c, unsqueeze(std, 1)), unsqueeze(std, 0))
    return clamp(c, -1, 1)
