"""kl_divergence against torch.distributions.kl_divergence: values and gradients w.r.t. both sides."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as D

R = np.random.default_rng(1)


def _spd(k, batch=()):
    a = R.normal(size=batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


PAIRS = {
    "Normal": lambda: dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 2, (3,))),
    "Bernoulli": lambda: dict(probs=R.uniform(0.1, 0.9, (3,))),
    "Categorical": lambda: dict(logits=R.normal(size=(2, 4))),
    "OneHotCategorical": lambda: dict(probs=R.uniform(0.1, 1, (2, 4))),
    "Exponential": lambda: dict(rate=R.uniform(0.5, 2, (3,))),
    "Laplace": lambda: dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 2, (3,))),
    "Gamma": lambda: dict(concentration=R.uniform(0.5, 3, (3,)), rate=R.uniform(0.5, 2, (3,))),
    "Beta": lambda: dict(concentration1=R.uniform(0.5, 3, (3,)), concentration0=R.uniform(0.5, 3, (3,))),
    "Dirichlet": lambda: dict(concentration=R.uniform(0.5, 3, (2, 4))),
    "MultivariateNormal": lambda: dict(loc=R.normal(size=(2, 3)), scale_tril=np.linalg.cholesky(_spd(3, (2,)))),
}


def _make(lib, name, params):
    mod = D if lib is ember else torch.distributions
    ts = {k: lib.tensor(v, requires_grad=True) for k, v in params.items()}
    return getattr(mod, name)(**ts), ts


def _check(ekl, tkl, eparams, tparams):
    np.testing.assert_allclose(ekl.detach().numpy(), tkl.detach().numpy(), rtol=1e-9, atol=1e-12)
    ekl.sum().backward()
    tkl.sum().backward()
    for ep, tp in zip(eparams, tparams):
        for k in ep:
            np.testing.assert_allclose(ep[k].grad.numpy(), tp[k].grad.numpy(), rtol=1e-8, atol=1e-8, err_msg=k)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_kl_matches_torch(name):
    pp, qp = PAIRS[name](), PAIRS[name]()
    (ep, epp), (eq, eqp) = _make(ember, name, pp), _make(ember, name, qp)
    (tp, tpp), (tq, tqp) = _make(torch, name, pp), _make(torch, name, qp)
    _check(D.kl_divergence(ep, eq), torch.distributions.kl_divergence(tp, tq), [epp, eqp], [tpp, tqp])


def test_kl_uniform_uniform_including_infinite():
    p = dict(low=np.array([0.0, -1.0]), high=np.array([1.0, 1.0]))
    q = dict(low=np.array([-1.0, 0.0]), high=np.array([2.0, 1.0]))
    (ep, _), (eq, _) = _make(ember, "Uniform", p), _make(ember, "Uniform", q)
    (tp, _), (tq, _) = _make(torch, "Uniform", p), _make(torch, "Uniform", q)
    ekl, tkl = D.kl_divergence(ep, eq), torch.distributions.kl_divergence(tp, tq)
    np.testing.assert_allclose(ekl.detach().numpy(), tkl.detach().numpy())
    assert np.isinf(ekl.detach().numpy()[1])


def test_kl_independent_normal():
    pp, qp = PAIRS["Normal"](), PAIRS["Normal"]()
    (ep, epp), (eq, eqp) = _make(ember, "Normal", pp), _make(ember, "Normal", qp)
    (tp, tpp), (tq, tqp) = _make(torch, "Normal", pp), _make(torch, "Normal", qp)
    ekl = D.kl_divergence(D.Independent(ep, 1), D.Independent(eq, 1))
    tkl = torch.distributions.kl_divergence(torch.distributions.Independent(tp, 1),
                                            torch.distributions.Independent(tq, 1))
    assert tuple(ekl.shape) == tuple(tkl.shape) == ()
    _check(ekl, tkl, [epp, eqp], [tpp, tqp])


def test_kl_categorical_with_zero_probabilities():
    p = D.Categorical(probs=ember.tensor([0.5, 0.5, 0.0]))
    q = D.Categorical(probs=ember.tensor([0.0, 0.5, 0.5]))
    tp = torch.distributions.Categorical(probs=torch.tensor([0.5, 0.5, 0.0]))
    tq = torch.distributions.Categorical(probs=torch.tensor([0.0, 0.5, 0.5]))
    assert D.kl_divergence(p, q).item() == torch.distributions.kl_divergence(tp, tq).item() == float("inf")
    assert D.kl_divergence(q, q).item() == pytest.approx(torch.distributions.kl_divergence(tq, tq).item())


def test_register_kl_and_unregistered_pair():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)
    assert D.kl_divergence(p, q).item() == pytest.approx(0.5)     # the Normal-Normal rule by MRO

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)
    assert D.kl_divergence(p, q).item() == 42.0
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(logits=ember.zeros(2)))
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(torch.distributions.Normal(0.0, 1.0),
                                          torch.distributions.Categorical(logits=torch.zeros(2)))
