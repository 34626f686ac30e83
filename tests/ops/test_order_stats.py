"""cummax, cummin, logcumsumexp, kthvalue, nanmedian, quantile, nanquantile, msort, searchsorted, bucketize,
bincount, histc, isin, unique_consecutive, argwhere vs PyTorch: values, indices, ties, NaN, empty and
0-d inputs, integer dtypes, errors, gradients and gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.both import assert_same

NAN = float("nan")
R = np.random.default_rng(7)


def _t(lib, x, **kw):
    return lib.tensor(np.asarray(x), **kw)


def _grad_same(fn, x, tol=1e-5):
    """The vector-Jacobian product of fn at x with a random g agrees with torch's (float64)."""
    x = np.asarray(x, np.float64)
    grads = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        out = fn(lib, xt)
        g = lib.tensor(np.random.default_rng(3).standard_normal(tuple(out.shape)))
        out.backward(g)
        grads.append(xt.grad.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=tol, atol=tol)


TIES = np.array([[1., 3., 3., NAN, 2., NAN, 5.], [2., 2., 1., 2., 0., 0., 7.]], np.float32)
INTS = np.array([[2, 2, 1, 2, 5, 5], [0, -1, 0, 3, 3, -4]], np.int64)


# -- cummax / cummin / logcumsumexp -------------------------------------------------------------
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("data", [TIES, INTS, INTS.astype(np.int32), INTS > 0, R.standard_normal((3, 4, 5))],
                         ids=["ties_nan", "int64", "int32", "bool", "random"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cummax_cummin(name, data, dim):
    assert_same(lambda t: getattr(t, name)(_t(t, data), dim))
    assert_same(lambda t: getattr(_t(t, data), name)(dim=dim))


@pytest.mark.parametrize("name", ["cummax", "cummin", "logcumsumexp"])
def test_cumulative_0d_empty_and_errors(name):
    assert_same(lambda t: getattr(t, name)(t.tensor(2.5), 0))
    assert_same(lambda t: getattr(t, name)(t.tensor(2.5), -1))
    assert_same(lambda t: getattr(t, name)(t.zeros(0, 3), 0))
    assert_same(lambda t: getattr(t, name)(t.zeros(2, 0), 1))
    assert_same(lambda t: getattr(t, name)(t.zeros(2, 3), 2), error=IndexError)
    assert_same(lambda t: getattr(t, name)(t.tensor(2.5), 1), error=IndexError)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_gradient_goes_to_the_index(name):
    x = np.array([[1., 3., 3., 2., 5.], [4., 4., 1., 4., 0.]])
    _grad_same(lambda t, a: getattr(t, name)(a, 1).values, x)
    _grad_same(lambda t, a: getattr(t, name)(a, 0).values, x)
    xg = ember.tensor(R.standard_normal((3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: getattr(ember, name)(a, 1).values, (xg,))
    assert ember.autograd.gradgradcheck(lambda a: getattr(ember, name)(a, 1).values, (xg,))


def test_logcumsumexp_values():
    big = np.array([[-1000., 0., 1000., -5.], [3., 3., 3., 3.], [-np.inf, 0., -np.inf, 1.]], np.float32)
    for data in (R.standard_normal((3, 5)).astype(np.float32), big, R.standard_normal((2, 3, 4))):
        for dim in (0, 1, -1):
            assert_same(lambda t: t.logcumsumexp(_t(t, data), dim))
    assert_same(lambda t: _t(t, [1., NAN, 2.]).logcumsumexp(0))
    assert_same(lambda t: t.logcumsumexp(_t(t, [1, 2]), 0), error=NotImplementedError)


def test_logcumsumexp_gradient():
    x = np.array([[-30., 0., 30., -5.], [1., 2., 3., 4.]])
    _grad_same(lambda t, a: t.logcumsumexp(a, 1), x)
    _grad_same(lambda t, a: t.logcumsumexp(a, 0), x)
    for row in ([-np.inf, -np.inf, 0.], [np.inf, 1., 2.], [1., NAN, 2.], [-np.inf, 1., -np.inf]):
        _grad_same(lambda t, a: t.logcumsumexp(a, 0), row)          # NaN where torch has NaN
    xg = ember.tensor(R.standard_normal((2, 3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: ember.logcumsumexp(a, -1), (xg,))
    assert ember.autograd.gradgradcheck(lambda a: ember.logcumsumexp(a, 1), (xg,))


# -- kthvalue / nanmedian / msort ---------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 4, 5])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (-1, True), (0, False)])
def test_kthvalue(k, dim, keepdim):
    data = np.array([[3., 1., 3., 1., 2.], [NAN, 0., 1., NAN, -1.], [5., 5., 5., 5., 5.], [2., 1., 0., -1., 9.],
                     [1., 1., 2., 2., 1.]], np.float32)
    assert_same(lambda t: t.kthvalue(_t(t, data), k, dim, keepdim))
    ints = np.nan_to_num(data, nan=4.0).astype(np.int64)
    assert_same(lambda t: _t(t, ints).kthvalue(k, dim, keepdim))


def test_kthvalue_random_ties_and_edges():
    data = R.integers(0, 4, (6, 9)).astype(np.float64)
    for k in range(1, 10):
        assert_same(lambda t: t.kthvalue(_t(t, data), k))
    assert_same(lambda t: t.kthvalue(t.tensor(2.0), 1))
    assert_same(lambda t: t.kthvalue(t.tensor(2.0), 2), error=RuntimeError)
    assert_same(lambda t: t.kthvalue(t.tensor([True, False]), 1), error=NotImplementedError)
    assert_same(lambda t: t.kthvalue(t.tensor([1., 2.]), 3), error=RuntimeError)
    assert_same(lambda t: t.kthvalue(t.tensor([1., 2.]), 0), error=RuntimeError)
    assert_same(lambda t: t.kthvalue(t.zeros(2, 0), 1), error=IndexError)
    _grad_same(lambda t, a: t.kthvalue(a, 2, 1).values, np.array([[3., 1., 2.], [1., 1., 0.]]))


@pytest.mark.parametrize("data", [
    np.array([[NAN, NAN, NAN], [1., NAN, 2.], [3., 1., 2.], [NAN, 4., NAN]], np.float32),
    np.array([[1., 2., 2., 1.], [NAN, 1., 1., 0.]], np.float64),
    np.array([[3, 1, 2, 2], [0, 0, 5, 5]], np.int64)], ids=["nan", "ties", "int"])
def test_nanmedian(data):
    assert_same(lambda t: t.nanmedian(_t(t, data)))
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            assert_same(lambda t: _t(t, data).nanmedian(dim, keepdim))


def test_nanmedian_edges_and_gradient():
    assert_same(lambda t: t.nanmedian(t.zeros(0)))
    assert_same(lambda t: t.nanmedian(t.tensor(NAN)))
    assert_same(lambda t: t.nanmedian(t.tensor(1.5), 0))
    assert_same(lambda t: t.nanmedian(t.zeros(2, 0), 1), error=IndexError)
    assert_same(lambda t: t.nanmedian(t.zeros(2, 0), 0))
    x = np.array([[1., NAN, 3., 2.], [NAN, NAN, 5., 4.], [NAN, NAN, NAN, NAN]])
    _grad_same(lambda t, a: t.nanmedian(a, 1).values, x)
    _grad_same(lambda t, a: t.nanmedian(a), x)
    # a full reduction shares the gradient evenly among the elements equal to the result (NaN: all NaN)
    _grad_same(lambda t, a: t.nanmedian(a), np.array([[1., 2., NAN], [2., 3., 2.]]))
    _grad_same(lambda t, a: t.nanmedian(a), np.full((2, 3), NAN))
    for n in range(1, 40):                      # an all-NaN row's index: PyTorch's selection order
        assert_same(lambda t: t.nanmedian(t.full((2, n), NAN), 1))
    xg = ember.tensor(R.permutation(12).reshape(3, 4).astype(np.float64), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: ember.nanmedian(a) * ember.nanmedian(a, 1).values, (xg,))


def test_msort():
    for data in (TIES, INTS, R.standard_normal((4, 3))):
        assert_same(lambda t: t.msort(_t(t, data)))
        assert_same(lambda t: _t(t, data).msort())
    assert_same(lambda t: t.msort(t.tensor(3.0)))
    _grad_same(lambda t, a: t.msort(a), R.standard_normal((4, 3)))


# -- quantile / nanquantile ---------------------------------------------------------------------
QDATA = np.array([[1., 5., 2., 8., 3.], [4., NAN, 1., 2., NAN], [NAN, NAN, NAN, NAN, NAN], [7., 7., 1., 1., 4.]],
                 np.float32)


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("q", [0.0, 0.3, 0.5, 0.625, 1.0, "tensor"])
def test_quantile(name, interpolation, q):
    def run(t, data, *args, **kw):
        qq = t.tensor([0.1, 0.5, 0.875, 0.25], dtype=t.float32 if data.dtype == np.float32 else t.float64) \
            if q == "tensor" else q
        return getattr(t, name)(_t(t, data), qq, *args, interpolation=interpolation, **kw)
    for data in (QDATA, R.standard_normal((3, 6))):
        assert_same(lambda t: run(t, data))
        assert_same(lambda t: run(t, data, keepdim=True))
        for dim in (0, 1, -1):
            assert_same(lambda t: run(t, data, dim))
            assert_same(lambda t: run(t, data, dim, True))
    assert_same(lambda t: run(t, np.float32(2.5)))
    assert_same(lambda t: run(t, np.float32(2.5), 0, True))


def test_quantile_rounding_of_nearest_and_3d():
    data = np.arange(10, dtype=np.float64).reshape(2, 5) ** 2          # ranks x.5 round half to even
    for q in (0.125, 0.375, 0.625, 0.875):
        assert_same(lambda t: t.quantile(_t(t, data), q, 1, interpolation="nearest"))
    x3 = R.standard_normal((2, 3, 4)).astype(np.float32)
    assert_same(lambda t: t.quantile(_t(t, x3), t.tensor([0.2, 0.9]), 1, keepdim=True))
    assert_same(lambda t: _t(t, x3).nanquantile(t.tensor(0.7), dim=-1))


def test_quantile_empty_and_errors():
    assert_same(lambda t: t.quantile(t.zeros(0), 0.5), error=RuntimeError)
    assert_same(lambda t: t.nanquantile(t.zeros(0), t.tensor([0.5, 0.2])), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.zeros(2, 0), 0.5, 0), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.zeros(0, 3), 0.5, 1), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.tensor([1, 2]), 0.5), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.tensor([1., 2.]), 1.5), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.tensor([1., 2.]), t.tensor([0.5], dtype=t.float64)), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.tensor([1., 2.]), t.tensor([[0.5]])), error=RuntimeError)
    assert_same(lambda t: t.quantile(t.tensor([1., 2.]), 0.5, interpolation="cubic"), error=RuntimeError)
    assert_same(lambda t: t.nanquantile(t.tensor([1., 2.]), -0.1), error=RuntimeError)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_gradient(interpolation):
    x = R.standard_normal((3, 5))
    xn = x.copy()
    xn[1, 2] = NAN
    for name in ("quantile", "nanquantile"):
        _grad_same(lambda t, a: getattr(t, name)(a, t.tensor([0.3, 0.6], dtype=t.float64), 1,
                                                  interpolation=interpolation), xn)
        _grad_same(lambda t, a: getattr(t, name)(a, 0.4, interpolation=interpolation), x)
        _grad_same(lambda t, a: getattr(t, name)(a, 0.7, 1, interpolation=interpolation), QDATA)   # all-NaN row
    xg = ember.tensor(x, requires_grad=True)
    q = ember.tensor([0.3, 0.8], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda a: ember.quantile(a, q, 1, interpolation=interpolation), (xg,))
    assert ember.autograd.gradgradcheck(lambda a: ember.nanquantile(a, 0.45, 0, interpolation=interpolation), (xg,))


