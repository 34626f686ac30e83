"""nn.init: gains and fans as PyTorch, distributions and bounds (streams differ from torch's)."""
import math

import numpy as np
import pytest
import torch

import ember
from ember.nn import init


@pytest.mark.parametrize("nl, param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                       ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                                       ("conv_transpose2d", None)])
def test_calculate_gain_matches_torch(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3, 3), (6, 2, 5)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_needs_2d():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))


def _big(*shape):
    return ember.nn.Parameter(ember.empty(*shape))


def test_uniform_normal_constant_fills():
    t = _big(200, 300)
    assert init.uniform_(t, -2, 3) is t
    assert t._data.min() >= -2 and t._data.max() <= 3 and abs(t._data.mean() - 0.5) < 0.05
    init.normal_(t, 1.0, 2.0)
    assert abs(t._data.mean() - 1) < 0.03 and abs(t._data.std() - 2) < 0.03
    init.constant_(t, 0.3)
    assert np.all(t._data == np.float32(0.3))
    init.ones_(t)
    assert np.all(t._data == 1)
    init.zeros_(t)
    assert np.all(t._data == 0)
    assert t.requires_grad and t._data.dtype == np.float32 and t.grad_fn is None


def test_init_bumps_version_and_works_on_leaf_params():
    p = _big(3, 3)
    v = p._version
    init.normal_(p)
    assert p._version > v


def test_eye_and_dirac_match_torch():
    e, t = ember.empty(3, 5), torch.empty(3, 5)
    init.eye_(e)
    torch.nn.init.eye_(t)
    np.testing.assert_array_equal(e._data, t.numpy())
    for groups in (1, 2):
        e, t = ember.empty(4, 2, 3, 3), torch.empty(4, 2, 3, 3)
        init.dirac_(e, groups)
        torch.nn.init.dirac_(t, groups)
        np.testing.assert_array_equal(e._data, t.numpy())


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    t = _big(*shape)
    init.xavier_uniform_(t, gain=2.0)
    a = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(t._data).max() <= a and np.abs(t._data).max() > 0.98 * a
    init.xavier_normal_(t)
    np.testing.assert_allclose(t._data.std(), math.sqrt(2 / (fan_in + fan_out)), rtol=0.03)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nl, a", [("relu", 0), ("leaky_relu", math.sqrt(5)), ("leaky_relu", 0.1)])
def test_kaiming(mode, nl, a):
    t = _big(256, 64, 3, 3)
    fan = init._calculate_correct_fan(t, mode)
    std = torch.nn.init.calculate_gain(nl, a) / math.sqrt(fan)
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nl)
    bound = math.sqrt(3) * std
    assert np.abs(t._data).max() <= bound * (1 + 1e-6) and np.abs(t._data).max() > 0.98 * bound
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nl)
    np.testing.assert_allclose(t._data.std(), std, rtol=0.02)
    # torch's own draw has the same spread
    tt = torch.empty(256, 64, 3, 3)
    torch.nn.init.kaiming_normal_(tt, a=a, mode=mode, nonlinearity=nl)
    np.testing.assert_allclose(t._data.std(), tt.std().item(), rtol=0.03)


def test_kaiming_bad_mode():
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_uniform_(_big(3, 3), mode="fan_avg")


def test_trunc_normal():
    t = _big(300, 300)
    init.trunc_normal_(t, mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert t._data.min() >= -1 and t._data.max() <= 1.5
    tt = torch.empty(300, 300)
    torch.nn.init.trunc_normal_(tt, mean=0.5, std=1.0, a=-1.0, b=1.5)
    np.testing.assert_allclose(t._data.mean(), tt.mean().item(), atol=0.01)
    np.testing.assert_allclose(t._data.std(), tt.std().item(), rtol=0.02)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    t = _big(*shape)
    init.orthogonal_(t, gain=2.0)
    flat = t._data.reshape(shape[0], -1).astype(np.float64)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4 * np.eye(gram.shape[0]), atol=1e-5)


def test_sparse():
    t = _big(10, 20)
    init.sparse_(t, 0.3, std=0.1)
    assert np.all((t._data == 0).sum(axis=0) >= 3)


def test_generator_argument_reproducible():
    g = ember.Generator().manual_seed(1)
    a = init.normal_(ember.empty(5), generator=g)._data.copy()
    g.manual_seed(1)
    b = init.normal_(ember.empty(5), generator=g)._data
    np.testing.assert_array_equal(a, b)


def test_deprecated_alias_warns():
    with pytest.warns(FutureWarning):
        init.normal(ember.empty(3))
