"""softmax / log_softmax vs PyTorch: dims, stability with huge and -inf logits, dtype argument."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ember
from tests.oracle import check
from tests.ops._data import rnd
from tests.both import assert_same

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
    np.testing.assert_allclose(s.sum(-1)._data, 1.0, rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax(-1).exp()._data, s._data, rtol=1e-5, atol=1e-7)


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


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)], ids=str)
def test_implicit_dim_warns_at_the_caller(name, shape):
    # _stacklevel was accepted and ignored (no warning at all); torch warns, pointing at the caller
    x = rnd(*shape)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name} has been deprecated") as w:
        e = getattr(EF, name)(ember.tensor(x))
    assert w[0].filename == __file__
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        t = getattr(F, name)(torch.tensor(x))
    np.testing.assert_allclose(e._data, t.numpy(), rtol=1e-5, atol=1e-7)


def test_explicit_stacklevel_moves_the_warning():
    def wrapper(f, x):
        return f.softmax(x, _stacklevel=4)  # the warning points at wrapper's caller, as in torch
    with pytest.warns(UserWarning, match="Implicit dimension") as w:
        wrapper(EF, ember.randn(2, 3)), wrapper(F, torch.randn(2, 3))
    assert len(w) == 2 and w[0].filename == w[1].filename == __file__
    assert w[0].lineno == w[1].lineno != wrapper.__code__.co_firstlineno + 1


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dtype_as_third_argument(name):
    # torch.softmax(x, dim, dtype) and Tensor.softmax(dim, dtype) take a dtype third; ember took it as
    # _stacklevel and ignored it
    x = rnd(3, 4)
    e = getattr(ember, name)(ember.tensor(x), 1, ember.float64)
    t = getattr(torch, name)(torch.tensor(x), 1, torch.float64)
    assert e.dtype == ember.float64 and t.dtype == torch.float64
    np.testing.assert_allclose(e._data, t.numpy(), rtol=1e-12)
    assert getattr(ember.tensor(x), name)(1, ember.float64).dtype == ember.float64
    with pytest.raises(TypeError, match="two dtypes"):
        getattr(ember, name)(ember.tensor(x), 1, ember.float64, dtype=ember.float32)


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_softmax_of_an_empty_integer_tensor_returns_it(fn, dtype):
    assert_same(lambda t: getattr(t, fn)(t.zeros(0, 3, dtype=getattr(t, dtype)), 1))
    assert_same(lambda t: getattr(t, fn)(t.zeros(4, 0, 2, dtype=getattr(t, dtype)), 0))
    assert_same(lambda t: getattr(t, fn)(t.zeros(2, 3, dtype=getattr(t, dtype)), 1), error=RuntimeError)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("value", [float("inf"), float("nan"), 3.0])
def test_softmax_of_a_scalar_is_a_one_element_row(fn, value):
    def f(t):
        x = t.tensor(value, requires_grad=True)
        y = getattr(t, fn)(x, 0)
        y.sum().backward()
        return y, x.grad
    assert_same(f)
