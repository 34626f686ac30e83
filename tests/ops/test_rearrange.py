"""flip, roll, repeat, tile, clone (and repeat_interleave, which lives in ops/index.py) vs PyTorch: forward,
gradients, 0-d and empty shapes, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import rnd

X = rnd(2, 3, 4)

SINGLE = [
    lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 1, 2), lambda a: a.tile((2,)), lambda a: a.tile((2, 1, 1, 1)),
    lambda a: a.flip(0), lambda a: a.flip((0, 2)), lambda a: a.flip(-1), lambda a: a.roll(1, 2), lambda a: a.roll(2),
    lambda a: a.roll((1, -1), (0, 2)), lambda a: a.clone(),
]


@pytest.mark.parametrize("fn", SINGLE, ids=[str(i) for i in range(len(SINGLE))])
def test_single_input(fn):
    check(fn, None, X)


def test_repeat_interleave():
    check(lambda a: a.repeat_interleave(2), None, X)
    check(lambda a: a.repeat_interleave(3, dim=1), None, X)
    check(lambda a: a.repeat_interleave(_mod(a).tensor([1, 0, 2]), dim=-2), None, X)
    check(lambda a: _mod(a).repeat_interleave(a, 2, 0), None, rnd(3))
    check(lambda a: a.repeat_interleave(2), None, np.arange(3), grad=False)


def _mod(a):
    return ember if isinstance(a, ember.Tensor) else torch


@pytest.mark.parametrize("fn", [lambda a: a.flip(0), lambda a: a.repeat(2, 1)])
def test_empty(fn):
    check(fn, None, np.zeros((0, 5), np.float32))


@pytest.mark.parametrize("fn", [lambda a: a.repeat(2), lambda a: a.flip(()), lambda a: a.clone()])
def test_zero_dim(fn):
    check(fn, None, np.float32(2.5))


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a: a.repeat(2, 1, 1), lambda a: a.flip(1), lambda a: a.roll(1, 1), lambda a: a.tile((1, 2, 1)),
], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(2, 3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
