"""sort, argsort, topk, median, unique, nonzero vs PyTorch: values, indices, gradients, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import distinct, rnd
from tests.both import assert_same


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


# -- mode ----------------------------------------------------------------------------------------
MODE_ROWS = np.array([[1, 2, 2, 3, 3], [5, 4, 4, 5, 1], [7, 7, 7, 7, 7], [1, 2, 3, 4, 5], [3, 1, 1, 3, 2]],
                     np.float32)


@pytest.mark.parametrize("dim, keepdim", [(1, False), (-1, True), (0, False), (0, True)])
def test_mode_values_indices_and_gradient(dim, keepdim):
    # ties between values go to the smallest; the index is the value's last occurrence (PyTorch's)
    e, t = check(lambda a: a.mode(dim, keepdim), None, MODE_ROWS)
    assert_close(e.indices, t.indices)
    assert type(e).__name__ == "mode" and e.indices.dtype == ember.int64


@pytest.mark.parametrize("x", [np.float32(2.5), np.array([3, 1, 1, 3, 2, 2]), np.array([True, False, True]),
                               np.zeros((0, 3), np.float32), np.random.default_rng(0).integers(0, 3, (4, 6, 5))],
                         ids=["0-d", "int", "bool", "empty-rows", "3-d"])
def test_mode_shapes_and_dtypes(x):
    e, t = check(lambda a: _mod(a).mode(a), None, x, grad=False)
    assert_close(e.indices, t.indices)
    if x.ndim == 3:
        e, t = check(lambda a: a.mode(dim=1, keepdim=True), None, x, grad=False)
        assert_close(e.indices, t.indices)


def test_mode_errors_as_torch():
    for m in (torch, ember):
        with pytest.raises(IndexError):
            m.mode(m.ones(2, 0), 1)
        with pytest.raises(IndexError):
            m.mode(m.ones(2, 3), dim=5)


def test_mode_gradcheck():
    # distinct values (a tie would change the mode under gradcheck's perturbation): the mode is the minimum
    x = ember.tensor(np.array([[1.0, 2.0, 2.5, 0.5], [3.0, 3.5, 1.0, 1.5]]), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: a.mode(1).values * 2.0, (x,))
    assert ember.autograd.gradgradcheck(lambda a: (a.mode(1).values ** 2), (x,))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "bool"])
def test_median_of_an_empty_integer_tensor_is_torchs_nan_cast(dtype):
    assert_same(lambda t: t.median(t.zeros(2, 0, dtype=getattr(t, dtype))))


def test_median_of_bool_raises_not_implemented():
    assert_same(lambda t: t.median(t.tensor([True, False, True])), error=NotImplementedError)
    assert_same(lambda t: t.median(t.tensor(True)), error=NotImplementedError)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_median_with_nan_is_nan_at_the_first_nan(dtype):
    rows = [[1.0, float("nan"), -3.5, float("nan")], [1.0, 2.0, 3.0, 0.0], [float("nan"), 0.0, 1.0, 2.0]]
    assert_same(lambda t: t.median(t.tensor(rows[0], dtype=getattr(t, dtype))))
    assert_same(lambda t: t.median(t.tensor(rows, dtype=getattr(t, dtype)), 1))
    assert_same(lambda t: t.median(t.tensor(rows, dtype=getattr(t, dtype)), 0, keepdim=True))


@pytest.mark.parametrize("shape", [(2,), ()])
def test_topk_of_bool_raises(shape):
    assert_same(lambda t: t.topk(t.ones(shape, dtype=t.bool), 1), error=RuntimeError)


@pytest.mark.parametrize("vals", [[[1.0, 2.0], [2.0, 3.0]], [[1.0, float("nan")], [float("nan"), 3.0]], [[5.0, 5.0, 5.0]],
                                  [[1.0, 2.0, 3.0, 4.0]], [7.0]])
def test_median_of_all_elements_shares_the_gradient_among_ties_as_torch(vals):
    # PyTorch splits the gradient evenly among the elements equal to the median (or among the NaNs)
    def f(t):
        x = t.tensor(vals, dtype=t.float64, requires_grad=True)
        g, = t.autograd.grad(x.median() ** 2, x, create_graph=True)
        g.sum().backward()
        return x.median(), g, x.grad
    assert_same(f)


@pytest.mark.parametrize("value", [3.0, 0.0, float("nan"), True, False, 0, -2])
def test_nonzero_of_a_0d_tensor_as_torch(value):
    assert_same(lambda t: (t.nonzero(t.tensor(value)), t.tensor(value).nonzero(),
                           t.nonzero(t.tensor(value), as_tuple=True), t.argwhere(t.tensor(value))))
