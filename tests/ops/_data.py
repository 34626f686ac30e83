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


def leaf64(*shape, positive=False):
    """A float64 tensor that requires grad, for gradcheck: ``rnd`` values (``pos`` ones if ``positive``)."""
    arr = pos(*shape, dtype=np.float64) if positive else rnd(*shape, dtype=np.float64)
    return ember.tensor(arr, requires_grad=True)


def gradcheck_unary(unary, name):
    """gradcheck of ember's ``name`` on a (2, 3) input, positive where ``unary[name]`` is ``pos``."""
    assert ember.autograd.gradcheck(getattr(ember, name), (leaf64(2, 3, positive=unary[name] is pos),))


def binary_gradcheck_inputs():
    """Inputs for gradcheck of a binary op: a (2, 3) and a (3,) float64 tensor, the second kept away
    from zero (for division)."""
    a = leaf64(2, 3)
    b = ember.tensor(pos(3, dtype=np.float64) * np.array([1, -1, 1]), requires_grad=True)
    return a, b


def check_unary(unary, name, shape):
    """The function ``name`` and the Tensor method ``name`` on ``unary[name](*shape)``, vs torch."""
    x = unary[name](*shape)
    check(getattr(ember, name), getattr(torch, name), x)
    check(lambda t: getattr(t, name)(), None, x)
