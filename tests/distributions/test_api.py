"""The rest of the API a learner reaches for, against torch: support, arg_constraints, has_rsample,
has_enumerate_support, cdf/icdf (values and gradients), enumerate_support, Binomial.entropy,
perplexity, sample_n's deprecation warning."""
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.distributions as D

R = np.random.default_rng(7)

CASES = {
    "Normal": dict(loc=[0.0, 1.0], scale=[1.0, 2.0]),
    "Laplace": dict(loc=[0.0, 1.0], scale=[1.0, 2.0]),
    "Uniform": dict(low=[0.0, 1.0], high=[1.0, 2.0]),
    "Exponential": dict(rate=[1.0, 2.0]),
    "Gamma": dict(concentration=[1.0, 2.0], rate=[1.0, 2.0]),
    "Beta": dict(concentration1=[1.0, 2.0], concentration0=[1.0, 2.0]),
    "Dirichlet": dict(concentration=[1.0, 2.0]),
    "Bernoulli": dict(probs=[0.3, 0.6]),
    "Binomial": dict(total_count=3.0, probs=[0.3, 0.6]),
    "Categorical": dict(probs=[0.3, 0.7]),
    "OneHotCategorical": dict(probs=[0.3, 0.7]),
    "MultivariateNormal": dict(loc=[0.0, 1.0], covariance_matrix=[[1.0, 0.0], [0.0, 1.0]]),
}


def _pair(name, params=None):
    params = CASES[name] if params is None else params
    conv = [lambda v: ember.tensor(v) if isinstance(v, list) else v, lambda v: torch.tensor(v) if isinstance(v, list)
            else v]
    return (getattr(D, name)(**{k: conv[0](v) for k, v in params.items()}),
            getattr(torch.distributions, name)(**{k: conv[1](v) for k, v in params.items()}))


@pytest.mark.parametrize("name", sorted(CASES))
def test_flags_support_and_arg_constraints_match_torch(name):
    ed, td = _pair(name)
    assert ed.has_rsample == td.has_rsample
    assert ed.has_enumerate_support == td.has_enumerate_support
    assert repr(ed.support) == repr(td.support).replace("torch", "ember")
    assert ed.support.is_discrete == td.support.is_discrete and ed.support.event_dim == td.support.event_dim
    assert {k: repr(v) for k, v in ed.arg_constraints.items()} == {k: repr(v) for k, v in td.arg_constraints.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_perplexity_matches_torch(name):
    ed, td = _pair(name)
    np.testing.assert_allclose(ed.perplexity().numpy(), td.perplexity().numpy(), rtol=1e-5)


def _grad_pair(name, params, method, value, dtype="float64"):
    """``method(value)`` with ember and torch, and the gradients w.r.t. every parameter and the value."""
    out = []
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        ps = {k: lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for k, v in params.items()}
        v = lib.tensor(value, dtype=getattr(lib, dtype), requires_grad=True)
        r = getattr(getattr(mod, name)(**ps), method)(v)
        r.sum().backward()
        out.append((r.detach().numpy(), {k: p.grad.numpy() for k, p in ps.items()}, v.grad.numpy()))
    return out


@pytest.mark.parametrize("name,params", [
    ("Normal", dict(loc=R.normal(size=3), scale=R.uniform(0.5, 2, 3))),
    ("Laplace", dict(loc=R.normal(size=3), scale=R.uniform(0.5, 2, 3))),
    ("Uniform", dict(low=R.uniform(-2, -1, 3), high=R.uniform(1, 2, 3))),
    ("Exponential", dict(rate=R.uniform(0.5, 2, 3))),
])
@pytest.mark.parametrize("method", ["cdf", "icdf"])
def test_cdf_and_icdf_values_and_gradients_match_torch(name, params, method):
    if method == "cdf":
        value = R.uniform(-1.5, 1.5, (4, 3)) if name != "Exponential" else R.exponential(size=(4, 3))
        if name == "Uniform":
            value = R.uniform(-0.9, 0.9, (4, 3))
    else:
        value = R.uniform(0.01, 0.99, (4, 3))
    (ev, eg, egv), (tv, tg, tgv) = _grad_pair(name, params, method, value)
    np.testing.assert_allclose(ev, tv, rtol=1e-12, atol=1e-14)
    for k in params:
        np.testing.assert_allclose(eg[k], tg[k], rtol=1e-10, atol=1e-14, err_msg=k)
    np.testing.assert_allclose(egv, tgv, rtol=1e-10, atol=1e-14)


def test_icdf_inverts_cdf_and_matches_torch_at_the_ends():
    for name in ("Normal", "Laplace"):
        ed, td = _pair(name)
        q = np.array([[1e-7, 0.25], [0.5, 1 - 1e-7]], dtype=np.float32)
        np.testing.assert_allclose(ed.icdf(ember.tensor(q)).numpy(), td.icdf(torch.tensor(q)).numpy(), rtol=1e-6)
        np.testing.assert_allclose(ed.cdf(ed.icdf(ember.tensor(q))).numpy(), q, rtol=1e-4, atol=1e-6)
        ends = np.array([[0.0, 1.0]], dtype=np.float32)
        np.testing.assert_array_equal(ed.icdf(ember.tensor(ends)).numpy(), td.icdf(torch.tensor(ends)).numpy())


def test_gamma_cdf_matches_torch_and_refuses_the_concentration_gradient():
    params = dict(concentration=R.uniform(0.2, 30, 6), rate=R.uniform(0.5, 2, 6))
    value = R.gamma(params["concentration"]) / params["rate"]
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        a = lib.tensor(params["concentration"], requires_grad=True)
        with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input' is not implemented"):
            mod.Gamma(a, lib.tensor(params["rate"])).cdf(lib.tensor(value)).sum().backward()
    outs = []
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        r, v = lib.tensor(params["rate"], requires_grad=True), lib.tensor(value, requires_grad=True)
        c = mod.Gamma(lib.tensor(params["concentration"]), r).cdf(v)
        c.sum().backward()
        outs.append((c.detach().numpy(), r.grad.numpy(), v.grad.numpy()))
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-8)   # torch's igamma is good to ~1e-9 relative


