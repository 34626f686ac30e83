"""softmax / log_softmax vs PyTorch: dims, stability with huge and -inf logits, dtype argument."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ember
from tests.oracle import check
from tests.ops._data import rnd

EF = ember.nn.functional


def _f(a):
    return EF if isinstance(a, ember.Tensor) else F


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((5,), 0),
                                       ((), 0), ((0, 3), 1), ((2, 0), 1)], ids=str)
def test_softmax_dims(name, shape, dim):
    x = rnd(*shape)
    check(lambda a: getattr(_f(a), name)(a, dim), None, x)
    check(lambda a: getattr(a, name)(dim), None, x)
    check(lambda a: getattr(_mod(a), name)(a, dim=dim), None, x)


def _mod(a):
    return ember if isinstance(a, ember.Tensor) else torch


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_stable(name):
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.5, -2000.0], [0.0, -np.inf, 1.0]], np.float32)
    check(lambda a: getattr(_f(a), name)(a, 1), None, x)
    check(lambda a: getattr(_f(a), name)(a.double(), 1), None, x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_arg(name):
    x = rnd(3, 4)
    check(lambda a: getattr(_f(a), name)(a, 1, dtype=ember.float64 if isinstance(a, ember.Tensor) else torch.float64),
          None, x)


def test_softmin():
    check(lambda a: _f(a).softmin(a, 1), None, rnd(3, 4))


def test_softmax_sums_to_one_and_matches_exp_log_softmax():
    x = ember.randn(4, 7)
    s = x.softmax(-1)
    np.testing.assert_allclose(s.sum(-1).data, 1.0, rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax(-1).exp().data, s.data, rtol=1e-5, atol=1e-7)


def test_softmax_int_input_error():
    with pytest.raises(RuntimeError, match="float"):
        ember.tensor([1, 2, 3]).softmax(0)


def test_grad_fn_names():
    x = ember.randn(2, 3, requires_grad=True)
    t = torch.randn(2, 3, requires_grad=True)
    assert x.softmax(1).grad_fn.name() == t.softmax(1).grad_fn.name()
    assert x.log_softmax(1).grad_fn.name() == t.log_softmax(1).grad_fn.name()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1])
def test_gradcheck(name, dim):
    x = ember.tensor(rnd(3, 4, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: getattr(a, name)(dim), (x,))
