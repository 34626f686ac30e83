"""Linear, Bilinear, Identity, Flatten, Unflatten against PyTorch; default initialisation."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import compare_module


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("train", [True, False])
def test_linear_matches_torch(bias, shape, train):
    e, t = ember.nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    compare_module(e, t, _x(*shape), train=train)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())


def test_linear_float64():
    e, t = ember.nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()
    compare_module(e, t, _x(2, 4).astype(np.float64), atol=1e-12, rtol=1e-10)


def test_linear_error_names_layer_and_shapes():
    with pytest.raises(RuntimeError) as ei:
        ember.nn.Linear(490, 10)(ember.randn(10, 49))
    assert str(ei.value).startswith(
        "Linear(in_features=490, out_features=10, bias=True): input has 49 features (input shape (10, 49))")


def test_linear_default_init_bounds_and_distribution():
    ember.manual_seed(0)
    m = ember.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = m.weight._data
    assert w.dtype == np.float32 and w.shape == (300, 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.01)  # std of U(-b, b)
    b = m.bias._data
    assert np.abs(b).max() <= bound and b.std() > 0.4 * bound
    # torch draws from the same distribution
    t = torch.nn.Linear(400, 300)
    np.testing.assert_allclose(t.weight.detach().numpy().std(), w.std(), rtol=0.02)


def test_linear_init_reproducible_with_seed():
    ember.manual_seed(3)
    a = ember.nn.Linear(5, 5).weight._data.copy()
    ember.manual_seed(3)
    b = ember.nn.Linear(5, 5).weight._data
    np.testing.assert_array_equal(a, b)


def test_lazy_linear():
    m = ember.nn.LazyLinear(3)
    y = m(ember.randn(2, 7))
    assert y.shape == (2, 3) and m.weight.shape == (3, 7) and m.in_features == 7


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    e, t = ember.nn.Bilinear(3, 4, 5, bias=bias), torch.nn.Bilinear(3, 4, 5, bias=bias)
    compare_module(e, t, _x(6, 3), _x(6, 4, seed=1), atol=1e-5)
    compare_module(e, t, _x(2, 2, 3), _x(2, 2, 4, seed=1), atol=1e-5)
    assert repr(e) == repr(t)
    bound = 1 / math.sqrt(3)
    assert np.abs(e.weight._data).max() <= bound
    with pytest.raises(RuntimeError, match="features"):
        e(ember.randn(2, 4), ember.randn(2, 4))


def test_identity_flatten_unflatten():
    x = _x(2, 3, 4, 5)
    for make in (lambda lib: lib.nn.Identity(54, unused=1), lambda lib: lib.nn.Flatten(),
                 lambda lib: lib.nn.Flatten(0, 2), lambda lib: lib.nn.Flatten(2),
                 lambda lib: lib.nn.Unflatten(1, (3, 1)), lambda lib: lib.nn.Unflatten(-1, (5, 1))):
        e, t = make(ember), make(torch)
        compare_module(e, t, x)
        assert repr(e) == repr(t)
