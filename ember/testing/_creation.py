"""``torch.testing.make_tensor``: a random tensor for tests, drawn from PyTorch's stream.

Floats are ``uniform_(low, high)`` on ``[-9, 9)`` by default, integers ``randint(low, high)`` on
``[-9, 10)``, bools ``randint(0, 2)``: the same draws as PyTorch after the same ``manual_seed``.
"""
import collections.abc
import math
import warnings

import numpy as np

from .. import _creation
from .. import _dtype


def _modify_low_high(low, high, lowest, highest, default_low, default_high, dtype, integral):
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and not integral:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                      "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                      FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (math.ceil(low), math.ceil(high)) if integral else (low, high)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` and ``dtype`` filled with random values in ``[low, high)``.

    Example:
        >>> ember.manual_seed(0)
        >>> ember.testing.make_tensor(2, 3, dtype=ember.float32, device="cpu")   # torch's values for seed 0
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(int(s) for s in shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
                         f"but got noncontiguous={noncontiguous} and memory_format={memory_format}")
    if memory_format is not None:
        raise NotImplementedError("make_tensor: memory_format is not supported by ember (tensors are contiguous)")
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"make_tensor: dtype must be an ember dtype (e.g. ember.float32), got {dtype!r}")
    npd = dtype.np
    integral = npd.kind in "biu"
    if requires_grad and integral:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got dtype={dtype}")
    if npd.kind == "c":
        raise NotImplementedError("make_tensor: complex dtypes are not supported by ember")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if npd.kind == "b":
        low, high = _modify_low_high(low, high, 0, 2, 0, 2, dtype, True)
        result = _creation.randint(low, high, shape, dtype=dtype, device=device)
    elif integral:
        info = np.iinfo(npd)
        low, high = _modify_low_high(low, high, int(info.min), int(info.max) + (npd != np.int64), -9, 10, dtype, True)
        result = _creation.randint(low, high, shape, dtype=dtype, device=device)
    else:
        info = np.finfo(npd)
        low, high = _modify_low_high(low, high, float(info.min), float(info.max), -9, 9, dtype, False)
        result = _creation.empty(shape, dtype=dtype, device=device)
        if high - low >= float(info.max):
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    if noncontiguous:
        result = result[..., 1::2]
    if exclude_zero:
        zero = result._data == 0
        if zero.any():
            result._data[zero] = 1 if integral else np.finfo(npd).tiny
    if not integral:
        result.requires_grad = requires_grad
    return result
