"""ember/ops/shape_extra.py vs PyTorch: diff, rot90, diagflat, splits, atleast_3d, column/row/dstack, broadcasting,
the scaled products (baddbmm, addbmm, addmv, addr), chain_matmul, matrix_power, block_diag, cartesian_prod,
combinations, tril/triu_indices, vander, trapezoid, dtype rules; values, dtypes, gradients, errors, gradcheck."""
import functools
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.both import assert_same
from tests.ops._data import rnd as _rnd

rnd = functools.lru_cache(maxsize=None)(_rnd)   # one array per shape: the lambdas run once per library

A = rnd(3, 4, 5)
M = rnd(3, 4)
V = rnd(5)


def T(t, a):
    return t.tensor(a)


def grads_same(fn, *arrays, tol=1e-5):
    """fn(lib, *leaves) on torch and ember: same value, same gradients of sum(out * w)."""
    results = []
    for lib in (torch, ember):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *leaves)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        total = 0
        for i, o in enumerate(outs):
            w = lib.tensor(np.linspace(-1, 2, o.numel()).reshape(tuple(o.shape)).astype(np.float32))
            total = total + (o * w).sum()
        total.backward()
        results.append(([o.detach().numpy() for o in outs],
                        [np.zeros(a.shape) if x.grad is None else x.grad.numpy() for a, x in zip(arrays, leaves)]))
    (tv, tg), (ev, eg) = results
    for a, b in zip(tv, ev):
        assert a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True), (a, b)
    for a, b in zip(tg, eg):
        assert a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol), (a, b)


# -- diff, rot90, diagflat ----------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda t: t.diff(T(t, A)), lambda t: t.diff(T(t, A), n=2, dim=0), lambda t: t.diff(T(t, A), dim=-2),
    lambda t: t.diff(T(t, A), n=0), lambda t: t.diff(T(t, A), n=9), lambda t: T(t, V).diff(),
    lambda t: t.diff(T(t, M), prepend=T(t, rnd(3, 2)), append=T(t, rnd(3, 1))),
    lambda t: t.diff(T(t, M), dim=0, append=T(t, rnd(1, 4).astype(np.float64))),
    lambda t: t.diff(t.tensor([1, 5, 2, 8])), lambda t: t.diff(t.tensor([True, False, False, True])),
    lambda t: t.diff(t.zeros(0, 3)), lambda t: t.diff(t.zeros(2, 0)),
])
def test_diff(fn):
    assert_same(fn)


@pytest.mark.parametrize("fn", [
    lambda t: t.diff(t.tensor(1.0)), lambda t: t.diff(T(t, V), n=-1),
    lambda t: t.diff(T(t, M), prepend=T(t, V)), lambda t: t.diff(T(t, M), dim=2),
])
def test_diff_errors(fn):
    assert_same(fn)


@pytest.mark.parametrize("k", [-5, -1, 0, 1, 2, 3, 4, 7])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (-1, -2), (2, 1)])
def test_rot90(k, dims):
    assert_same(lambda t: t.rot90(T(t, A), k, dims))
    assert_same(lambda t: T(t, A).rot90(k, dims))


@pytest.mark.parametrize("fn", [
    lambda t: t.rot90(T(t, V)), lambda t: t.rot90(T(t, A), 1, [0]), lambda t: t.rot90(T(t, A), 1, [1, 1]),
    lambda t: t.rot90(T(t, A), 1, [0, -3]), lambda t: t.rot90(T(t, A), 1, [0, 1, 2]),
])
def test_rot90_errors(fn):
    assert_same(fn)


@pytest.mark.parametrize("fn", [
    lambda t: t.diagflat(T(t, M)), lambda t: t.diagflat(T(t, V), 2), lambda t: T(t, V).diagflat(-1),
    lambda t: t.diagflat(t.tensor(3)), lambda t: t.diagflat(t.zeros(0)),
])
def test_diagflat(fn):
    assert_same(fn)