# -- searchsorted / bucketize -------------------------------------------------------------------
SEQ = np.array([1., 2., 2., 2., 5., 7.], np.float32)
VALS = np.array([[0., 2., 2.5], [7., 8., NAN]], np.float32)


@pytest.mark.parametrize("kw", [{}, dict(right=True), dict(side="right"), dict(side="left"), dict(out_int32=True),
                                dict(right=True, side="right")], ids=str)
def test_searchsorted(kw):
    assert_same(lambda t: t.searchsorted(_t(t, SEQ), _t(t, VALS), **kw))
    assert_same(lambda t: t.searchsorted(_t(t, SEQ), 2.0, **kw))
    assert_same(lambda t: t.searchsorted(_t(t, SEQ.astype(np.int64)), _t(t, [[0, 2, 3], [7, 8, -1]]), **kw))
    nd = np.sort(R.integers(0, 5, (2, 3, 6)), axis=-1)
    nd_vals = R.integers(-1, 7, (2, 3, 4))
    assert_same(lambda t: t.searchsorted(_t(t, nd), _t(t, nd_vals), **kw))
    nd_unsorted = R.integers(0, 6, (2, 3, 7))
    nd_sorter = np.argsort(nd_unsorted, axis=-1, kind="stable")
    assert_same(lambda t: t.searchsorted(_t(t, nd_unsorted), _t(t, nd_vals), sorter=_t(t, nd_sorter), **kw))
    nan_seq = np.array([1., 2., NAN], np.float32)
    assert_same(lambda t: t.searchsorted(_t(t, nan_seq), _t(t, [NAN, 2., 0., 3.]), **kw))
    perm = np.array([3, 0, 5, 1, 4, 2])
    unsorted = np.empty_like(SEQ)
    unsorted[perm] = SEQ
    sorter = np.argsort(unsorted, kind="stable")
    assert_same(lambda t: t.searchsorted(_t(t, unsorted), _t(t, VALS), sorter=_t(t, sorter), **kw))
    assert_same(lambda t: t.searchsorted(t.zeros(0), _t(t, VALS), **kw))
    assert_same(lambda t: t.searchsorted(_t(t, SEQ), t.zeros(0), **kw))


