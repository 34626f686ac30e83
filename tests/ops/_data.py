"""Random input arrays for the op tests (deterministic per call site)."""
import numpy as np
import torch

import ember
from tests.oracle import check

_R = np.random.default_rng(1234)


def rnd(*shape, dtype=np.float32, low=None, high=None):
    """Standard normal (or uniform in [low, high)) values of ``shape``."""
    if low is not None:
        return _R.uniform(low, high, shape).astype(dtype)
    return _R.standard_normal(shape).astype(dtype)


def pos(*shape, dtype=np.float32):
    """Values in [0.5, 2): safe for log, sqrt, division, pow."""
    return rnd(*shape, dtype=dtype, low=0.5, high=2.0)


def distinct(*shape, dtype=np.float32):
    """Values with no ties (a permutation of a spread), for max/min/sort tests."""
    n = int(np.prod(shape)) if shape else 1
    return (_R.permutation(n).astype(np.float64) * 0.37 - n * 0.15).reshape(shape).astype(dtype)


# Pairs of broadcastable shapes, including 0-d and empty ones.
BCAST = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((), (3,)),
    ((2, 3), ()),
    ((), ()),
    ((0, 3), (3,)),
    ((2, 0, 3), (1, 3)),
]

SHAPES = [(3, 4), (5,), (), (0,), (2, 0, 3)]


def check_binary_broadcast(binary, name, shapes):
    """``binary[name](lib)`` on broadcasting shapes, ember vs torch (b kept away from zero)."""
    sa, sb = shapes
    a = rnd(*sa)
    b = pos(*sb) * np.where(rnd(*sb) > 0, 1, -1).astype(np.float32)  # away from zero for div/mod
    check(binary[name](ember), binary[name](torch), a, b)


def check_unary(unary, name, shape):
    """The function ``name`` and the Tensor method ``name`` on ``unary[name](*shape)``, vs torch."""
    x = unary[name](*shape)
    check(getattr(ember, name), getattr(torch, name), x)
    check(lambda t: getattr(t, name)(), None, x)