# -- splits -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda t: t.split_with_sizes(T(t, A), [1, 2]), lambda t: T(t, A).split_with_sizes([2, 0, 2], 1),
    lambda t: t.split_with_sizes(T(t, A), [5], dim=-1), lambda t: t.split_with_sizes(T(t, A), [1, 1]),
    lambda t: t.split_with_sizes(T(t, A), [4, -1]),
    lambda t: t.hsplit(T(t, A), 2), lambda t: t.hsplit(T(t, A), [1, 3]), lambda t: t.hsplit(T(t, V), 5),
    lambda t: t.hsplit(T(t, A), 3), lambda t: t.hsplit(t.tensor(1.0), 1), lambda t: T(t, M).hsplit(2),
    lambda t: t.vsplit(T(t, A), 3), lambda t: t.vsplit(T(t, A), [2]), lambda t: t.vsplit(T(t, V), 1),
    lambda t: t.vsplit(T(t, A), 2), lambda t: T(t, M).vsplit([1, 1]),
    lambda t: t.dsplit(T(t, A), 5), lambda t: t.dsplit(T(t, A), [1, 4]), lambda t: t.dsplit(T(t, M), 1),
    lambda t: t.dsplit(T(t, A), 2), lambda t: T(t, A).dsplit(1),
])
def test_splits(fn):
    assert_same(fn)


# -- stacking -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda t: t.atleast_3d(t.tensor(1.0)), lambda t: t.atleast_3d(T(t, V)), lambda t: t.atleast_3d(T(t, M)),
    lambda t: t.atleast_3d(T(t, A)), lambda t: t.atleast_3d(T(t, V), T(t, M)),
    lambda t: t.atleast_3d([T(t, V), t.tensor(2)]), lambda t: t.atleast_3d(t.zeros(0)),
    lambda t: t.column_stack([T(t, rnd(3)), T(t, M), t.tensor([1, 2, 3])]),
    lambda t: t.column_stack([t.tensor(1.0), t.tensor(2.0)]), lambda t: t.column_stack([]),
    lambda t: t.column_stack([T(t, V), T(t, rnd(4))]),
    lambda t: t.row_stack([T(t, rnd(4)), T(t, M)]), lambda t: t.row_stack([]),
    lambda t: t.dstack([T(t, M), T(t, M), T(t, rnd(3, 4, 2))]), lambda t: t.dstack([T(t, V), T(t, V)]),
    lambda t: t.dstack([t.tensor(1), t.tensor(2.0)]), lambda t: t.dstack([]),
])
def test_stacking(fn):
    assert_same(fn)


@pytest.mark.parametrize("fn", [
    lambda t: t.block_diag(T(t, M), T(t, V), t.tensor(2.0)), lambda t: t.block_diag(),
    lambda t: t.block_diag(t.tensor([[1, 2]]), t.tensor([[1.5]], dtype=t.float64)),
    lambda t: t.block_diag(t.ones(2, 0), t.ones(0, 3)), lambda t: t.block_diag(T(t, A)),
    lambda t: t.cartesian_prod(T(t, V)), lambda t: t.cartesian_prod(t.tensor([1, 2]), t.tensor([3, 4, 5])),
    lambda t: t.cartesian_prod(T(t, V), T(t, rnd(2)), T(t, rnd(3))), lambda t: t.cartesian_prod(T(t, M)),
    lambda t: t.cartesian_prod(T(t, V), t.zeros(0)),
    lambda t: t.combinations(T(t, V)), lambda t: t.combinations(T(t, V), 3),
    lambda t: t.combinations(T(t, V), 2, with_replacement=True), lambda t: t.combinations(T(t, V), 0),
    lambda t: t.combinations(t.arange(2), 3), lambda t: t.combinations(t.arange(3), 1),
    lambda t: t.combinations(T(t, M)), lambda t: t.combinations(t.zeros(0)),
])
def test_join_families(fn):
    assert_same(fn)


# -- broadcasting -------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda t: t.broadcast_shapes((2, 1), (3,)), lambda t: t.broadcast_shapes(2, (3, 1)),
    lambda t: t.broadcast_shapes(), lambda t: t.broadcast_shapes((0, 1), (1, 4)),
    lambda t: t.broadcast_shapes((2,), (3,)), lambda t: t.broadcast_shapes((-1,), (3,)),
    lambda t: t.broadcast_tensors(T(t, rnd(3, 1)), T(t, rnd(4)), t.tensor(1.0)),
    lambda t: t.broadcast_tensors(T(t, M)), lambda t: t.broadcast_tensors(T(t, M), T(t, V)),
    lambda t: t.broadcast_tensors(t.zeros(0, 1), t.ones(3)),
])
def test_broadcasting(fn):
    assert_same(fn)


def test_broadcast_shapes_type():
    assert type(ember.broadcast_shapes((2, 1), (3,))) is ember.Size


# -- scaled products ----------------------------------------------------------------------------
B1, B2 = rnd(2, 3, 4), rnd(2, 4, 5)