def test_searchsorted_errors():
    assert_same(lambda t: t.searchsorted(t.tensor([1., 2.]), t.tensor([1.]), side="middle"), error=RuntimeError)
    assert_same(lambda t: t.searchsorted(t.tensor([1., 2.]), t.tensor([1.]), right=True, side="left"),
                error=RuntimeError)
    assert_same(lambda t: t.searchsorted(t.zeros(2, 3), t.zeros(3, 3)), error=RuntimeError)
    assert_same(lambda t: t.searchsorted(t.zeros(2, 3), 1.0), error=RuntimeError)
    assert_same(lambda t: t.searchsorted(t.tensor(1.), t.tensor([1.])), error=RuntimeError)
    assert_same(lambda t: t.searchsorted(t.tensor([1., 2.]), t.tensor([1.]), sorter=t.tensor([0])),
                error=RuntimeError)


@pytest.mark.parametrize("kw", [{}, dict(right=True), dict(out_int32=True)], ids=str)
def test_bucketize(kw):
    b = np.array([1, 3, 5, 7])
    assert_same(lambda t: t.bucketize(_t(t, [[1, 5, 9], [0, 3, 7]]), _t(t, b), **kw))
    assert_same(lambda t: t.bucketize(_t(t, [1., NAN, 4.5]), _t(t, b.astype(np.float32)), **kw))
    assert_same(lambda t: t.bucketize(t.tensor(4), _t(t, b), **kw))
    assert_same(lambda t: t.bucketize(_t(t, [1, 2]), t.zeros(2, 2), **kw), error=RuntimeError)


