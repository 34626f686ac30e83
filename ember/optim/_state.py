"""Per-parameter optimizer state tensors: how they are created, and how loaded ones are cast.

The layout is PyTorch's: ``optimizer.state[p]`` is a dict of Tensors under PyTorch's key names,
with ``step`` a 0-d float32 tensor.
"""
import copy

import numpy as np

from .._tensor import Tensor, _wrap

__all__ = ["step_state", "zeros_state", "init_zeros", "load_value"]

# Scalar bookkeeping kept in its own dtype on load. PyTorch keeps only ``step``; it also casts NAdam's
# float32 ``mu_product`` to a float64 parameter's dtype, which makes a resumed float64 run drift by
# rounding. Keeping it float32 makes save/load resume exactly.
_SCALAR_KEYS = ("step", "mu_product", "eta", "mu")  # eta, mu: ASGD's, kept float32 likewise


def step_state():
    """PyTorch keeps ``step`` as a 0-d float32 tensor."""
    return _wrap(np.zeros((), dtype=np.float32))


def zeros_state(p):
    return _wrap(np.zeros_like(p._data))


def init_zeros(*keys):
    """An ``init`` for ``Optimizer._updates``: one zero tensor shaped like the parameter per key."""
    def init(p, state):
        for k in keys:
            state[k] = zeros_state(p)
    return init


def load_value(param, key, value):
    """A state entry copied for ``param``: float tensors take the parameter's dtype, except scalar counters."""
    if isinstance(value, Tensor):
        arr = value._data
        if key not in _SCALAR_KEYS and arr.dtype.kind == "f" and param._data.dtype.kind == "f":
            arr = arr.astype(param._data.dtype, copy=True)
        else:
            arr = arr.copy()
        return _wrap(arr)
    if isinstance(value, np.ndarray):
        return load_value(param, key, _wrap(value))
    if key == "step" and isinstance(value, (int, float)):
        return _wrap(np.array(value, dtype=np.float32))
    if isinstance(value, dict):
        return {k: load_value(param, k, v) for k, v in value.items()}
    return copy.deepcopy(value)