@pytest.mark.parametrize("kw", [{}, {"beta": 0.5, "alpha": 2}, {"beta": 0}, {"alpha": 0}, {"beta": 0, "alpha": -1.5}])
@pytest.mark.parametrize("fn", [
    lambda t, kw: t.baddbmm(T(t, rnd(2, 3, 5)), T(t, B1), T(t, B2), **kw),
    lambda t, kw: t.baddbmm(T(t, rnd(5)), T(t, B1), T(t, B2), **kw),
    lambda t, kw: T(t, rnd(3, 1)).baddbmm(T(t, B1), T(t, B2), **kw),
    lambda t, kw: t.addbmm(T(t, rnd(3, 5)), T(t, B1), T(t, B2), **kw),
    lambda t, kw: T(t, rnd(1)).addbmm(T(t, B1), T(t, B2), **kw),
    lambda t, kw: t.addmv(T(t, rnd(3)), T(t, M), T(t, rnd(4)), **kw),
    lambda t, kw: T(t, rnd(1)).addmv(T(t, M), T(t, rnd(4)), **kw),
    lambda t, kw: t.addr(T(t, M), T(t, rnd(3)), T(t, rnd(4)), **kw),
    lambda t, kw: T(t, rnd(4)).addr(T(t, rnd(3)), T(t, rnd(4)), **kw),
    lambda t, kw: t.addr(t.ones(2, 2, dtype=t.int64), t.tensor([1, 2]), t.tensor([3, 4]),
                         **{k: int(v) for k, v in kw.items()}),
])
def test_scaled_products(fn, kw):
    assert_same(lambda t: fn(t, kw), tol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda t: t.baddbmm(t.full((2, 3, 5), float("nan")), T(t, B1), T(t, B2), beta=0),
    lambda t: t.addmv(t.tensor([float("inf"), float("nan"), 1.0]), T(t, M), T(t, rnd(4)), beta=0),
    lambda t: t.addr(t.full((3, 4), float("nan")), T(t, rnd(3)), T(t, rnd(4)), beta=0, alpha=2),
    lambda t: t.addbmm(t.full((3, 5), float("inf")), T(t, B1), T(t, B2), beta=0),
])
def test_beta_zero_ignores_nan(fn):
    out = assert_same(fn, tol=1e-5)
    assert np.isfinite(out[0][2]).all()


@pytest.mark.parametrize("fn", [
    lambda t: t.baddbmm(T(t, rnd(2, 3, 4)), T(t, B1), T(t, B2)),
    lambda t: t.baddbmm(T(t, rnd(2, 3, 5)), T(t, M), T(t, B2)),
    lambda t: t.addbmm(T(t, rnd(3, 5)), T(t, B1), T(t, rnd(3, 4, 5))),
    lambda t: t.addmv(T(t, rnd(4)), T(t, M), T(t, rnd(4))),
    lambda t: t.addmv(T(t, rnd(3)), T(t, M), T(t, rnd(5))),
    lambda t: t.addr(T(t, M), T(t, M), T(t, rnd(4))),
    lambda t: t.addr(T(t, rnd(4, 3)), T(t, rnd(3)), T(t, rnd(4))),
])
def test_scaled_product_errors(fn):
    assert_same(fn)


@pytest.mark.parametrize("fn", [
    lambda t, a, b, c: t.baddbmm(a, b, c, beta=0.5, alpha=2.0),
    lambda t, a, b, c: t.baddbmm(a, b, c, beta=0),
])
def test_baddbmm_grad(fn):
    grads_same(fn, rnd(2, 3, 5), B1, B2)


def test_small_product_grads():
    grads_same(lambda t, a, b, c: t.addbmm(a, b, c, beta=-1, alpha=0.5), rnd(3, 5), B1, B2)
    grads_same(lambda t, a, m, v: t.addmv(a, m, v, alpha=3), rnd(3), M, rnd(4))
    grads_same(lambda t, a, u, v: t.addr(a, u, v, beta=2), M, rnd(3), rnd(4))


