"""rsample of Gamma, Beta and Dirichlet: the implicit-reparameterisation derivatives against torch's
(``torch._standard_gamma_grad``, ``torch._dirichlet_grad`` and the Dirichlet backward) on the same
draws, and the statistics of the gradients against closed forms."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.distributions.dirichlet import _Dirichlet_backward

import ember
import ember.distributions as D
from ember.distributions._gamma_grad import dirichlet_grad, standard_gamma_grad

R = np.random.default_rng(0)
N = 200_000


def _gamma_inputs(dtype, n=20_000):
    """alpha log-uniform over [0.01, 1000] and x drawn from Gamma(alpha): every branch is hit."""
    a = np.exp(R.uniform(np.log(0.01), np.log(1000), n))
    x = np.maximum(R.gamma(a), np.finfo(dtype).tiny)
    return a.astype(dtype), x.astype(dtype)


def test_standard_gamma_grad_covers_every_branch():
    a, x = _gamma_inputs(np.float64)
    small_x, large_a = x < 0.8, a > 8
    band = large_a & ~small_x & (0.9 * a <= x) & (x <= 1.1 * a)
    assert small_x.sum() > 100 and (large_a & ~small_x & ~band).sum() > 100 and band.sum() > 100
    assert (~small_x & ~large_a).sum() > 100    # the rational approximation


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 1e-6)])
def test_standard_gamma_grad_matches_torch(dtype, rtol):
    a, x = _gamma_inputs(dtype)
    got = standard_gamma_grad(a, x)
    want = torch._standard_gamma_grad(torch.from_numpy(a), torch.from_numpy(x)).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_standard_gamma_grad_special_values_and_branch_edges_match_torch(dtype):
    # the branch edges are PyTorch's float32 literals (x < 0.8f even for float64 x: x = 0.8 takes the series)
    vals = [0.0, 1e-30, 1e-3, 0.5, 0.8, 0.9 * 20, 1.1 * 20, 1.0, 7.9, 8.0, 8.1, 20.0, 100.0, 1e6, np.inf, np.nan, -1.0]
    a, x = (np.array(v, dtype=dtype) for v in zip(*[(p, q) for p in vals for q in vals]))
    with np.errstate(all="ignore"):
        got = standard_gamma_grad(a, x)
    want = torch._standard_gamma_grad(torch.from_numpy(a), torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


def test_dirichlet_grad_special_values_match_torch():
    xv, av, tv = [0.0, 1e-30, 1e-3, 0.3, 0.5, 0.7, 0.999, 1.0, np.nan], [1e-3, 0.5, 1.0, 7.0, 50.0], [1e-2, 1.0, 8.0,
                                                                                                    60.0, 1e3]
    x, a, t = (np.array(v) for v in zip(*[(p, q, r) for p in xv for q in av for r in tv]))
    with np.errstate(all="ignore"):
        got = dirichlet_grad(x, a, t)
    want = torch._dirichlet_grad(torch.from_numpy(x), torch.from_numpy(a), torch.from_numpy(t)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


def _beta_inputs(dtype, n=20_000):
    c = np.exp(R.uniform(np.log(0.05), np.log(200), (n, 2)))
    x = np.clip(R.beta(c[:, 0], c[:, 1]), np.finfo(dtype).tiny, 1 - np.finfo(dtype).eps)
    return x.astype(dtype), c[:, 0].astype(dtype), c.sum(1).astype(dtype)


def test_dirichlet_grad_matches_torch_float64():
    x, a, total = _beta_inputs(np.float64)
    got = dirichlet_grad(x, a, total)
    want = torch._dirichlet_grad(*(torch.from_numpy(v) for v in (x, a, total))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)


def test_dirichlet_grad_float32_is_the_float64_value_rounded():
    # torch evaluates its beta series in float32 for float32 input (digamma differences included),
    # which is up to ~1e-3 off near x = 0 or 1; ember computes in float64 and rounds.
    x, a, total = _beta_inputs(np.float32)
    got = dirichlet_grad(x, a, total)
    assert got.dtype == np.float32
    want64 = torch._dirichlet_grad(*(torch.from_numpy(v.astype(np.float64)) for v in (x, a, total))).numpy()
    np.testing.assert_allclose(got, want64, rtol=2e-7, atol=0)
    want32 = torch._dirichlet_grad(*(torch.from_numpy(v) for v in (x, a, total))).numpy()
    np.testing.assert_allclose(got, want32, rtol=3e-3, atol=0)


def test_gamma_rsample_gradient_per_draw_matches_torch():
    alpha = ember.tensor(np.exp(R.uniform(np.log(0.05), np.log(50), 4000)), dtype=ember.float64,
                         requires_grad=True)
    rate = ember.tensor(np.exp(R.uniform(-1, 1, 4000)), dtype=ember.float64, requires_grad=True)
    x = D.Gamma(alpha, rate).rsample()
    assert x.requires_grad and x.dtype == ember.float64
    x.sum().backward()
    ta, tr, tx = (torch.from_numpy(v.detach().numpy()) for v in (alpha, rate, x))
    np.testing.assert_allclose(alpha.grad.numpy(), (torch._standard_gamma_grad(ta, tx * tr) / tr).numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(rate.grad.numpy(), (-tx / tr).numpy(), rtol=1e-12)   # x = g / rate


def test_gamma_rsample_gradient_statistics():
    ember.manual_seed(0)
    alpha = ember.tensor([0.3, 1.0, 4.0, 20.0], requires_grad=True)
    rate = ember.tensor([1.0, 2.0, 0.5, 1.0], requires_grad=True)
    x = D.Gamma(alpha, rate).rsample((N,))
    assert tuple(x.shape) == (N, 4) and x.dtype == ember.float32
    (x.mean(0).sum() + (x ** 2).mean(0).sum()).backward()
    a, b = alpha.detach().numpy().astype(np.float64), rate.detach().numpy().astype(np.float64)
    # E[x] = a / b, E[x^2] = a (a + 1) / b^2
    np.testing.assert_allclose(alpha.grad.numpy(), 1 / b + (2 * a + 1) / b ** 2, rtol=0.03)
    np.testing.assert_allclose(rate.grad.numpy(), -a / b ** 2 - 2 * a * (a + 1) / b ** 3, rtol=0.03)


def test_gamma_rsample_unit_rate_mean_gradient_is_one():
    ember.manual_seed(1)
    alpha = ember.tensor(2.5, requires_grad=True)
    D.Gamma(alpha, 1.0).rsample((N,)).mean().backward()
    assert alpha.grad.item() == pytest.approx(1.0, abs=0.01)


def test_tiny_concentration_gives_finite_gradients():
    ember.manual_seed(2)
    for cls, params in ((D.Gamma, (0.01, 1.0)), (D.Beta, (0.01, 0.02)), (D.Dirichlet, ([0.01, 0.02, 0.05],))):
        ts = [ember.tensor(p, requires_grad=True) for p in params]
        cls(*ts).rsample((1000,)).sum().backward()
        for t in ts:
            assert np.all(np.isfinite(t.grad.numpy())), cls.__name__


def test_dirichlet_rsample_gradient_per_draw_matches_torch():
    c = ember.tensor(np.exp(R.uniform(np.log(0.1), np.log(30), (500, 4))), dtype=ember.float64, requires_grad=True)
    w = R.normal(size=(500, 4))
    x = D.Dirichlet(c).rsample()
    assert x.requires_grad and tuple(x.shape) == (500, 4)
    np.testing.assert_allclose(x.detach().numpy().sum(-1), 1.0, rtol=1e-12)
    (x * ember.tensor(w)).sum().backward()
    want = _Dirichlet_backward(torch.from_numpy(x.detach().numpy()), torch.from_numpy(c.detach().numpy()),
                               torch.from_numpy(w))
    np.testing.assert_allclose(c.grad.numpy(), want.numpy(), rtol=1e-9, atol=1e-12)


def test_dirichlet_rsample_gradient_statistics():
    ember.manual_seed(3)
    c = ember.tensor([0.5, 1.0, 3.0], requires_grad=True)
    w = np.array([1.0, -2.0, 0.5])
    (D.Dirichlet(c).rsample((N,)) * ember.tensor(w, dtype=ember.float32)).sum(-1).mean().backward()
    cc = c.detach().numpy().astype(np.float64)
    s = cc.sum()
    np.testing.assert_allclose(c.grad.numpy(), w / s - (w * cc).sum() / s ** 2, atol=0.01)   # d/dc of w.c / s


def test_beta_rsample_gradients():
    ember.manual_seed(4)
    a, b = ember.tensor([0.5, 2.0], requires_grad=True), ember.tensor([1.5, 3.0], requires_grad=True)
    x = D.Beta(a, b).rsample((N,))
    assert tuple(x.shape) == (N, 2) and x.requires_grad
    x.mean(0).sum().backward()
    av, bv = a.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(a.grad.numpy(), bv / (av + bv) ** 2, rtol=0.03)    # E[x] = a / (a + b)
    np.testing.assert_allclose(b.grad.numpy(), -av / (av + bv) ** 2, rtol=0.03)


def test_beta_rsample_is_first_coordinate_of_a_dirichlet_pair():
    a = ember.tensor([0.7, 4.0, 12.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([2.0, 0.3, 9.0], dtype=ember.float64, requires_grad=True)
    x = D.Beta(a, b).rsample((300,))
    x.sum().backward()
    xd = torch.from_numpy(x.detach().numpy())
    pair = torch.stack([xd, 1 - xd], -1)
    conc = torch.stack([torch.from_numpy(a.detach().numpy()), torch.from_numpy(b.detach().numpy())], -1).expand(
        300, 3, 2)
    g = _Dirichlet_backward(pair, conc, torch.stack([torch.ones_like(xd), torch.zeros_like(xd)], -1)).sum(0)
    np.testing.assert_allclose(a.grad.numpy(), g[:, 0].numpy(), rtol=1e-8)
    np.testing.assert_allclose(b.grad.numpy(), g[:, 1].numpy(), rtol=1e-8)


@pytest.mark.parametrize("name,params", [("Gamma", dict(concentration=[1.0, 2.0], rate=[1.0, 3.0])),
                                         ("Beta", dict(concentration1=[1.0, 2.0], concentration0=[0.5, 1.0])),
                                         ("Dirichlet", dict(concentration=[[1.0, 2.0, 0.5]]))])
def test_has_rsample_and_shapes_match_torch(name, params):
    ed = getattr(D, name)(**{k: ember.tensor(v, requires_grad=True) for k, v in params.items()})
    td = getattr(torch.distributions, name)(**{k: torch.tensor(v, requires_grad=True) for k, v in params.items()})
    assert ed.has_rsample is td.has_rsample is True
    for shape in [(), (5,), (2, 3)]:
        er, tr = ed.rsample(shape), td.rsample(shape)
        assert tuple(er.shape) == tuple(tr.shape) and er.requires_grad
        es = ed.sample(shape)
        assert tuple(es.shape) == tuple(tr.shape) and not es.requires_grad and es.grad_fn is None
        assert np.all(ed.support.check(es)._data)


def test_second_derivative_of_a_gamma_draw_is_refused_as_in_torch():
    def run(lib, mod):
        lib.manual_seed(0)
        a = lib.tensor([2.0, 0.5], requires_grad=True)
        x = mod.Gamma(a, 1.0).rsample()
        g, = lib.autograd.grad(x.sum(), a, create_graph=True)
        assert g.requires_grad
        with pytest.raises(NotImplementedError, match="derivative for '_standard_gamma_grad' is not implemented"):
            lib.autograd.grad(g.sum(), a)
    run(torch, torch.distributions)
    run(ember, D)


def test_dirichlet_gradient_is_a_constant_under_create_graph_as_in_torch():
    for lib, mod in ((torch, torch.distributions), (ember, D)):
        c = lib.tensor([2.0, 1.0], requires_grad=True)
        x = mod.Dirichlet(c).rsample()
        g, = lib.autograd.grad((x * lib.tensor([1.0, 2.0])).sum(), c, create_graph=True)
        assert not g.requires_grad     # once differentiable (torch) / constant (ember)


_POS = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)
_UNIT = st.floats(min_value=1e-12, max_value=1 - 1e-12, allow_nan=False)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(a=_POS, q=_UNIT)
def test_standard_gamma_grad_fuzzed_against_torch(a, q):
    x = np.array([q * 3 * a])     # over (0, 3 a): every branch
    got = standard_gamma_grad(np.array([a]), x)
    want = torch._standard_gamma_grad(torch.tensor([a], dtype=torch.float64), torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)


@SETTINGS
@given(a=_POS, b=_POS, x=_UNIT)
def test_dirichlet_grad_fuzzed_against_torch(a, b, x):
    args = (np.array([x]), np.array([a]), np.array([a + b]))
    got = dirichlet_grad(*args)
    want = torch._dirichlet_grad(*(torch.from_numpy(v) for v in args)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-300)
