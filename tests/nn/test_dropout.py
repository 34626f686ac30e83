"""Dropout layers: statistics in training, identity in eval, repr (the functional ops: tests/ops/test_dropout.py)."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_in_training(p):
    m = ember.nn.Dropout(p)
    x = ember.ones(200, 500)
    y = m(x)._data
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # kept units scaled by 1/(1-p)
    assert abs(y.mean() - 1) < 0.02  # expectation preserved
    assert y.dtype == np.float32


def test_dropout_identity_in_eval_and_p0():
    x = ember.randn(4, 5)
    m = ember.nn.Dropout(0.5).eval()
    assert m(x) is x
    assert ember.nn.Dropout(0.0)(x) is x


def test_dropout_p1_zeroes_everything():
    y = ember.nn.Dropout(1.0)(ember.ones(3, 3))
    assert np.all(y._data == 0)


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        ember.nn.Dropout(1.5)


def test_dropout2d_drops_whole_channels():
    ember.manual_seed(0)
    y = ember.nn.Dropout2d(0.5)(ember.ones(16, 32, 3, 3))._data
    per_channel = y.reshape(16, 32, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.35 < (per_channel[..., 0] == 0).mean() < 0.65
    assert ember.nn.Dropout2d(0.5).eval()(ember.ones(2, 2, 2, 2))._data.min() == 1


def test_dropout_repr_matches_torch():
    for p, inplace in [(0.5, False), (0.2, True)]:
        assert repr(ember.nn.Dropout(p, inplace)) == repr(torch.nn.Dropout(p, inplace))
        assert repr(ember.nn.Dropout2d(p, inplace)) == repr(torch.nn.Dropout2d(p, inplace))


def test_dropout_eval_matches_torch_in_a_model():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.Dropout(0.5), lib.nn.Linear(4, 2))
    e, t = build(ember), build(torch)
    t.load_state_dict({k: torch.tensor(v._data) for k, v in e.state_dict().items()})
    e.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x))._data, t(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance():
    x = ember.randn(500, 400)
    y = ember.nn.AlphaDropout(0.2)(x)._data
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    values, counts = np.unique(y, return_counts=True)
    assert 0.18 < counts.max() / y.size < 0.22  # every dropped unit takes the same value
    assert ember.nn.AlphaDropout(0.2).eval()(x) is x
    assert repr(ember.nn.AlphaDropout(0.2)) == repr(torch.nn.AlphaDropout(0.2))


def test_feature_alpha_dropout_whole_channels():
    y = ember.nn.FeatureAlphaDropout(0.5)(ember.zeros(8, 16, 3, 3))._data.reshape(8, 16, 9)
    assert np.all(y.max(-1) == y.min(-1))  # constant per channel (input is zero)
    assert len(np.unique(np.round(y, 5))) == 2