def test_chain_matmul():
    mats = (rnd(2, 3), rnd(3, 4), rnd(4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(lambda t: t.chain_matmul(*[T(t, m) for m in mats]), tol=1e-5)
        assert_same(lambda t: t.chain_matmul(T(t, M)))
        assert_same(lambda t: t.chain_matmul())
        assert_same(lambda t: t.chain_matmul(T(t, M), T(t, V)))
        grads_same(lambda t, *m: t.chain_matmul(*m), *mats)
    with pytest.warns(UserWarning, match="multi_dot"):
        ember.chain_matmul(ember.ones(2, 2))


@pytest.mark.parametrize("n", [-2, -1, 0, 1, 2, 5])
def test_matrix_power(n):
    a = rnd(2, 3, 3) + 3 * np.eye(3, dtype=np.float32)
    assert_same(lambda t: t.matrix_power(T(t, a), n), tol=1e-4)
    assert_same(lambda t: T(t, a).matrix_power(n), tol=1e-4)


def test_matrix_power_errors():
    assert_same(lambda t: t.matrix_power(T(t, M), 2))


# -- index grids, polynomials -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("args", [(3, 3), (3, 4, 1), (4, 3, -1), (3, 3, 5), (3, 3, -7), (0, 0), (1, 0), (5, 2, 2)])
def test_tri_indices(name, args):
    assert_same(lambda t: getattr(t, name)(*args))
    assert_same(lambda t: getattr(t, name)(*args, dtype=t.int32))


@pytest.mark.parametrize("fn", [
    lambda t: t.vander(T(t, V)), lambda t: t.vander(T(t, V), N=3), lambda t: t.vander(T(t, V), 4, True),
    lambda t: t.vander(t.tensor([1, 2, 3])), lambda t: t.vander(t.tensor([1, 2], dtype=t.int32), 3),
    lambda t: t.vander(T(t, V), N=0), lambda t: t.vander(T(t, V), N=1), lambda t: t.vander(t.zeros(0)),
    lambda t: t.vander(t.tensor([0.0, 2.0, -1.0]), increasing=True), lambda t: t.vander(T(t, M)),
])
def test_vander(fn):
    assert_same(fn, tol=1e-5)


def test_vander_grad_through_zero():
    # torch 2.13's own vander backward fails (an in-place cumprod); compare with d(x^k)/dx = k x^(k-1)
    x = ember.tensor([0.0, 1.5, -2.0], requires_grad=True)
    ember.vander(x, 4).sum().backward()
    v = np.array([0.0, 1.5, -2.0])
    assert np.allclose(x.grad.numpy(), 1 + 2 * v + 3 * v ** 2)


# -- trapezoid ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("fn", [
    lambda t, f: f(T(t, A)), lambda t, f: f(T(t, A), dim=0), lambda t, f: f(T(t, A), dx=0.5, dim=1),
    lambda t, f: f(T(t, A), T(t, np.sort(rnd(5)))), lambda t, f: f(T(t, A), T(t, rnd(3, 4, 5)), dim=-1),
    lambda t, f: f(T(t, M), T(t, np.sort(rnd(3))), dim=0), lambda t, f: f(t.tensor([1, 4, 9])),
    lambda t, f: f(t.zeros(0)), lambda t, f: f(t.zeros(3, 0)), lambda t, f: f(T(t, V), 2.0),
    lambda t, f: f(t.tensor(1.0)), lambda t, f: f(T(t, A), T(t, rnd(4))),
])
def test_trapezoid(name, fn):
    assert_same(lambda t: fn(t, getattr(t, name)), tol=1e-5)


def test_trapezoid_grad():
    grads_same(lambda t, y, x: t.trapezoid(y, x, dim=0), M, np.sort(rnd(3)))
    grads_same(lambda t, y: t.cumulative_trapezoid(y, dx=0.3), A)


# -- dtype rules --------------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]  # bfloat16: float16


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_and_can_cast(a, b):
    assert_same(lambda t: str(t.promote_types(getattr(t, a), getattr(t, b))).split(".")[-1])
    assert_same(lambda t: t.can_cast(getattr(t, a), getattr(t, b)))


@pytest.mark.parametrize("fn", [
    lambda t: t.result_type(t.tensor([1, 2]), 1.0), lambda t: t.result_type(t.tensor([1, 2]), t.tensor(1.0)),
    lambda t: t.result_type(t.tensor([1], dtype=t.uint8), -1), lambda t: t.result_type(2, 3.0),
    lambda t: t.result_type(t.tensor([True]), True), lambda t: t.result_type(t.tensor(1.0, dtype=t.float64),
                                                                           t.ones(2)),
    lambda t: t.result_type(t.tensor([1], dtype=t.int8), t.tensor([1], dtype=t.uint8)),
])
def test_result_type(fn):
    assert_same(lambda t: str(fn(t)).split(".")[-1])


