"""Distribution.expand against torch: shapes, parameter views (no copy), values of log_prob, entropy
and moments on the expanded distribution, validate_args kept, errors, and subclasses."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as D

R = np.random.default_rng(5)


def _spd(k):
    a = R.normal(size=(k, k))
    return a @ a.T + k * np.eye(k)


# name -> (params, fixed kwargs, new batch shape, value of the new batch + event shape generator)
CASES = {
    "Normal": (dict(loc=R.normal(size=(3,)), scale=R.uniform(0.5, 2, (3,))), {}, (4, 3)),
    "Laplace": (dict(loc=R.normal(size=(1, 3)), scale=R.uniform(0.5, 2, (1, 3))), {}, (2, 5, 3)),
    "Uniform": (dict(low=R.uniform(-2, -1, (3,)), high=R.uniform(1, 2, (3,))), {}, (2, 3)),
    "Exponential": (dict(rate=R.uniform(0.5, 2, (1,))), {}, (4,)),
    "Gamma": (dict(concentration=R.uniform(0.5, 3, (3,)), rate=R.uniform(0.5, 2, (3,))), {}, (2, 3)),
    "Beta": (dict(concentration1=R.uniform(0.5, 3, (3,)), concentration0=R.uniform(0.5, 3, (3,))), {}, (2, 3)),
    "Dirichlet": (dict(concentration=R.uniform(0.5, 3, (1, 4))), {}, (3, 2)),
    "Bernoulli": (dict(probs=R.uniform(0.1, 0.9, (3,))), {}, (2, 3)),
    "Bernoulli_logits": (dict(logits=R.normal(size=(3,))), {}, (2, 3)),
    "Binomial": (dict(probs=R.uniform(0.1, 0.9, (3,))), dict(total_count=6), (2, 3)),
    "Categorical": (dict(probs=R.uniform(0.1, 1, (1, 5))), {}, (4, 3)),
    "Categorical_logits": (dict(logits=R.normal(size=(5,))), {}, (2,)),
    "OneHotCategorical": (dict(logits=R.normal(size=(3, 4))), {}, (2, 3)),
    "MultivariateNormal": (dict(loc=R.normal(size=(3,)), covariance_matrix=_spd(3)), {}, (2, 4)),
    "MultivariateNormal_tril": (dict(loc=R.normal(size=(1, 2)), scale_tril=np.linalg.cholesky(_spd(2))), {}, (3,)),
}


def _build(lib, name, params, fixed, **kw):
    mod = D if lib is ember else torch.distributions
    tensors = {k: lib.tensor(v, dtype=lib.float64) for k, v in params.items()}
    return getattr(mod, name.split("_")[0])(**tensors, **fixed, **kw)


def _to_ember(t):
    return ember.tensor(t.numpy())


@pytest.mark.parametrize("name", sorted(CASES))
def test_expand_matches_torch(name):
    params, fixed, shape = CASES[name]
    ed, td = _build(ember, name, params, fixed), _build(torch, name, params, fixed)
    ee, te = ed.expand(shape), td.expand(torch.Size(shape))
    assert type(ee) is type(ed)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape) == shape
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    for k in list(params) + list(fixed):
        ev, tv = getattr(ee, k), getattr(te, k)
        assert tuple(ev.shape) == tuple(tv.shape), k
        np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-12, err_msg=k)
        assert np.shares_memory(ev._data, getattr(ed, k)._data), f"{k} was copied"
    assert ee._validate_args is ed._validate_args
    for sample_shape in [(), (2,)]:
        es, ts = ee.sample(sample_shape), te.sample(sample_shape)
        assert tuple(es.shape) == tuple(ts.shape)
        value = ts
        el, tl = ee.log_prob(_to_ember(value)), te.log_prob(value)
        assert tuple(el.shape) == tuple(tl.shape)
        np.testing.assert_allclose(el.numpy(), tl.numpy(), rtol=1e-9, atol=1e-12)
        assert tuple(ee.log_prob(es).shape) == tuple(tl.shape)
    for prop in ["mean", "variance", "mode"]:
        np.testing.assert_allclose(getattr(ee, prop).numpy(), getattr(te, prop).numpy(), rtol=1e-9,
                                   equal_nan=True, err_msg=prop)
    np.testing.assert_allclose(ee.entropy().numpy(), te.entropy().numpy(), rtol=1e-9)


def test_expand_of_a_0d_distribution_and_sample_shape():
    ed, td = D.Gamma(ember.tensor(2.0), ember.tensor(3.0)), torch.distributions.Gamma(torch.tensor(2.0),
                                                                                       torch.tensor(3.0))
    ee, te = ed.expand([2, 3]), td.expand([2, 3])
    assert tuple(ee.batch_shape) == tuple(te.batch_shape) == (2, 3)
    assert tuple(ee.rsample((4,)).shape) == tuple(te.rsample((4,)).shape) == (4, 2, 3)


def test_expand_keeps_the_graph_to_the_parameters():
    loc = ember.tensor([0.5, -1.0], requires_grad=True)
    d = D.Normal(loc, 1.0).expand((3, 2))
    d.log_prob(ember.zeros(3, 2)).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [-1.5, 3.0])   # sum over the 3 copies of -(0 - loc)


def test_independent_expand_matches_torch():
    ed = D.Independent(D.Normal(ember.zeros(3, 4), ember.ones(3, 4)), 1)
    td = torch.distributions.Independent(torch.distributions.Normal(torch.zeros(3, 4), torch.ones(3, 4)), 1)
    ee, te = ed.expand((2, 3)), td.expand((2, 3))
    assert tuple(ee.batch_shape) == tuple(te.batch_shape) == (2, 3)
    assert tuple(ee.event_shape) == tuple(te.event_shape) == (4,)
    assert tuple(ee.base_dist.batch_shape) == tuple(te.base_dist.batch_shape) == (2, 3, 4)
    assert ee.reinterpreted_batch_ndims == 1
    v = R.normal(size=(5, 2, 3, 4))
    np.testing.assert_allclose(ee.log_prob(ember.tensor(v, dtype=ember.float32)).numpy(),
                               te.log_prob(torch.tensor(v, dtype=torch.float32)).numpy(), rtol=1e-6)
    assert tuple(ee.sample((5,)).shape) == tuple(te.sample((5,)).shape)


def test_expand_keeps_validate_args():
    for flag in (False, True):
        for lib, mod in ((ember, D), (torch, torch.distributions)):
            d = mod.Exponential(lib.tensor([1.0]), validate_args=flag).expand((3,))
            assert d._validate_args is flag
            if flag:
                with pytest.raises(ValueError):
                    d.log_prob(lib.tensor([-1.0, 1.0, 1.0]))
            else:
                d.log_prob(lib.tensor([-1.0, 1.0, 1.0]))


def test_expand_to_an_incompatible_shape_raises_runtime_error_as_torch():
    with pytest.raises(RuntimeError):
        torch.distributions.Normal(torch.zeros(2), 1.0).expand((3, 3))
    with pytest.raises(RuntimeError, match="expanded size"):
        D.Normal(ember.zeros(2), 1.0).expand((3, 3))


def test_subclass_with_its_own_init_must_define_expand():
    for mod, lib in ((torch.distributions, torch), (D, ember)):
        class Custom(mod.Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)

        class Plain(mod.Normal):
            pass

        with pytest.raises(NotImplementedError, match="Subclass Custom of Normal that defines a custom __init__"):
            Custom(lib.zeros(2)).expand((3, 2))
        e = Plain(lib.zeros(2), 1.0).expand((3, 2))
        assert type(e) is Plain and tuple(e.batch_shape) == (3, 2)

        class WithExpand(mod.Normal):
            def __init__(self, loc, tag="x"):
                self.tag = tag
                super().__init__(loc, 1.0)

            def expand(self, batch_shape, _instance=None):
                new = self._get_checked_instance(WithExpand, _instance)
                new.tag = self.tag
                return super().expand(batch_shape, _instance=new)

        e = WithExpand(lib.zeros(2), tag="y").expand((4, 2))
        assert type(e) is WithExpand and e.tag == "y" and tuple(e.loc.shape) == (4, 2)