def test_gamma_cdf_float32_and_special_points():
    ed, td = _pair("Gamma", dict(concentration=[0.5, 2.0, 50.0], rate=[1.0, 3.0, 0.5]))
    for v in ([0.0, 0.0, 0.0], [1e-6, 0.3, 100.0], [50.0, 60.0, 1e4]):
        np.testing.assert_allclose(ed.cdf(ember.tensor(v)).numpy(), td.cdf(torch.tensor(v)).numpy(), rtol=2e-6,
                                   atol=1e-7)


@pytest.mark.parametrize("name,params", [
    ("Bernoulli", dict(probs=[[0.3, 0.6], [0.1, 0.9], [0.5, 0.5]])),
    ("Categorical", dict(logits=[[0.3, 0.6, -1.0], [0.1, 0.9, 2.0]])),
    ("OneHotCategorical", dict(probs=[[0.2, 0.8], [0.5, 0.5], [0.1, 0.9]])),
    ("Binomial", dict(total_count=4.0, probs=[[0.2, 0.8], [0.5, 0.5]])),
])
def test_enumerate_support_matches_torch(name, params):
    ed, td = _pair(name, params)
    for expand in (True, False):
        es, ts = ed.enumerate_support(expand), td.enumerate_support(expand)
        assert tuple(es.shape) == tuple(ts.shape) and str(es.dtype)[6:] == str(ts.dtype)[6:]
        np.testing.assert_array_equal(es.numpy(), ts.numpy())
    lp_e, lp_t = ed.log_prob(ed.enumerate_support()), td.log_prob(td.enumerate_support())
    np.testing.assert_allclose(lp_e.numpy(), lp_t.numpy(), rtol=1e-5)
    np.testing.assert_allclose(lp_e.exp().sum(0).numpy(), 1.0, rtol=1e-5)   # the support is all of it


