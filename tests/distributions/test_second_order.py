"""Second derivatives (create_graph=True) through the distributions' special functions against torch.

Regression: Cholesky and SolveTriangular saved their outputs, which unpack as constants under
create_graph, so MultivariateNormal's second derivatives were silently wrong."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as D
from ember.distributions._special import cholesky, solve_triangular

R = np.random.default_rng(11)
A = R.normal(size=(3, 3))
COV = A @ A.T + 3 * np.eye(3)
LOC, VALUE = R.normal(size=3), R.normal(size=(2, 3))


@pytest.mark.parametrize("form", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_mvn_log_prob_second_derivatives_match_torch(form):
    m = np.linalg.cholesky(COV) if form == "scale_tril" else COV
    outs = []
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        p = lib.tensor(m, dtype=lib.float64, requires_grad=True)
        x = lib.tensor(VALUE, dtype=lib.float64, requires_grad=True)
        lp = mod.MultivariateNormal(lib.tensor(LOC, dtype=lib.float64), **{form: p}).log_prob(x).sum()
        gp, gx = lib.autograd.grad(lp, (p, x), create_graph=True)
        second = lib.autograd.grad((gp ** 2).sum() + (gx ** 3).sum(), (x, p))
        outs.append([gp.detach().numpy(), gx.detach().numpy()] + [s.numpy() for s in second])
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("transpose", [False, True])
def test_solve_triangular_second_derivatives_with_a_batch_match_torch(transpose):
    Lv, Bv = np.tril(R.normal(size=(3, 3))) + 3 * np.eye(3), R.normal(size=(2, 3, 1))
    outs = []
    for lib in (ember, torch):
        L = lib.tensor(Lv, dtype=lib.float64, requires_grad=True)
        B = lib.tensor(Bv, dtype=lib.float64, requires_grad=True)
        if lib is ember:
            X = solve_triangular(L, B, upper_from_lower=transpose)
        else:
            X = torch.linalg.solve_triangular(L.mT if transpose else L, B, upper=transpose)
        g, = lib.autograd.grad((X ** 2).sum(), L, create_graph=True)
        outs.append([g.detach().numpy()] + [t.numpy() for t in lib.autograd.grad((g ** 2).sum(), (L, B))])
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-12)


def test_cholesky_and_solve_triangular_pass_gradgradcheck():
    a = ember.tensor(COV, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: cholesky((t + t.transpose(-1, -2)) / 2), (a,))
    L = ember.tensor(np.linalg.cholesky(COV), dtype=ember.float64, requires_grad=True)
    B = ember.tensor(R.normal(size=(3, 2)), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda l, b: solve_triangular(ember.tril(l), b), (L, B))
