"""Dropout ops (ember.ops.dropout): masks from the global generator, gradients through the same mask."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F


def test_dropout_identity_when_not_training():
    x = ember.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(ember.ones(2), -0.1)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.alpha_dropout(ember.ones(2), 1.5, training=True)


def test_dropout_gradient_uses_the_same_mask():
    x = ember.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.3)
    g = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    y.backward(ember.tensor(g))
    mask = y._data / x._data
    np.testing.assert_allclose(x.grad._data, g * mask, rtol=1e-5, atol=1e-6)


def test_dropout_reproducible_with_manual_seed_and_uses_global_rng():
    ember.manual_seed(5)
    a = F.dropout(ember.ones(100), 0.5)._data
    ember.manual_seed(5)
    b = F.dropout(ember.ones(100), 0.5)._data
    c = F.dropout(ember.ones(100), 0.5)._data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_inplace():
    x = ember.ones(10, 10)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x._data)) <= {0.0, 2.0}


def test_alpha_dropout_gradient_is_scaled_mask():
    x = ember.randn(50, 40, requires_grad=True)
    y = F.alpha_dropout(x, 0.3, training=True)
    y.sum().backward()
    g = x.grad._data
    vals = np.unique(np.round(g, 6))
    assert len(vals) == 2 and 0.0 in vals  # dropped units get no gradient, kept ones a constant
    kept = g != 0
    offset = y._data[kept] - x._data[kept] * g[kept]  # kept units: y = a * x + b
    np.testing.assert_allclose(offset, offset[0], atol=1e-5)


def test_dropout2d_on_3d_input_warns_like_torch():
    with pytest.warns(UserWarning, match="dropout1d"):
        y = F.dropout2d(ember.ones(4, 8, 5), 0.5)._data
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))  # channel-wise over (N, C, L)
    with pytest.raises(RuntimeError, match="4-D"):
        F.dropout2d(ember.ones(2, 2), 0.5)


def test_dropout1d_unbatched_drops_whole_channels():
    # dropout1d on unbatched (C, L) input
    y3 = F.dropout1d(ember.ones(8, 5), 0.5)._data
    assert np.all((y3 == 0).all(-1) | (y3 == 2).all(-1))


def test_dropout3d_drops_whole_channels_and_checks_rank():
    ember.manual_seed(0)
    y = F.dropout3d(ember.ones(4, 8, 2, 2, 2), 0.5)._data.reshape(4, 8, 8)
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))
    with pytest.raises(RuntimeError, match="dropout3d: expected 4-D"):
        F.dropout3d(ember.ones(2, 2), 0.5)