def test_binomial_entropy_matches_torch_and_inhomogeneous_counts_raise():
    for key, val in (("probs", R.uniform(0.05, 0.95, (2, 3))), ("logits", R.normal(size=(3,)))):
        p_e, p_t = ember.tensor(val, requires_grad=True), torch.tensor(val, requires_grad=True)
        he, ht = D.Binomial(7, **{key: p_e}).entropy(), torch.distributions.Binomial(7, **{key: p_t}).entropy()
        np.testing.assert_allclose(he.detach().numpy(), ht.detach().numpy(), rtol=1e-10)
        he.sum().backward()
        ht.sum().backward()
        np.testing.assert_allclose(p_e.grad.numpy(), p_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        d = mod.Binomial(lib.tensor([3.0, 5.0]), probs=lib.tensor([0.2, 0.5]))
        with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by `entropy`"):
            d.entropy()
        with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by `enumerate_s"):
            d.enumerate_support()


def test_uniform_support_is_closed_as_torch():
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        d = mod.Uniform(lib.tensor([0.0]), lib.tensor([1.0]))
        assert d.log_prob(lib.tensor([1.0])).item() == float("-inf")      # validates, density 0
        with pytest.raises(ValueError):
            d.log_prob(lib.tensor([1.5]))


def test_sample_n_warns_as_torch():
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            x = mod.Normal(lib.zeros(2), 1.0).sample_n(3)
        assert tuple(x.shape) == (3, 2)
        assert [(c.category, str(c.message)) for c in w] == [
            (FutureWarning, "`sample_n(n)` will be deprecated. Use `sample((n,))` instead.")]


def test_batch_and_event_shapes_are_sizes():
    d = D.MultivariateNormal(ember.zeros(4, 3), ember.eye(3))
    assert isinstance(d.batch_shape, ember.Size) and isinstance(d.event_shape, ember.Size)
    assert d.batch_shape == ember.Size([4]) and d.event_shape == ember.Size([3])


def test_beta_and_dirichlet_mode_with_concentrations_below_one_match_torch():
    # regression: Beta.mode was (a-1)/(a+b-2) everywhere; torch takes the Dirichlet([a, b]) mode
    c = [[0.5, 0.3], [0.2, 0.9], [2.0, 0.5], [0.5, 2.0], [3.0, 2.0], [1.0, 1.0]]
    a, b = [v[0] for v in c], [v[1] for v in c]
    np.testing.assert_array_equal(D.Beta(ember.tensor(a), ember.tensor(b)).mode.numpy(),
                                  torch.distributions.Beta(torch.tensor(a), torch.tensor(b)).mode.numpy())
    for conc in (c, [[0.5, 0.3, 0.4], [0.2, 0.9, 0.1], [2.0, 0.5, 3.0]]):
        np.testing.assert_allclose(D.Dirichlet(ember.tensor(conc)).mode.numpy(),
                                   torch.distributions.Dirichlet(torch.tensor(conc)).mode.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name,params,value", [
    ("Normal", dict(loc=[0.3, -1.0], scale=[1.5, 0.7]), [0.1, 0.8]),      # icdf: erfinv
    ("Gamma", dict(concentration=[0.7, 3.0], rate=[1.5, 0.5]), [0.4, 5.0]),  # cdf: incomplete gamma in x
])
def test_second_derivatives_of_cdf_and_icdf_match_torch(name, params, value):
    method = "icdf" if name == "Normal" else "cdf"
    outs = []
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        ps = {k: lib.tensor(v, dtype=lib.float64, requires_grad=(name == "Normal")) for k, v in params.items()}
        v = lib.tensor(value, dtype=lib.float64, requires_grad=True)
        y = getattr(getattr(mod, name)(**ps), method)(v)
        g, = lib.autograd.grad(y.sum(), v, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), v)
        outs.append((g.detach().numpy(), gg.numpy()))
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-9)
    from ember.distributions._special import erfinv, gammainc
    y = ember.tensor([0.1, -0.7], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(erfinv, (y,))
    x = ember.tensor([0.4, 5.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: gammainc(ember.tensor([0.7, 3.0], dtype=ember.float64), t), (x,))