# -- gradcheck (float64) and double gradients ----------------------------------------------------
def _leaf(*shape):
    return ember.tensor(rnd(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("fn,shapes", [
    (lambda a: ember.diff(a, 2, 0), [(4, 3)]),
    (lambda a, p: ember.diff(a, 1, 1, prepend=p), [(2, 3), (2, 2)]),
    (lambda a: ember.rot90(a, 3, (1, 0)), [(2, 3)]),
    (lambda a: ember.diagflat(a, 1), [(2, 2)]),
    (lambda a: ember.hsplit(a, [1])[1], [(2, 3)]),
    (lambda a, b: ember.column_stack([a, b]), [(3,), (3, 2)]),
    (lambda a, b: ember.dstack([a, b]), [(2, 3), (2, 3)]),
    (lambda a, b: ember.block_diag(a, b), [(2, 1), (3,)]),
    (lambda a, b: ember.cartesian_prod(a, b), [(2,), (3,)]),
    (lambda a: ember.combinations(a, 2, True), [(3,)]),
    (lambda a, b: ember.broadcast_tensors(a, b)[0], [(2, 1), (3,)]),
    (lambda a, b, c: ember.baddbmm(a, b, c, beta=0.5, alpha=2), [(2, 2, 3), (2, 2, 4), (2, 4, 3)]),
    (lambda a, b, c: ember.addbmm(a, b, c, beta=2), [(2, 3), (2, 2, 4), (2, 4, 3)]),
    (lambda a, m, v: ember.addmv(a, m, v, alpha=-1), [(2,), (2, 3), (3,)]),
    (lambda a, u, v: ember.addr(a, u, v, beta=0), [(2, 3), (2,), (3,)]),
    (lambda a: ember.vander(a, 4), [(3,)]),
    (lambda y, x: ember.trapezoid(y, x), [(2, 4), (4,)]),
    (lambda y: ember.cumulative_trapezoid(y, dx=0.5, dim=0), [(3, 2)]),
    (lambda a: ember.matrix_power(a, -2), None),
])
def test_gradcheck(fn, shapes):
    if shapes is None:
        inputs = (ember.tensor(rnd(3, 3, dtype=np.float64) + 3 * np.eye(3), requires_grad=True),)
    else:
        inputs = tuple(_leaf(*s) for s in shapes)
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(fn, inputs)


# -- covariance (ember/ops/covariance.py) ---------------------------------------------------------
FW, AW = np.array([1, 2, 0, 3, 1]), np.array([0.5, 1.0, 2.0, 0.25, 1.5], np.float32)


@pytest.mark.parametrize("fn", [
    lambda t: t.cov(T(t, M)), lambda t: t.cov(T(t, V)), lambda t: T(t, M).cov(correction=0),
    lambda t: t.cov(T(t, M), correction=2), lambda t: t.cov(t.tensor([[1, 2, 4], [3, 1, 0]])),
    lambda t: t.cov(T(t, rnd(3, 5)), fweights=t.tensor(FW)), lambda t: t.cov(T(t, rnd(3, 5)), aweights=T(t, AW)),
    lambda t: t.cov(T(t, rnd(3, 5)), fweights=t.tensor(FW), aweights=T(t, AW), correction=0),
    lambda t: t.cov(T(t, rnd(3, 5)), fweights=t.tensor(FW), aweights=T(t, AW)),
    lambda t: t.cov(T(t, rnd(1, 5))), lambda t: t.cov(T(t, rnd(2, 5)).double()),
    lambda t: t.cov(T(t, A)), lambda t: t.cov(T(t, rnd(3, 5)), fweights=T(t, AW)),
    lambda t: t.cov(T(t, rnd(3, 5)), aweights=t.tensor(FW)), lambda t: t.cov(T(t, rnd(3, 5)), fweights=t.tensor(-FW)),
    lambda t: t.cov(T(t, rnd(3, 5)), fweights=t.tensor([1, 2])),
    lambda t: t.corrcoef(T(t, M)), lambda t: T(t, rnd(3, 5)).corrcoef(), lambda t: t.corrcoef(T(t, V)),
    lambda t: t.corrcoef(t.tensor([[1, 1, 1], [1, 2, 3.0]])), lambda t: t.corrcoef(t.tensor([[1, 2, 4], [3, 1, 0]])),
])
def test_cov_corrcoef(fn):
    assert_same(fn, tol=1e-5)


def test_cov_no_degrees_of_freedom_warns():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        out = ember.cov(ember.tensor([1.0, 2.0, 4.0]), correction=3)
    assert np.isinf(out.item())


def test_cov_grads():
    grads_same(lambda t, x: t.cov(x), rnd(3, 5))
    grads_same(lambda t, x, w: t.cov(x, aweights=w), rnd(3, 5), AW)
    grads_same(lambda t, x: t.corrcoef(x), rnd(3, 5))


# -- index writes (ember/ops/index_extra.py) -------------------------------------------------------
I2 = np.array([2, 0])


@pytest.mark.parametrize("fn", [
    lambda t: t.index_fill(T(t, M), 1, t.tensor([0, -1]), 5.0), lambda t: T(t, A).index_fill(0, t.tensor(1), -1),
    lambda t: T(t, M).index_fill(-1, t.tensor([1, 1]), t.tensor(2.0)), lambda t: T(t, M).index_fill(0, t.tensor([], dtype=t.long), 1.0),
    lambda t: t.tensor([1, 2, 3]).index_fill(0, t.tensor([0]), 7), lambda t: t.tensor(2.0).index_fill(0, t.tensor([0]), 1.0),
    lambda t: T(t, M).index_fill(1, t.tensor([0], dtype=t.int32), 1.0), lambda t: T(t, M).index_fill(1, t.tensor([4]), 1.0),
    lambda t: T(t, M).index_fill(1, t.tensor([0]), t.tensor([1.0])), lambda t: T(t, M).index_fill(2, t.tensor([0]), 1.0),
    lambda t: t.index_copy(T(t, M), 1, t.tensor(I2), T(t, rnd(3, 2))), lambda t: T(t, A).index_copy(0, t.tensor([1]), T(t, rnd(1, 4, 5))),
    lambda t: T(t, A).index_copy(-1, t.tensor([4, 0, 1]), T(t, rnd(3, 4, 3))),
    lambda t: T(t, M).index_copy(1, t.tensor(I2), T(t, rnd(3, 3))),
    lambda t: T(t, M).index_copy(1, t.tensor(I2), T(t, rnd(3, 2)).double()),
    lambda t: T(t, M).index_copy(1, t.tensor([5, 0]), T(t, rnd(3, 2))),
    lambda t: T(t, M).index_copy(1, t.tensor(I2, dtype=t.int32), T(t, rnd(3, 2))),
    lambda t: T(t, M).index_copy(1, t.tensor(I2), T(t, rnd(2, 2))),
    lambda t: t.masked_scatter(T(t, M), t.tensor([True, False, True, True]), T(t, rnd(12))),
    lambda t: T(t, M).masked_scatter(T(t, M) > 0, T(t, rnd(4, 4))), lambda t: T(t, M).masked_scatter(T(t, M) > 9, t.zeros(0)),
    lambda t: T(t, rnd(4)).masked_scatter(t.ones(2, 4, dtype=t.bool), T(t, rnd(10))),
    lambda t: T(t, M).masked_scatter(T(t, M) > -9, T(t, rnd(5))), lambda t: T(t, M).masked_scatter(T(t, M) > 0, T(t, rnd(12)).double()),
    lambda t: T(t, M).masked_scatter(t.tensor([1, 0, 1, 0]), T(t, rnd(12))),
    lambda t: T(t, M).masked_scatter(t.tensor([True, False]), T(t, rnd(12))),
])
def test_index_writes(fn):
    assert_same(fn)


SRC = rnd(3, 4)
IDX = np.array([[0, 1, 0, 3], [2, 2, 0, 0], [1, 0, 0, 3]])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("fn", [
    lambda t, r, s: t.scatter_reduce(T(t, M), 1, t.tensor(IDX), T(t, SRC), r, include_self=s),
    lambda t, r, s: T(t, rnd(4, 4)).scatter_reduce(0, t.tensor(IDX), T(t, SRC), r, include_self=s),
    lambda t, r, s: T(t, rnd(5)).scatter_reduce(0, t.tensor([0, 4, 0, 0]), T(t, rnd(6)), r, include_self=s),
    lambda t, r, s: t.tensor([3, 1, 4, 1]).scatter_reduce(0, t.tensor([0, 0, 3]), t.tensor([5, 9, 2]), r,
                                                          include_self=s),
    lambda t, r, s: t.tensor([0.0, 2.0, 0.0]).scatter_reduce(0, t.tensor([0, 0, 1, 2]), t.tensor([0.0, 3.0, 0.0, 1.0]),
                                                             r, include_self=s),
])
def test_scatter_reduce(fn, reduce, include_self):
    assert_same(lambda t: fn(t, reduce, include_self), tol=1e-5)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_grads(reduce, include_self):
    ties = np.array([1.0, 2.0, 2.0, 0.5], np.float32)     # ties for amax/amin split the gradient
    grads_same(lambda t, a, s: t.scatter_reduce(a, 1, t.tensor(IDX), s, reduce, include_self=include_self), M, SRC)
    grads_same(lambda t, a, s: a.scatter_reduce(0, t.tensor([0, 0, 1, 0]), s, reduce, include_self=include_self),
               np.array([2.0, 2.0, 1.0], np.float32), ties)
    grads_same(lambda t, a, s: a.scatter_reduce(0, t.tensor([0, 0, 1, 1, 2]), s, reduce, include_self=include_self),
               np.array([0.0, 2.0, 1.5], np.float32), np.array([3.0, 0.0, 0.0, 0.0, 2.0], np.float32))


@pytest.mark.parametrize("fn", [
    lambda t: T(t, M).scatter_reduce(1, t.tensor(IDX), T(t, SRC), "max"),
    lambda t: T(t, M).scatter_reduce(1, t.tensor(IDX), T(t, SRC).double(), "sum"),
    lambda t: T(t, M).scatter_reduce(1, t.tensor(IDX).int(), T(t, SRC), "sum"),
    lambda t: T(t, M).scatter_reduce(1, t.tensor(IDX) + 4, T(t, SRC), "sum"),
    lambda t: T(t, M).scatter_reduce(1, t.tensor(IDX), T(t, rnd(3, 2)), "sum"),
])
def test_scatter_reduce_errors(fn):
    assert_same(fn)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: ember.cov(x), [(3, 4)]),
    (lambda x: ember.corrcoef(x), [(2, 5)]),
    (lambda x, v: ember.index_fill(x, 1, ember.tensor([0, 2]), v), [(2, 3), ()]),
    (lambda x, s: ember.index_copy(x, 0, ember.tensor([2, 0]), s), [(3, 2), (2, 2)]),
    (lambda x, s: ember.masked_scatter(x, ember.tensor([True, False, True]), s), [(2, 3), (5,)]),
    (lambda x, s: ember.scatter_reduce(x, 0, ember.tensor([0, 2, 0]), s, "sum", include_self=False), [(3,), (4,)]),
    (lambda x, s: ember.scatter_reduce(x, 0, ember.tensor([0, 2, 0]), s, "mean"), [(3,), (4,)]),
    (lambda x, s: ember.scatter_reduce(x, 0, ember.tensor([0, 2, 0]), s, "amax"), [(3,), (4,)]),
])
def test_gradcheck_index_and_cov(fn, shapes):     # (3,) and (4,): distinct values, no ties for amax
    inputs = tuple(_leaf(*s) for s in shapes)
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(fn, inputs)


