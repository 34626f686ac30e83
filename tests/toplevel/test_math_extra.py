"""matrix_exp, renorm, cholesky_solve/inverse, nuclear/frobenius norm, gradient, histogram, frexp,
unravel_index, *_scatter, the *_copy forms and unsafe_split/chunk, against torch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import gradcheck, gradgradcheck
from tests.both import assert_same
from tests.toplevel._grads import check

R = np.random.default_rng(1)


def f64(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("scale", [0.1, 1.0, 6.0])
def test_matrix_exp(scale):
    check(lambda t, a: t.matrix_exp(a), f64(3, 3) * scale, tol=1e-9)
    check(lambda t, a: t.matrix_exp(a), (f64(2, 4, 4) * scale).astype(np.float32), tol=1e-4)
    check(lambda t, a: a.matrix_exp(), f64(2, 2), tol=1e-9)


def test_matrix_exp_errors():
    assert_same(lambda t: t.matrix_exp(t.ones(2, 3)), error=RuntimeError)
    assert_same(lambda t: t.matrix_exp(t.zeros(0, 0)))


def test_matrix_exp_twice_differentiable():
    a = ember.tensor(f64(3, 3) * 0.5, requires_grad=True)
    assert gradgradcheck(ember.matrix_exp, (a,))


@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 0.5), (3, 0, 100.0), (2, -1, 2.0)])
def test_renorm(p, dim, maxnorm):
    check(lambda t, x: t.renorm(x, p, dim, maxnorm), f64(3, 4) * 2, tol=1e-9)
    check(lambda t, x: t.renorm(x, p, dim, maxnorm), f64(2, 3, 2) * 2, tol=1e-9)
    check(lambda t, x: x.renorm(p, dim, maxnorm), f64(3, 4) * 2, tol=1e-9)

    data = f64(3, 4)

    def inplace(t):
        x = t.tensor(data)
        assert x.renorm_(p, dim, maxnorm) is x
        return x
    assert_same(inplace)


def test_renorm_errors():
    assert_same(lambda t: t.renorm(t.ones(3), 2, 0, 1.0), error=RuntimeError)
    assert_same(lambda t: t.renorm(t.ones(2, 3), -1, 0, 1.0), error=RuntimeError)
    assert_same(lambda t: t.renorm(t.ones(2, 3), 2, 0, -1.0), error=RuntimeError)


def _spd(n, batch=()):
    a = f64(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    L = np.linalg.cholesky(_spd(3))
    F = L.T.copy() if upper else L
    check(lambda t, b, f: t.cholesky_solve(b, f, upper), f64(3, 2), F, tol=1e-9)
    check(lambda t, f: t.cholesky_inverse(f, upper), F, tol=1e-9)
    Lb = np.linalg.cholesky(_spd(3, (2,)))
    Fb = np.swapaxes(Lb, -1, -2).copy() if upper else Lb
    check(lambda t, b, f: t.cholesky_solve(b, f, upper), f64(2, 3, 1), Fb, tol=1e-9)


def test_nuclear_and_frobenius_norms_warn_and_match():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda t, a: t.nuclear_norm(a), f64(3, 4), tol=1e-9)
        check(lambda t, a: t.nuclear_norm(a, True), f64(3, 4), tol=1e-9)
        check(lambda t, a: t.nuclear_norm(a, (0, 2)), f64(3, 2, 4), tol=1e-9)
        check(lambda t, a: t.frobenius_norm(a, (0, 1)), f64(3, 4), tol=1e-9)
        check(lambda t, a: t.frobenius_norm(a, 1, True), f64(3, 4), tol=1e-9)
    with pytest.warns(UserWarning, match="deprecated"):
        ember.frobenius_norm(ember.ones(2, 2), (0, 1))


@pytest.mark.parametrize("kwargs", [{}, dict(spacing=2.0), dict(edge_order=2), dict(dim=1), dict(dim=(0, 1)),
                                    dict(spacing=[2.0, 3.0]), dict(spacing=0.5, dim=0, edge_order=2)])
def test_gradient_uniform(kwargs):
    check(lambda t, x: t.gradient(x, **kwargs), f64(4, 5), tol=1e-9)
    check(lambda t, x: t.gradient(x, **kwargs), f64(4, 5).astype(np.float32), tol=1e-5)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_coordinates(edge_order):
    coords = np.array([0.0, 1.0, 3.0, 4.0, 7.0])
    check(lambda t, x, c: t.gradient(x, spacing=(c,), edge_order=edge_order), f64(5), coords, tol=1e-9)
    c0, c1 = np.array([0.0, 0.5, 2.0, 2.5]), np.array([0.0, 1.0, 1.5, 3.0, 4.5])
    check(lambda t, x, a, b: t.gradient(x, spacing=[a, b], edge_order=edge_order), f64(4, 5), c0, c1, tol=1e-9)


def test_gradient_errors():
    assert_same(lambda t: t.gradient(t.ones(1)), error=RuntimeError)
    assert_same(lambda t: t.gradient(t.ones(2), edge_order=2), error=RuntimeError)
    assert_same(lambda t: t.gradient(t.ones(3, 3), spacing=[1.0, 2.0, 3.0]), error=RuntimeError)


@pytest.mark.parametrize("kwargs", [dict(bins=4, range=(0.0, 3.0)), dict(bins=3), dict(bins=5, density=True),
                                    dict(bins=3, weight="w"), dict(bins=3, weight="w", density=True),
                                    dict(bins="edges")])
def test_histogram(kwargs):
    x = (f64(50) * 2).astype(np.float32)
    w = np.abs(f64(50)).astype(np.float32)

    def run(t):
        kw = dict(kwargs)
        if kw.get("weight") == "w":
            kw["weight"] = t.tensor(w)
        if kw.get("bins") == "edges":
            kw["bins"] = t.tensor([-3.0, -1.0, 0.0, 0.5, 4.0])
        out = t.histogram(t.tensor(x), **kw)
        assert out.hist is out[0] and out.bin_edges is out[1]
        return tuple(out)
    assert_same(run, tol=1e-5)


def test_histogram_repr_names_its_fields():
    r = repr(ember.histogram(ember.tensor([1.0, 2.0, 1.0]), bins=2))
    assert "histogram(" in r and "hist=" in r and "bin_edges=" in r


def test_frexp():
    data = [8.0, 0.3, -1.5, 0.0, 1e-30, 3e30]

    def run(t):
        m, e = t.frexp(t.tensor(data))
        m2, e2 = t.tensor(data, dtype=t.float64).frexp()
        return m, e, m2, e2
    assert_same(run)
    assert_same(lambda t: t.frexp(t.tensor([1, 2])), error=RuntimeError)


@pytest.mark.parametrize("indices,shape", [([4, 1], (2, 3)), (5, (2, 3)), ([6], (2, 3)), ([-1], (2, 3)),
                                           ([[0, 23], [7, 11]], (2, 3, 4)), ([3], 5), ([0], ())])
def test_unravel_index(indices, shape):
    assert_same(lambda t: t.unravel_index(t.tensor(indices), shape))


def test_unravel_index_needs_integers():
    assert_same(lambda t: t.unravel_index(t.tensor([1.0]), (2, 3)), error=TypeError)


def test_scatter_family_values_and_gradients():
    check(lambda t, x, s: t.slice_scatter(x, s, 0, 1, 3), f64(4, 3), f64(2, 3), tol=1e-12)
    check(lambda t, x, s: t.slice_scatter(x, s, 1, 0, None, 2), f64(4, 5), f64(4, 3), tol=1e-12)
    check(lambda t, x, s: t.slice_scatter(x, s), f64(2, 2), f64(2, 2), tol=1e-12)
    check(lambda t, x, s: t.select_scatter(x, s, 0, 1), f64(4, 3), f64(3), tol=1e-12)
    check(lambda t, x, s: t.select_scatter(x, s, -1, -2), f64(2, 4, 3), f64(2, 4), tol=1e-12)
    check(lambda t, x, s: t.diagonal_scatter(x, s), f64(3, 3), f64(3), tol=1e-12)
    check(lambda t, x, s: t.diagonal_scatter(x, s, 1), f64(3, 4), f64(3), tol=1e-12)
    check(lambda t, x, s: t.diagonal_scatter(x, s, -1, 1, 2), f64(2, 3, 3), f64(2, 2), tol=1e-12)


def test_scatter_family_errors():
    assert_same(lambda t: t.slice_scatter(t.zeros(4), t.ones(3), 0, 0, 2), error=RuntimeError)
    assert_same(lambda t: t.select_scatter(t.zeros(2, 2), t.ones(3), 0, 0), error=RuntimeError)
    assert_same(lambda t: t.select_scatter(t.zeros(2, 2), t.ones(2), 0, 5), error=IndexError)


def test_scatter_family_twice_differentiable():
    x = ember.tensor(f64(3, 3), requires_grad=True)
    s = ember.tensor(f64(3), requires_grad=True)
    assert gradcheck(lambda a, b: ember.diagonal_scatter(a, b) ** 2, (x, s))
    assert gradgradcheck(lambda a, b: ember.diagonal_scatter(a, b) ** 2, (x, s))
    assert gradgradcheck(lambda a, b: ember.slice_scatter(a, b.reshape(3, 1), 1, 1, 2) ** 2, (x, s))


COPIES = [
    ("permute_copy", lambda t, x: t.permute_copy(x, (2, 0, 1))),
    ("view_copy", lambda t, x: t.view_copy(x, (6, 4))),
    ("t_copy", lambda t, x: t.t_copy(x[0])),
    ("transpose_copy", lambda t, x: t.transpose_copy(x, 0, 2)),
    ("squeeze_copy", lambda t, x: t.squeeze_copy(x[:1])),
    ("squeeze_copy dim", lambda t, x: t.squeeze_copy(x[:1], 0)),
    ("unsqueeze_copy", lambda t, x: t.unsqueeze_copy(x, 1)),
    ("expand_copy", lambda t, x: t.expand_copy(x[:1], (3, 3, 4))),
    ("diagonal_copy", lambda t, x: t.diagonal_copy(x, 0, 1, 2)),
    ("select_copy", lambda t, x: t.select_copy(x, 1, 2)),
    ("slice_copy", lambda t, x: t.slice_copy(x, 2, 1, 4, 2)),
    ("split_copy", lambda t, x: t.split_copy(x, 2, 2)),
    ("split_with_sizes_copy", lambda t, x: t.split_with_sizes_copy(x, [1, 2], 1)),
    ("unbind_copy", lambda t, x: t.unbind_copy(x, 1)),
    ("detach_copy", lambda t, x: t.detach_copy(x)),
    ("alias_copy", lambda t, x: t.alias_copy(x)),
    ("unfold_copy", lambda t, x: t.unfold_copy(x, 2, 2, 1)),
    ("narrow_copy", lambda t, x: t.narrow_copy(x, 1, 1, 2)),
    ("narrow_copy method", lambda t, x: x.narrow_copy(2, 0, 3)),
    ("unsafe_split", lambda t, x: t.unsafe_split(x, 2, 2)),
    ("unsafe_chunk", lambda t, x: t.unsafe_chunk(x, 2, 1)),
    ("unsafe_split_with_sizes", lambda t, x: t.unsafe_split_with_sizes(x, [1, 3], 2)),
]


@pytest.mark.parametrize("name,fn", COPIES, ids=[c[0] for c in COPIES])
def test_copy_forms(name, fn):
    check(fn, f64(2, 3, 4), tol=1e-12, grad=name != "detach_copy")


def test_copy_forms_do_not_share_memory():
    x = ember.zeros(2, 3)
    y = ember.permute_copy(x, (1, 0))
    y[0, 0] = 5.0
    assert x[0, 0].item() == 0.0


def test_scatter_family_second_derivatives_match_torch():
    from tests.autograd.second_order import check_second_order
    x, s = f64(3, 4), f64(3)
    for fn in (lambda m, a, b: m.diagonal_scatter(a, b, 1), lambda m, a, b: m.select_scatter(a, b, 1, 2),
               lambda m, a, b: m.slice_scatter(a, b.reshape(3, 1), 1, 0, 1)):
        check_second_order(lambda a, b: (fn(ember, a, b) ** 3).sum(), lambda a, b: (fn(torch, a, b) ** 3).sum(), x, s)
