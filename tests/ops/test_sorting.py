"""sort, argsort, topk, median, unique, nonzero vs PyTorch: values, indices, gradients, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import distinct, rnd


def test_sort_topk_grad():
    x = rnd(3, 5)
    e, t = check(lambda a: a.sort(1), None, x)
    check(lambda a: a.sort(0, descending=True), None, x)
    check(lambda a: a.topk(2, 1), None, x)
    check(lambda a: a.topk(2, 0, largest=False), None, x)
    check(lambda a: a.argsort(1), None, x, grad=False)


def test_median():
    check(lambda a: a.median(), None, distinct(7))
    e, t = check(lambda a: a.median(1), None, distinct(3, 4))
    assert_close(e.indices, t.indices)


@pytest.mark.parametrize("kw", [{}, dict(return_inverse=True), dict(return_counts=True),
                                dict(return_inverse=True, return_counts=True)], ids=str)
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_unique(kw, dim):
    x = np.array([[3, 1, 3], [2, 1, 2], [3, 1, 3]])
    check(lambda a: _mod(a).unique(a, dim=dim, **kw), None, x, grad=False)


def test_nonzero():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], np.float32)
    check(lambda a: a.nonzero(), None, x, grad=False)
    check(lambda a: _mod(a).nonzero(a, as_tuple=True), None, x, grad=False)


def _mod(a):
    return ember if isinstance(a, ember.Tensor) else torch


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [lambda a: a.sort(1)[0], lambda a: a.topk(2, 1)[0]], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(2, 3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
