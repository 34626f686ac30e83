"""cumsum and cumprod vs PyTorch: dims, zeros in cumprod, integer and 0-d inputs, empty shapes, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import distinct, pos, rnd


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(name, dim):
    check(lambda a: getattr(a, name)(dim), None, pos(3, 4))
    check(lambda a: getattr(ember, name)(a, dim=dim), lambda a: getattr(torch, name)(a, dim=dim), rnd(3, 4))


def test_cumprod_with_zeros():
    x = np.array([[1.5, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 3.0]], np.float32)
    check(lambda a: a.cumprod(1), None, x)


def test_cumulative_int_and_0d():
    check(lambda a: a.cumsum(0), None, np.arange(5), grad=False)
    check(lambda a: a.cumprod(0), None, np.arange(1, 6), grad=False)
    check(lambda a: a.cumsum(0), None, np.float32(3.0))
    check(lambda a: a.cumprod(-1), None, np.float32(3.0))


def test_cumulative_0d_and_empty():
    check(lambda a: a.cumsum(0), None, np.float32(1.7))
    check(lambda a: a.cumsum(1), None, np.zeros((3, 0), np.float32))


# -- gradcheck ---------------------------------------------------------------------------------
def _d(*shape):
    return ember.tensor(distinct(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("fn", [lambda a: a.cumsum(1), lambda a: a.cumprod(2)], ids=lambda f: "")
def test_gradcheck(fn):
    assert ember.autograd.gradcheck(fn, (_d(2, 3, 2),))


def test_gradcheck_cumprod_with_zero():
    x = ember.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: a.cumprod(1), (x,))
