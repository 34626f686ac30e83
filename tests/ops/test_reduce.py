"""Reductions vs PyTorch: dim int/tuple/negative, keepdim, (values, indices), ties, empty and 0-d; gradcheck."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import distinct, pos, rnd
from tests.both import assert_same

DIMS = [None, 0, -1, 1, (0, 2), (-1, 0), (0, 1, 2)]


def _call(mod, name, x, dim, keepdim, **kw):
    fn = getattr(mod, name)
    if dim is None:
        return fn(x, **kw) if not keepdim else fn(x, dim=tuple(range(x.dim())), keepdim=True, **kw)
    return fn(x, dim=dim, keepdim=keepdim, **kw)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "var", "std", "norm"])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduce_dims(name, dim, keepdim):
    if name == "logsumexp" and dim is None:
        dim = (0, 1, 2)
    if name == "norm" and (dim == (0, 1, 2) or (dim is None and keepdim)):
        pytest.skip("torch.norm with 3 dims is a matrix norm and raises; ember gives the vector norm")
    x = distinct(2, 3, 4)
    check(lambda t: _call(ember, name, t, dim, keepdim), lambda t: _call(torch, name, t, dim, keepdim), x)
    check(lambda t: _call(ember.Tensor, name, t, dim, keepdim), lambda t: _call(torch.Tensor, name, t, dim, keepdim),
          x)


@pytest.mark.parametrize("dim", [None, 0, -1, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(dim, keepdim):
    x = pos(2, 3, 4)
    if dim is None:
        check(lambda t: t.prod(), None, x)
    else:
        check(lambda t: t.prod(dim, keepdim), None, x)
        check(lambda t: ember.prod(t, dim=dim, keepdim=keepdim), lambda t: torch.prod(t, dim=dim, keepdim=keepdim), x)


def test_prod_with_zeros():
    x = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]], np.float32)
    check(lambda t: t.prod(), None, x)
    check(lambda t: t.prod(0), None, x)
    check(lambda t: t.prod(1, keepdim=True), None, x)
    check(lambda t: t.prod(), None, np.array([2.0, 0.0, 3.0], np.float32))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_values_indices(name, dim, keepdim):
    x = distinct(3, 4)
    e, t = check(lambda a: getattr(a, name)(dim, keepdim), lambda a: getattr(a, name)(dim, keepdim), x)
    assert isinstance(e, tuple) and len(e) == 2
    assert_close(e.values, t.values)
    assert_close(e.indices, t.indices)
    assert e.indices.dtype == ember.int64 and not e.indices.requires_grad
    ev, ei = getattr(ember, name)(ember.tensor(x), dim=dim, keepdim=keepdim)
    assert_close(ei, t.indices)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_full_and_binary(name):
    check(lambda a: getattr(a, name)(), None, distinct(3, 4))
    check(lambda a, b: getattr(a, name)(b), None, rnd(3, 4), rnd(4))
    check(lambda a, b: getattr(ember, name)(a, b), lambda a, b: getattr(torch, name)(a, b), rnd(3, 4), rnd(4))


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_ties_gradient(name):
    # whole-tensor max/min and amax/amin share the gradient equally between ties (as torch)
    x = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, -1.0]], np.float32)
    if name in ("max", "min"):
        check(lambda a: getattr(a, name)(), None, x if name == "max" else -x)
    else:
        check(lambda a: getattr(a, name)(), None, x if name == "amax" else -x)
        check(lambda a: getattr(a, name)(1), None, x if name == "amax" else -x)
        check(lambda a: getattr(a, name)((0, 1), keepdim=True), None, x if name == "amax" else -x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_dim_index_and_grad(name):
    # with dim, the gradient goes only to the returned index (torch returns the first tie)
    x = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]], np.float32)
    if name == "min":
        x = -x
    check(lambda a: getattr(a, name)(1), None, x)
    check(lambda a: getattr(a, name)(0), None, np.ones((2, 3), np.float32))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin(name, dim, keepdim):
    x = distinct(3, 4)
    check(lambda a: getattr(a, name)(dim=dim, keepdim=keepdim), lambda a: getattr(a, name)(dim=dim, keepdim=keepdim),
          x, grad=False)
    ties = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]], np.float32)
    check(lambda a: getattr(a, name)(dim=dim), None, ties, grad=False)


@pytest.mark.parametrize("kw", [{}, dict(unbiased=False), dict(correction=0), dict(correction=2), dict(unbiased=True)])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction(name, kw):
    x = rnd(4, 5)
    check(lambda a: getattr(a, name)(**kw), None, x)
    check(lambda a: getattr(a, name)(dim=1, **kw), None, x)
    check(lambda a: getattr(a, name)(dim=(0,), keepdim=True, **kw), None, x)


def test_var_std_positional_unbiased():
    x = rnd(4, 5)
    check(lambda a: a.var(0, False), None, x)
    check(lambda a: a.std(1, True, True), None, x)
    check(lambda a: ember.var(a, False), lambda a: torch.var(a, False), x)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf"), float("-inf"), "fro"])
def test_norm_p(p):
    x = distinct(3, 4)
    check(lambda a: a.norm(p), None, x)
    check(lambda a: a.norm(p, dim=1), None, x)
    check(lambda a: ember.norm(a, p, dim=(0, 1), keepdim=True), lambda a: torch.norm(a, p, dim=(0, 1), keepdim=True), x)


def test_norm_zero_vector_grad():
    check(lambda a: a.norm(), None, np.zeros(3, np.float32))


def test_logsumexp_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -999.0]], np.float32)
    check(lambda a: a.logsumexp(1), None, x)
    check(lambda a: ember.logsumexp(a, dim=0), lambda a: torch.logsumexp(a, dim=0), x)
    check(lambda a: a.logsumexp(1), None, np.array([[-np.inf, -np.inf], [0.0, -np.inf]], np.float32), grad=False)


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(name):
    x = np.array([[True, False, True], [True, True, True]])
    check(lambda a: getattr(a, name)(), None, x, grad=False)
    check(lambda a: getattr(a, name)(1), None, x, grad=False)
    check(lambda a: getattr(a, name)(dim=0, keepdim=True), None, x, grad=False)
    check(lambda a: getattr(a, name)(), None, np.array([0.0, 1.5], np.float32), grad=False)
    check(lambda a: getattr(a, name)(), None, np.zeros((0,), bool), grad=False)


def test_integer_and_bool_reductions():
    i = np.arange(12).reshape(3, 4) - 5
    b = i > 0
    for f in [lambda a: a.sum(), lambda a: a.sum(1), lambda a: a.prod(), lambda a: a.max(), lambda a: a.amax(0),
              lambda a: a.min(1)]:
        check(f, None, i, grad=False)
    check(lambda a: a.sum(), None, b, grad=False)
    check(lambda a: a.sum(0), None, b, grad=False)
    check(lambda a: a.sum(dtype=ember.float32) if isinstance(a, ember.Tensor) else a.sum(dtype=torch.float32),
          None, i, grad=False)


def test_mean_int_error():
    with pytest.raises(RuntimeError, match="float"):
        ember.tensor([1, 2]).mean()
    check(lambda a: a.mean(dtype=ember.float64) if isinstance(a, ember.Tensor) else a.mean(dtype=torch.float64),
          None, np.arange(4), grad=False)


# -- 0-d and empty ---------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    lambda a: a.sum(), lambda a: a.mean(), lambda a: a.prod(), lambda a: a.max(), lambda a: a.amin(),
    lambda a: a.sum(0), lambda a: a.sum(-1, keepdim=True), lambda a: a.mean(0), lambda a: a.max(0),
    lambda a: a.min(dim=0, keepdim=True), lambda a: a.argmax(), lambda a: a.argmin(0), lambda a: a.logsumexp(0),
    lambda a: a.norm(), lambda a: a.std(correction=0), lambda a: a.var(0, correction=0), lambda a: a.amax(0),
])
def test_reduce_0d(expr):
    check(expr, None, np.float32(1.7))


@pytest.mark.parametrize("expr", [
    lambda a: a.sum(), lambda a: a.mean(), lambda a: a.prod(), lambda a: a.sum(1), lambda a: a.sum(0),
    lambda a: a.mean(1), lambda a: a.prod(1), lambda a: a.sum((0, 1), keepdim=True), lambda a: a.amax(0),
    lambda a: a.max(0), lambda a: a.norm(), lambda a: a.logsumexp(1), lambda a: a.var(1),
    lambda a: a.all(), lambda a: a.any(1),
])
def test_reduce_empty(expr):
    check(expr, None, np.zeros((3, 0), np.float32))


def test_max_of_empty_errors():
    with pytest.raises(RuntimeError, match="numel|dim"):
        ember.zeros(0).max()
    with pytest.raises(IndexError):
        ember.zeros(3, 0).max(1)


def test_dim_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.mean(-3)
    with pytest.raises(RuntimeError, match="multiple times"):
        x.sum((0, 0))


# -- gradcheck ---------------------------------------------------------------------------------
def _d(*shape):
    return ember.tensor(distinct(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda a: a.sum(), lambda a: a.sum((0, 2), keepdim=True), lambda a: a.mean(1), lambda a: a.prod(1),
    lambda a: a.max(), lambda a: a.min(1)[0], lambda a: a.amax((0, 1)), lambda a: a.amin(-1), lambda a: a.var(1),
    lambda a: a.std(), lambda a: a.logsumexp(2), lambda a: a.norm(), lambda a: a.norm(3, dim=1),
    lambda a: a.norm(1, dim=0), lambda a: a.prod(),
], ids=lambda f: "")
def test_gradcheck(fn):
    assert ember.autograd.gradcheck(fn, (_d(2, 3, 2),))


def test_gradcheck_prod_with_zero():
    x = ember.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: a.prod(1), (x,))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, dim", [((), None), ((1, 1), 0), ((3, 0), 0), ((2,), None)])
def test_argmax_argmin_of_bool_raise(fn, shape, dim):
    assert_same(lambda t: getattr(t, fn)(t.ones(shape, dtype=t.bool), dim), error=RuntimeError)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("value, dim", [([1e-30], None), ([1e-30], 0), (-1e-30, None), ([[1e-30, 2e-30]], 0),
                                        ([[1e-300, 5.0]], 0)])
def test_norm_over_one_element_is_its_absolute_value(dtype, value, dim):
    # PyTorch: no underflow of x * x when one element makes the norm (value and gradient)
    def f(t):
        x = t.tensor(value, dtype=getattr(t, dtype), requires_grad=True)
        y = t.norm(x) if dim is None else t.norm(x, dim=dim)
        y.sum().backward()
        return y, x.grad
    assert_same(f)


@pytest.mark.parametrize("call", [
    lambda t: t.ones(1, 3).var(0), lambda t: t.std(t.ones(1, 3), 0), lambda t: t.var_mean(t.ones(4), correction=4),
    lambda t: t.std_mean(t.ones(0)), lambda t: t.ones(2, 3).var(1, correction=3),
], ids=["var", "std", "var_mean", "std_mean-empty", "correction"])
def test_variance_without_degrees_of_freedom_warns_as_pytorch(call):
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            call(lib)
        assert [w.category for w in seen] == [UserWarning], lib.__name__
        assert "degrees of freedom is <= 0" in str(seen[0].message) and seen[0].filename == __file__


def test_variance_with_degrees_of_freedom_left_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.ones(2, 3).var(1, correction=2), ember.ones(2).std(), ember.ones(5).var(unbiased=False)


def _nan_grid(dtype):
    return [[1.0, float("nan"), 3.0, -2.0], [float("nan")] * 4, [0.5, 2.0, float("nan"), 4.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), ((0, 1), False), (-1, False)])
def test_nanmean_and_nansum_values_and_gradients_as_torch(dtype, dim, keepdim):
    # an all-NaN row gives nan, and its 0 / 0 sends nan gradients back (PyTorch's nansum
    # backward multiplies by the not-NaN mask, so a NaN gradient reaches every element)
    def f(t):
        x = t.tensor(_nan_grid(dtype), dtype=getattr(t, dtype), requires_grad=True)
        kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
        m, s = x.nanmean(**kw), t.nansum(x, **kw)
        (m.nansum() + 2 * s.sum()).backward()
        return m, s, x.grad
    assert_same(f)


def test_nanmean_of_integers_raises_and_nansum_of_integers_sums():
    assert_same(lambda t: t.tensor([1, 2]).nanmean())
    assert_same(lambda t: t.tensor([[1, 2], [3, 4]]).nansum(0))


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_keepdim_without_dim_is_a_type_error_but_dim_none_is_legal(name):
    assert_same(lambda t: getattr(t.ones(2, 3), name)(keepdim=True))
    assert_same(lambda t: getattr(t, name)(t.ones(2, 3), keepdim=True))
    with pytest.raises(TypeError, match="keepdim without dim"):
        getattr(ember.ones(2, 3), name)(keepdim=True)
    assert_same(lambda t: getattr(t.ones(2, 3), name)(dim=None, keepdim=True))
    assert_same(lambda t: getattr(t.ones(2, 3), name)(None, True))
    assert_same(lambda t: getattr(t.ones(2, 3), name)(axis=1, keepdims=True))
