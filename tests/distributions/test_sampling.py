"""Samples: shapes (sample_shape + batch_shape + event_shape), moments with many seeded draws against
torch's mean and variance, and rsample gradients against their closed-form expectations."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as D

N = 200_000


def _pair(name, **params):
    return (getattr(D, name)(**{k: ember.tensor(v) for k, v in params.items()}),
            getattr(torch.distributions, name)(**{k: torch.tensor(v) for k, v in params.items()}))


MOMENT_CASES = [
    ("Normal", dict(loc=[0.0, 3.0], scale=[1.0, 0.5])),
    ("Uniform", dict(low=[-1.0, 2.0], high=[1.0, 5.0])),
    ("Bernoulli", dict(probs=[0.2, 0.7])),
    ("Binomial", dict(total_count=[5.0, 12.0], probs=[0.3, 0.8])),
    ("Exponential", dict(rate=[0.5, 3.0])),
    ("Laplace", dict(loc=[1.0, -2.0], scale=[0.5, 2.0])),
    ("Gamma", dict(concentration=[0.5, 4.0], rate=[1.0, 2.0])),
    ("Beta", dict(concentration1=[0.5, 2.0], concentration0=[1.5, 3.0])),
    ("Dirichlet", dict(concentration=[[0.5, 1.0, 2.0]])),
    ("OneHotCategorical", dict(probs=[[0.1, 0.6, 0.3]])),
    ("MultivariateNormal", dict(loc=[1.0, -1.0], covariance_matrix=[[2.0, 0.5], [0.5, 1.0]])),
]


@pytest.mark.parametrize("name,params", MOMENT_CASES, ids=[c[0] for c in MOMENT_CASES])
def test_sample_moments_match_torch(name, params):
    ember.manual_seed(0)
    ed, td = _pair(name, **params)
    x = ed.sample((N,))
    assert tuple(x.shape) == (N,) + tuple(td.batch_shape) + tuple(td.event_shape)
    assert str(x.dtype).split(".")[-1] == str(td.sample().dtype).split(".")[-1]
    x = x.numpy().astype(np.float64)
    mean, var = td.mean.numpy(), td.variance.numpy()
    se = np.sqrt(var / N)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * se + 1e-6), (x.mean(0), mean)
    assert np.allclose(x.var(0), var, rtol=0.03, atol=1e-4), (x.var(0), var)
    assert np.all(ed.support.check(ember.tensor(x[:1000]))._data)


def test_categorical_frequencies_and_shapes():
    ember.manual_seed(0)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    d = D.Categorical(probs=ember.tensor(probs))
    x = d.sample((N,))
    assert tuple(x.shape) == (N, 2) and x.dtype == ember.int64
    freq = np.stack([np.bincount(x.numpy()[:, i], minlength=3) / N for i in range(2)])
    np.testing.assert_allclose(freq, probs, atol=0.005)
    assert tuple(d.sample().shape) == (2,)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_shape_semantics_match_torch(sample_shape):
    cases = [
        ("Normal", dict(loc=np.zeros((4, 1)), scale=np.ones(3))),
        ("Categorical", dict(logits=np.zeros((4, 3, 6)))),
        ("OneHotCategorical", dict(logits=np.zeros((4, 6)))),
        ("Dirichlet", dict(concentration=np.ones((2, 5)))),
        ("MultivariateNormal", dict(loc=np.zeros((4, 1, 2)), scale_tril=np.eye(2) * np.ones((3, 1, 1)))),
    ]
    for name, params in cases:
        ed, td = _pair(name, **params)
        assert tuple(ed.batch_shape) == tuple(td.batch_shape), name
        assert tuple(ed.event_shape) == tuple(td.event_shape), name
        es, ts = ed.sample(sample_shape), td.sample(sample_shape)
        assert tuple(es.shape) == tuple(ts.shape), name
        assert tuple(ed.log_prob(es).shape) == tuple(td.log_prob(ts).shape), name
        assert tuple(ed.entropy().shape) == tuple(td.entropy().shape), name


def test_independent_shapes_match_torch():
    ed, td = _pair("Normal", loc=np.zeros((2, 3, 4)), scale=np.ones((2, 3, 4)))
    ei, ti = D.Independent(ed, 2), torch.distributions.Independent(td, 2)
    assert tuple(ei.batch_shape) == tuple(ti.batch_shape) == (2,)
    assert tuple(ei.event_shape) == tuple(ti.event_shape) == (3, 4)
    v = np.random.default_rng(0).normal(size=(5, 2, 3, 4))
    np.testing.assert_allclose(ei.log_prob(ember.tensor(v)).numpy(), ti.log_prob(torch.tensor(v)).numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(ei.entropy().numpy(), ti.entropy().numpy(), rtol=1e-10)
    assert ei.has_rsample and tuple(ei.rsample((7,)).shape) == (7, 2, 3, 4)


def test_sample_carries_no_graph_and_rsample_does():
    loc = ember.tensor([0.0, 1.0], requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert not d.sample().requires_grad
    assert d.rsample().requires_grad


def _grad_of_mean(d, params, f):
    f(d.rsample((N,))).mean().backward()
    return [p.grad.numpy() for p in params]


def test_rsample_gradients_are_reparameterised():
    ember.manual_seed(0)
    loc, scale = ember.tensor([0.5, -1.0], requires_grad=True), ember.tensor([1.0, 2.0], requires_grad=True)
    gl, gs = _grad_of_mean(D.Normal(loc, scale), [loc, scale], lambda x: (x ** 2).sum(-1))
    np.testing.assert_allclose(gl, [1.0, -2.0], atol=0.03)      # d/dθ E[x^2] = 2 loc, 2 scale
    np.testing.assert_allclose(gs, [2.0, 4.0], rtol=0.02)

    low, high = ember.tensor([0.0], requires_grad=True), ember.tensor([2.0], requires_grad=True)
    gl, gh = _grad_of_mean(D.Uniform(low, high), [low, high], lambda x: x.sum(-1))
    np.testing.assert_allclose([gl[0], gh[0]], [0.5, 0.5], atol=0.01)

    rate = ember.tensor([2.0], requires_grad=True)
    g, = _grad_of_mean(D.Exponential(rate), [rate], lambda x: (x ** 2).sum(-1))
    np.testing.assert_allclose(g, [-4 / 8], rtol=0.05)            # E[x^2] = 2 / rate^2

    loc, scale = ember.tensor([1.0], requires_grad=True), ember.tensor([0.5], requires_grad=True)
    gl, gs = _grad_of_mean(D.Laplace(loc, scale), [loc, scale], lambda x: (x ** 2).sum(-1))
    np.testing.assert_allclose([gl[0], gs[0]], [2.0, 2.0], rtol=0.05)   # E[x^2] = loc^2 + 2 scale^2

    loc = ember.tensor([1.0, -1.0], requires_grad=True)
    L = ember.tensor([[1.0, 0.0], [0.5, 2.0]], requires_grad=True)
    gl, gL = _grad_of_mean(D.MultivariateNormal(loc, scale_tril=L), [loc, L], lambda x: (x ** 2).sum(-1))
    np.testing.assert_allclose(gl, [2.0, -2.0], atol=0.05)        # E|x|^2 = |loc|^2 + |L|_F^2
    np.testing.assert_allclose(gL, [[2.0, 0.0], [1.0, 4.0]], atol=0.06)


def test_sampling_uses_embers_generator():
    ember.manual_seed(3)
    a = D.Normal(0.0, 1.0).sample((4,))
    ember.manual_seed(3)
    b = D.Normal(0.0, 1.0).sample((4,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
