"""validate_args: parameters outside their constraint and log_prob values outside the support raise
ValueError (as torch), unless validation is off for the instance or by default."""
import pytest
import torch

import ember
import ember.distributions as D

BAD_PARAMS = [
    ("Normal", dict(loc=[0.0], scale=[-1.0])),
    ("Normal", dict(loc=[float("nan")], scale=[1.0])),
    ("Uniform", dict(low=[1.0], high=[0.0])),
    ("Bernoulli", dict(probs=[1.5])),
    ("Categorical", dict(probs=[-0.5, 1.5])),
    ("Exponential", dict(rate=[0.0])),
    ("Laplace", dict(loc=[0.0], scale=[0.0])),
    ("Gamma", dict(concentration=[-1.0], rate=[1.0])),
    ("Beta", dict(concentration1=[1.0], concentration0=[-2.0])),
    ("Dirichlet", dict(concentration=[1.0, -1.0])),
    ("Binomial", dict(total_count=[2.5], probs=[0.5])),
    ("MultivariateNormal", dict(loc=[0.0, 0.0], covariance_matrix=[[1.0, 2.0], [2.0, 1.0]])),
    ("MultivariateNormal", dict(loc=[0.0, 0.0], scale_tril=[[1.0, 1.0], [0.0, 1.0]])),
]


def _mk(lib, name, params, **kw):
    mod = D if lib is ember else torch.distributions
    return getattr(mod, name)(**{k: lib.tensor(v) for k, v in params.items()}, **kw)


@pytest.mark.parametrize("name,params", BAD_PARAMS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_PARAMS)])
def test_bad_parameters_raise_value_error_as_torch(name, params):
    with pytest.raises(ValueError):
        _mk(torch, name, params)
    with pytest.raises(ValueError, match="Expected parameter|Uniform|low"):
        _mk(ember, name, params)


BAD_VALUES = [
    ("Exponential", dict(rate=[1.0]), [-1.0]),
    ("Bernoulli", dict(probs=[0.5]), [0.5]),
    ("Uniform", dict(low=[0.0], high=[1.0]), [2.0]),
    ("Beta", dict(concentration1=[1.0], concentration0=[1.0]), [1.5]),
    ("Gamma", dict(concentration=[1.0], rate=[1.0]), [-0.1]),
    ("Binomial", dict(total_count=[3.0], probs=[0.5]), [4.0]),
    ("Dirichlet", dict(concentration=[1.0, 1.0]), [0.3, 0.3]),
    ("OneHotCategorical", dict(probs=[0.5, 0.5]), [1.0, 1.0]),
]


@pytest.mark.parametrize("name,params,value", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_values_outside_the_support_raise_value_error_as_torch(name, params, value):
    with pytest.raises(ValueError):
        _mk(torch, name, params).log_prob(torch.tensor(value))
    with pytest.raises(ValueError, match="support"):
        _mk(ember, name, params).log_prob(ember.tensor(value))
    _mk(ember, name, params, validate_args=False).log_prob(ember.tensor(value))   # no check


def test_categorical_value_out_of_range_and_shape_errors():
    d, t = D.Categorical(logits=ember.zeros(3)), torch.distributions.Categorical(logits=torch.zeros(3))
    for bad in ([3], [-1]):
        with pytest.raises(ValueError):
            t.log_prob(torch.tensor(bad))
        with pytest.raises(ValueError):
            d.log_prob(ember.tensor(bad))
    n, tn = D.Normal(ember.zeros(3), 1.0), torch.distributions.Normal(torch.zeros(3), 1.0)
    with pytest.raises(ValueError):
        tn.log_prob(torch.zeros(4))
    with pytest.raises(ValueError, match="broadcastable"):
        n.log_prob(ember.zeros(4))
    with pytest.raises(ValueError, match="must be a Tensor"):
        n.log_prob(0.5)
    mvn = D.MultivariateNormal(ember.zeros(2), ember.eye(2))
    with pytest.raises(ValueError, match="event_shape"):
        mvn.log_prob(ember.zeros(3))


def test_probs_and_logits_exactly_one():
    for lib, mod in ((ember, D), (torch, torch.distributions)):
        for cls in ("Bernoulli", "Categorical", "Binomial"):
            with pytest.raises(ValueError):
                getattr(mod, cls)(probs=lib.tensor([0.5]), logits=lib.tensor([0.0]))
            with pytest.raises(ValueError):
                getattr(mod, cls)()
    with pytest.raises(ValueError):
        D.MultivariateNormal(ember.zeros(2), ember.eye(2), scale_tril=ember.eye(2))


def test_set_default_validate_args():
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(ember.tensor(0.0), ember.tensor(-1.0))
        D.Exponential(1.0).log_prob(ember.tensor(-1.0))
        with pytest.raises(ValueError):
            D.Normal(ember.tensor(0.0), ember.tensor(-1.0), validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(ember.tensor(0.0), ember.tensor(-1.0))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")