def test_gradcheck_scatter_reduce_prod():
    inputs = (_leaf(3), _leaf(3))
    assert ember.autograd.gradcheck(lambda x, s: ember.scatter_reduce(x, 0, ember.tensor([0, 2, 0]), s, "prod"), inputs)


@pytest.mark.parametrize("fn", [
    lambda t: T(t, M).index_fill_(1, t.tensor([0, 2]), 3.0), lambda t: T(t, M).index_copy_(0, t.tensor([1]), T(t, rnd(1, 4))),
    lambda t: T(t, M).masked_scatter_(T(t, M) > 0, T(t, rnd(12))),
    lambda t: T(t, M).scatter_reduce_(1, t.tensor(IDX), T(t, SRC), "amin", include_self=False),
    lambda t: T(t, rnd(2, 3, 5)).baddbmm_(T(t, B1), T(t, B2), beta=0.5), lambda t: T(t, rnd(3, 5)).addbmm_(T(t, B1), T(t, B2)),
    lambda t: T(t, rnd(3)).addmv_(T(t, M), T(t, rnd(4)), alpha=2), lambda t: T(t, M).addr_(T(t, rnd(3)), T(t, rnd(4))),
    lambda t: T(t, rnd(4)).masked_scatter_(t.ones(2, 4, dtype=t.bool), T(t, rnd(10))),
])
def test_inplace_forms(fn):
    assert_same(fn, tol=1e-5)


