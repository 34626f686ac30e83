"""index_reduce (prod, mean, amax, amin; include_self both ways) against PyTorch: values, dtypes, errors,
first and second derivatives, the in-place form."""
import numpy as np
import pytest

import ember
from tests.autograd.second_order import check_second_order
from tests.both import assert_same

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce")
REDUCES = ["prod", "mean", "amax", "amin"]


def _x(t):
    return t.tensor([[0.5, -1.0, 2.0], [3.0, 0.0, -2.5], [1.5, 4.0, -0.5], [2.0, 2.0, 1.0]])


def _src(t):
    return t.tensor([[2.0, 3.0, -1.0], [4.0, -5.0, 0.0], [6.0, 7.0, 2.0]])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
def test_values(reduce, include_self):
    assert_same(lambda t: _x(t).index_reduce(0, t.tensor([0, 3, 0]), _src(t), reduce, include_self=include_self))
    assert_same(lambda t: t.index_reduce(_x(t).T, -1, t.tensor([1, 1, 2]), _src(t).T, reduce,
                                         include_self=include_self))
    assert_same(lambda t: _x(t).long().index_reduce(1, t.tensor([2, 2, 0]), (_src(t) * 3).long(), reduce,
                                                    include_self=include_self))


def test_zero_dim_and_in_place():
    assert_same(lambda t: t.tensor(2.0).index_reduce(0, t.tensor([0]), t.tensor(3.0), "prod"))
    assert_same(lambda t: _x(t).index_reduce_(1, t.tensor([0, 0, 1]), _src(t), "amax"))
    x = ember.ones(2, 2)
    assert x.index_reduce_(0, ember.tensor([1]), ember.full((1, 2), 3.0), "mean") is x
    assert x.tolist() == [[1.0, 1.0], [2.0, 2.0]]


@pytest.mark.parametrize("fn,error", [
    (lambda t: _x(t).index_reduce(0, t.tensor([0, 3]), _src(t), "prod"), RuntimeError),
    (lambda t: _x(t).index_reduce(0, t.tensor([0, 3, 1]), _src(t), "sum"), RuntimeError),
    (lambda t: _x(t).index_reduce(0, t.tensor([0., 3, 1]), _src(t), "prod"), RuntimeError),
    (lambda t: _x(t).index_reduce(0, t.tensor([[0, 3, 1]]), _src(t), "prod"), IndexError),
    (lambda t: _x(t).index_reduce(0, t.tensor([0, 3, 1]), _src(t).double(), "prod"), RuntimeError),
    (lambda t: _x(t).index_reduce(0, t.tensor([0, 3, 1]), _src(t)[:, :2], "prod"), RuntimeError),
    (lambda t: _x(t).index_reduce(0, t.tensor([0, 4, 1]), _src(t), "prod"), IndexError),
    (lambda t: _x(t).index_reduce(0, t.tensor([0, -1, 1]), _src(t), "amin"), IndexError),
])
def test_errors(fn, error):
    assert_same(fn, error=error)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
def test_first_and_second_derivatives(reduce, include_self):
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -2.5], [1.5, 4.0, -0.5]])
    s = np.array([[2.0, 3.0, -1.5], [4.0, -5.0, 0.0]])
    fn = (lambda a, b, i: a.index_reduce(0, i, b, reduce, include_self=include_self) ** 2)
    check_second_order(fn, fn, x, s, np.array([2, 2]), gradgrad=reduce in ("prod", "mean"))


def test_grad_fn_name():
    y = ember.ones(2, requires_grad=True).index_reduce(0, ember.tensor([0]), ember.ones(1), "prod")
    assert type(y.grad_fn).__name__ == "IndexReduceBackward0"
