"""Every distribution against torch.distributions on the same parameters: log_prob, entropy, mean,
variance, stddev, mode, cdf, and the gradients of log_prob + entropy w.r.t. the parameters."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as D

R = np.random.default_rng(0)


def _spd(k, batch=()):
    a = R.normal(size=batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


# name -> (param dict of arrays (trainable float params), fixed kwargs, value array)
CASES = {
    "Normal": (dict(loc=R.normal(size=(3, 2)), scale=R.uniform(0.5, 2, (3, 2))), {}, R.normal(size=(4, 3, 2))),
    "Uniform": (dict(low=R.uniform(-2, -1, (3,)), high=R.uniform(1, 2, (3,))), {}, R.uniform(-0.9, 0.9, (5, 3))),
    "Bernoulli": (dict(probs=R.uniform(0.1, 0.9, (4,))), {}, R.integers(0, 2, (6, 4)).astype(float)),
    "Bernoulli_logits": (dict(logits=R.normal(size=(4,))), {}, R.integers(0, 2, (6, 4)).astype(float)),
    "Categorical": (dict(probs=R.uniform(0.1, 1, (3, 5))), {}, R.integers(0, 5, (2, 3))),
    "Categorical_logits": (dict(logits=R.normal(size=(3, 5))), {}, R.integers(0, 5, (2, 3))),
    "OneHotCategorical": (dict(logits=R.normal(size=(3, 4))), {}, np.eye(4)[R.integers(0, 4, (2, 3))]),
    "Binomial": (dict(probs=R.uniform(0.1, 0.9, (3,))), dict(total_count=10), R.integers(0, 11, (4, 3)).astype(float)),
    "Binomial_logits": (dict(logits=R.normal(size=(3,))), dict(total_count=7), R.integers(0, 8, (4, 3)).astype(float)),
    "Exponential": (dict(rate=R.uniform(0.5, 2, (3,))), {}, R.exponential(size=(4, 3))),
    "Laplace": (dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 2, (3,))), {}, R.normal(size=(4, 3))),
    "Gamma": (dict(concentration=R.uniform(0.5, 3, (3,)), rate=R.uniform(0.5, 2, (3,))), {}, R.gamma(2, size=(4, 3))),
    "Beta": (dict(concentration1=R.uniform(0.5, 3, (3,)), concentration0=R.uniform(0.5, 3, (3,))), {},
             R.uniform(0.05, 0.95, (4, 3))),
    "Dirichlet": (dict(concentration=R.uniform(0.5, 3, (2, 4))), {}, R.dirichlet(np.ones(4), size=(3, 2))),
    "MultivariateNormal_cov": (dict(loc=R.normal(size=(2, 3)), covariance_matrix=_spd(3, (2,))), {},
                               R.normal(size=(4, 2, 3))),
    "MultivariateNormal_tril": (dict(loc=R.normal(size=(3,)), scale_tril=np.linalg.cholesky(_spd(3))), {},
                                R.normal(size=(4, 3))),
    "MultivariateNormal_prec": (dict(loc=R.normal(size=(3,)), precision_matrix=_spd(3)), {}, R.normal(size=(4, 3))),
}
NO_ENTROPY = {"Binomial", "Binomial_logits"}
PROPS = ["mean", "variance", "stddev", "mode"]


def _build(lib, name, params, fixed, dtype):
    mod = D if lib is ember else torch.distributions
    tensors = {k: lib.tensor(v, dtype=dtype, requires_grad=True) for k, v in params.items()}
    return getattr(mod, name.split("_")[0])(**tensors, **fixed), tensors


def _value(lib, name, v, dtype):
    if name.startswith("Categorical"):
        return lib.tensor(v, dtype=lib.int64)
    return lib.tensor(v, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, dtype):
    params, fixed, value = CASES[name]
    ed, ep = _build(ember, name, params, fixed, getattr(ember, dtype))
    td, tp = _build(torch, name, params, fixed, getattr(torch, dtype))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-10)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape) and tuple(ed.event_shape) == tuple(td.event_shape)
    el = ed.log_prob(_value(ember, name, value, getattr(ember, dtype)))
    tl = td.log_prob(_value(torch, name, value, getattr(torch, dtype)))
    assert tuple(el.shape) == tuple(tl.shape) and str(el.dtype).split(".")[-1] == str(tl.dtype).split(".")[-1]
    np.testing.assert_allclose(el.detach().numpy(), tl.detach().numpy(), **tol)
    eloss, tloss = el.sum(), tl.sum()
    if name not in NO_ENTROPY:
        ee, te = ed.entropy(), td.entropy()
        assert tuple(ee.shape) == tuple(te.shape)
        np.testing.assert_allclose(ee.detach().numpy(), te.detach().numpy(), **tol)
        eloss, tloss = eloss + ee.sum(), tloss + te.sum()
    for prop in PROPS:
        try:
            tv = getattr(td, prop)
        except NotImplementedError:
            continue
        ev = getattr(ed, prop)
        assert tuple(ev.shape) == tuple(tv.shape), prop
        np.testing.assert_allclose(ev.detach().numpy(), tv.detach().numpy(), equal_nan=True, err_msg=prop, **tol)
    eloss.backward()
    tloss.backward()
    if dtype == "float64":   # torch's trigamma is truncated early (~1e-9 absolute); ember's series is longer
        tol = dict(rtol=1e-9, atol=1e-8)
    for k in params:
        np.testing.assert_allclose(ep[k].grad.numpy(), tp[k].grad.numpy(), err_msg=k, **tol)


@pytest.mark.parametrize("name", ["Normal", "Uniform", "Exponential"])
def test_cdf_matches_torch(name):
    params, fixed, value = CASES[name]
    ed, _ = _build(ember, name, params, fixed, ember.float64)
    td, _ = _build(torch, name, params, fixed, torch.float64)
    np.testing.assert_allclose(ed.cdf(ember.tensor(value)).detach().numpy(),
                               td.cdf(torch.tensor(value)).detach().numpy(), rtol=1e-9)


def test_mvn_derived_matrices_match_torch():
    params, _, _ = CASES["MultivariateNormal_prec"]
    ed = D.MultivariateNormal(ember.tensor(params["loc"]), precision_matrix=ember.tensor(params["precision_matrix"]))
    td = torch.distributions.MultivariateNormal(torch.tensor(params["loc"]),
                                                precision_matrix=torch.tensor(params["precision_matrix"]))
    for attr in ["scale_tril", "covariance_matrix", "precision_matrix"]:
        np.testing.assert_allclose(getattr(ed, attr).numpy(), getattr(td, attr).numpy(), rtol=1e-9, atol=1e-12)


def test_categorical_normalises_probs_and_logits():
    d = D.Categorical(probs=ember.tensor([1.0, 3.0]))
    np.testing.assert_allclose(d.probs.numpy(), [0.25, 0.75])
    d = D.Categorical(logits=ember.tensor([0.0, 0.0]))
    np.testing.assert_allclose(d.logits.exp().numpy(), [0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(d.probs.numpy(), [0.5, 0.5])


def test_lgamma_digamma_match_torch_including_negative_arguments():
    from ember.distributions._special import digamma, lgamma
    x = np.array([-2.5, -0.3, 0.01, 0.7, 1.0, 3.3, 17.0, 250.0])
    np.testing.assert_allclose(lgamma(ember.tensor(x)).numpy(), torch.lgamma(torch.tensor(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(digamma(ember.tensor(x)).numpy(), torch.digamma(torch.tensor(x)).numpy(), rtol=1e-10)
    xe = ember.tensor(x[2:], requires_grad=True)
    digamma(xe).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), torch.polygamma(1, torch.tensor(x[2:])).numpy(), rtol=1e-9)