def test_inplace_form_is_in_place():
    x = ember.zeros(2, 3)
    y = x.index_fill_(1, ember.tensor([1]), 2.0)
    assert y is x and x[:, 1].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("fn", [
    lambda t: t.broadcast_tensors([T(t, M), T(t, V)]), lambda t: t.diff(T(t, V), prepend=1.0),
    lambda t: t.rot90(t.ones(2, 3, dtype=t.bool)), lambda t: t.atleast_3d(), lambda t: t.cartesian_prod(),
    lambda t: t.vander(T(t, V), -1), lambda t: t.tril_indices(-1, 2), lambda t: t.triu_indices(2, 2, dtype=t.float32),
    lambda t: t.chain_matmul([T(t, M)]), lambda t: t.index_copy(t.tensor(1.0), 0, t.tensor([0]), t.tensor(5.0)),
    lambda t: t.cov(t.ones(2, 3), fweights=t.tensor([1, 2, 3]), aweights=t.tensor([1.0, 0, 0])),
])
def test_edge_cases(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(fn)


@pytest.mark.parametrize("fn", [
    lambda t: t.baddbmm(t.zeros(0, 3, 5), t.zeros(0, 3, 4), t.zeros(0, 4, 5)),
    lambda t: t.addbmm(T(t, rnd(3, 5)), t.zeros(0, 3, 4), t.zeros(0, 4, 5), beta=2),
    lambda t: t.addmv(t.zeros(0), t.zeros(0, 4), T(t, rnd(4))), lambda t: t.addr(t.zeros(3, 0), T(t, rnd(3)), t.zeros(0)),
    lambda t: t.addmv(T(t, rnd(3)), t.zeros(3, 0), t.zeros(0), beta=0),
    lambda t: t.scatter_reduce(T(t, M), 1, t.zeros(3, 0, dtype=t.long), t.zeros(3, 0), "amax"),
    lambda t: t.scatter_reduce(t.zeros(0, 4), 0, t.zeros(0, 4, dtype=t.long), t.zeros(0, 4), "mean"),
    lambda t: t.index_copy(t.zeros(0, 3), 1, t.tensor([1]), t.zeros(0, 1)),
    lambda t: t.dstack([t.zeros(0, 2), t.zeros(0, 2)]), lambda t: t.column_stack([t.zeros(0), t.zeros(0, 2)]),
    lambda t: t.rot90(t.zeros(0, 3), 1), lambda t: t.block_diag(t.zeros(0), t.zeros(2, 0)),
    lambda t: t.cov(t.zeros(2, 0)), lambda t: t.trapezoid(t.zeros(2, 1)), lambda t: t.cumulative_trapezoid(t.zeros(2, 1)),
])
def test_empty_shapes(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(fn)


@pytest.mark.parametrize("fn,arrays", [
    (lambda t, a: t.diff(a, 2, -2), (A,)), (lambda t, a, p: t.diff(a, 1, 0, prepend=p), (M, rnd(2, 4))),
    (lambda t, a: t.rot90(a, -1, (2, 0)), (A,)), (lambda t, a: t.diagflat(a, -2), (M,)),
    (lambda t, a: t.vsplit(a, [1, 2]), (A,)), (lambda t, a: t.split_with_sizes(a, [3, 2], -1), (A,)),
    (lambda t, a, b: t.column_stack([a, b]), (rnd(3), M)), (lambda t, a, b: t.row_stack([a, b]), (rnd(4), M)),
    (lambda t, a, b: t.dstack([a, b]), (M, M)), (lambda t, a: t.atleast_3d(a), (V,)),
    (lambda t, a, b: t.block_diag(a, b), (M, V)), (lambda t, a, b: t.cartesian_prod(a, b), (V, rnd(2))),
    (lambda t, a: t.combinations(a, 3), (V,)), (lambda t, a, b: t.broadcast_tensors(a, b), (rnd(3, 1), rnd(4))),
    (lambda t, a, v: a.index_fill(1, t.tensor([0, 3]), v), (M, np.array(2.5, np.float32))),
    (lambda t, a, s: a.index_copy(1, t.tensor([3, 1]), s), (M, rnd(3, 2))),
    (lambda t, a, s: a.masked_scatter(t.tensor([True, False, False, True]), s), (M, rnd(9))),
    (lambda t, a, s: a.masked_scatter(t.ones(2, 4, dtype=t.bool), s), (rnd(4), rnd(10))),
])
def test_grads_vs_torch(fn, arrays):
    grads_same(fn, *arrays)


def test_scatter_reduce_prod_first_order_unchanged_by_create_graph():
    # second derivatives vs torch: tests/ops/second_order/test_scatter_reduce_prod.py
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ember.scatter_reduce(x, 0, ember.tensor([0, 2, 0]), ember.tensor([2.0, 3.0, 4.0]), "prod")
    assert ember.autograd.grad(y.sum(), x, create_graph=True)[0].tolist() == [8.0, 1.0, 3.0]
    assert ember.autograd.grad(y.sum(), x)[0].tolist() == [8.0, 1.0, 3.0]
