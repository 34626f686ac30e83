"""Property tests (hypothesis): random shapes and options, ember vs PyTorch."""
import warnings

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings, strategies as st

import ember
import ember.nn.functional as F
from tests.oracle import check

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REDUCTION = st.sampled_from(["none", "mean", "sum"])
small_shape = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def _arr(seed, shape, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@SETTINGS
@given(shape=small_shape, seed=st.integers(0, 2**16), reduction=REDUCTION,
       name=st.sampled_from(["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss"]))
def test_elementwise_losses_random_shapes(shape, seed, reduction, name):
    x, y = _arr(seed, shape), _arr(seed + 1, shape)
    if name == "soft_margin_loss":
        y = np.sign(y) + (y == 0)
        check(lambda a: F.soft_margin_loss(a, ember.tensor(y), reduction=reduction),
              lambda a: TF.soft_margin_loss(a, torch.tensor(y), reduction=reduction), x)
        return
    check(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
          lambda a, b: getattr(TF, name)(a, b, reduction=reduction), x, y)


@SETTINGS
@given(shape=small_shape, tshape=small_shape, seed=st.integers(0, 2**16), reduction=REDUCTION)
def test_broadcasting_regression_matches_torch(shape, tshape, seed, reduction):
    try:
        np.broadcast_shapes(shape, tshape)
    except ValueError:
        return
    x, y = _arr(seed, shape), _arr(seed + 1, tshape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(lambda a, b: F.mse_loss(a, b, reduction=reduction),
              lambda a, b: TF.mse_loss(a, b, reduction=reduction), x, y)


@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 6), kdims=st.lists(st.integers(1, 3), max_size=2),
       seed=st.integers(0, 2**16), reduction=REDUCTION, weighted=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.05, 0.5]), ignore=st.booleans(), scale=st.sampled_from([1.0, 30.0]))
def test_cross_entropy_random(n, c, kdims, seed, reduction, weighted, smoothing, ignore, scale):
    rng = np.random.default_rng(seed)
    x = _arr(seed, (n, c, *kdims), scale)
    t = rng.integers(0, c, (n, *kdims))
    ignore_index = int(rng.integers(0, c)) if ignore else -100
    w = rng.uniform(0.1, 3, c).astype(np.float32) if weighted else None
    te, tt = ember.tensor(t), torch.tensor(t)
    we = ember.tensor(w) if weighted else None
    wt = torch.tensor(w) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=ignore_index)
    check(lambda a: F.cross_entropy(a, te, weight=we, **kw), lambda a: TF.cross_entropy(a, tt, weight=wt, **kw),
          x, atol=1e-4)


@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 2**16), reduction=REDUCTION,
       pos=st.booleans(), scale=st.sampled_from([1.0, 100.0]))
def test_bce_with_logits_random(n, c, seed, reduction, pos, scale):
    x = _arr(seed, (n, c), scale)
    y = np.random.default_rng(seed + 1).random((n, c)).astype(np.float32)
    pw = np.random.default_rng(seed + 2).uniform(0.1, 3, c).astype(np.float32) if pos else None
    pe = ember.tensor(pw) if pos else None
    pt = torch.tensor(pw) if pos else None
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pe, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=pt, reduction=reduction),
          x, y, atol=1e-4)


@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_cross_entropy_bounds_and_gradient_rows_sum_to_zero(n, c, seed):
    """Loss >= 0; each row of d(loss)/d(logits) sums to 0 (softmax - onehot)."""

    x = ember.tensor(_arr(seed, (n, c), 10.0), requires_grad=True)
    t = ember.tensor(np.random.default_rng(seed).integers(0, c, n))
    loss = F.cross_entropy(x, t, reduction="sum")
    loss.backward()
    assert loss.item() >= 0
    np.testing.assert_allclose(x.grad.data.sum(axis=1), 0, atol=1e-5)