# -- bincount / histc / isin / unique_consecutive / argwhere ------------------------------------
def test_bincount():
    x = np.array([0, 2, 2, 5, 1, 2])
    assert_same(lambda t: t.bincount(_t(t, x)))
    assert_same(lambda t: _t(t, x).bincount(minlength=9))
    assert_same(lambda t: t.bincount(_t(t, x.astype(np.int32)), minlength=2))
    assert_same(lambda t: t.bincount(_t(t, x.astype(np.uint8))))
    for w in (np.linspace(-1, 2, 6).astype(np.float32), np.linspace(-1, 2, 6), np.arange(6)):
        assert_same(lambda t: t.bincount(_t(t, x), weights=_t(t, w)))
    assert_same(lambda t: t.bincount(t.zeros(0, dtype=t.int64)))
    assert_same(lambda t: t.bincount(t.zeros(0, dtype=t.int64), minlength=3))
    assert_same(lambda t: t.bincount(t.tensor([1, -1])), error=RuntimeError)
    assert_same(lambda t: t.bincount(t.tensor([True, False])), error=NotImplementedError)
    assert_same(lambda t: t.bincount(t.tensor([[1, 1]])), error=RuntimeError)
    assert_same(lambda t: t.bincount(t.tensor([1., 2.])), error=RuntimeError)
    assert_same(lambda t: t.bincount(t.tensor([1, 2]), minlength=-1), error=RuntimeError)
    assert_same(lambda t: t.bincount(t.tensor([1, 2]), weights=t.tensor([1., 2., 3.])), error=RuntimeError)


def test_histc():
    x = R.standard_normal((4, 50)).astype(np.float32)
    assert_same(lambda t: t.histc(_t(t, x)))
    assert_same(lambda t: _t(t, x).histc(bins=7, min=-1, max=1))
    assert_same(lambda t: t.histc(_t(t, x.astype(np.float64)), 10, -3, 2))
    assert_same(lambda t: t.histc(_t(t, [1., 2., 1., 3., 0.]), bins=4, min=0, max=3))      # max in the last bin
    assert_same(lambda t: t.histc(_t(t, [2., 2., 2.]), bins=4))                          # min == max: +-1
    assert_same(lambda t: t.histc(_t(t, [1., NAN, 2.]), bins=3, min=0, max=3))
    assert_same(lambda t: t.histc(t.zeros(0), bins=5))
    assert_same(lambda t: t.histc(t.tensor(0.5), bins=5, min=0, max=1))
    assert_same(lambda t: t.histc(t.tensor([1, 2]), bins=5), error=RuntimeError)
    assert_same(lambda t: t.histc(t.tensor([1., 2.]), bins=5, min=3, max=1), error=RuntimeError)
    assert_same(lambda t: t.histc(t.tensor([1., 2.]), bins=0), error=RuntimeError)


@pytest.mark.parametrize("kw", [{}, dict(invert=True), dict(assume_unique=True)], ids=str)
def test_isin(kw):
    e = np.array([[1, 2, 3], [4, 2, 0]])
    assert_same(lambda t: t.isin(_t(t, e), _t(t, [2, 4, 9]), **kw))
    assert_same(lambda t: t.isin(_t(t, e), 2, **kw))
    assert_same(lambda t: t.isin(3, _t(t, e), **kw))
    assert_same(lambda t: t.isin(_t(t, [1., NAN, 2.5]), _t(t, [NAN, 2.5]), **kw))
    assert_same(lambda t: t.isin(_t(t, e), t.zeros(0, dtype=t.int64), **kw))
    assert_same(lambda t: t.isin(t.tensor(2), _t(t, [2, 3]), **kw))


@pytest.mark.parametrize("kw", [{}, dict(return_inverse=True), dict(return_counts=True),
                                dict(return_inverse=True, return_counts=True)], ids=str)
def test_unique_consecutive(kw):
    x = np.array([[1, 1, 2], [2, 2, 1], [2, 2, 1], [3, 3, 3]])
    for dim in (None, 0, 1, -1):
        assert_same(lambda t: t.unique_consecutive(_t(t, x), dim=dim, **kw))
    assert_same(lambda t: _t(t, [1., NAN, NAN, 1., 1.]).unique_consecutive(**kw))
    assert_same(lambda t: t.unique_consecutive(t.zeros(0), **kw))
    assert_same(lambda t: t.unique_consecutive(t.tensor(4.), **kw))
    assert_same(lambda t: t.unique_consecutive(t.zeros(0, 3), dim=0, **kw))
    assert_same(lambda t: t.unique_consecutive(t.zeros(0, 3), dim=1, **kw), error=RuntimeError)


def test_argwhere():
    for data in ([[0, 1], [2, 0]], [0., NAN, -1.], np.zeros((2, 0)), [[True, False]]):
        assert_same(lambda t: t.argwhere(_t(t, data)))
        assert_same(lambda t: _t(t, data).argwhere())
    assert_same(lambda t: t.argwhere(t.tensor(5)))
    assert_same(lambda t: t.argwhere(t.tensor(0)))


def test_methods_exist_where_torch_has_them():
    names = ["cummax", "cummin", "logcumsumexp", "kthvalue", "nanmedian", "quantile", "nanquantile", "msort",
             "searchsorted", "bucketize", "bincount", "histc", "isin", "unique_consecutive", "argwhere"]
    for name in names:
        assert hasattr(ember, name), name
        assert hasattr(ember.Tensor, name) == hasattr(torch.Tensor, name), name
    assert type(ember.cummax(ember.tensor([1.]), 0)).__name__ == "cummax"
    assert ember.kthvalue(ember.tensor([1.]), 1)._fields == ("values", "indices")
