"""Regression losses vs PyTorch (``ember/ops/loss/regression.py``): L1, MSE, SmoothL1, Huber.

Values and gradients w.r.t. input and target (PyTorch differentiates both), every reduction,
per-element weights, the broadcasting warning, bad input, gradcheck and random shapes.
"""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import ember
import ember.nn.functional as F
from tests.oracle import check
from tests.ops.loss._helpers import (REDUCTION, REDUCTIONS, SETTINGS, X, assert_gradcheck, n64, normal,
                                     seeded, small_shape)
from tests.both import assert_same

RNG = np.random.default_rng(2)
SHAPES = [(), (5,), (3, 4), (2, 3, 2)]


def _r(*shape, scale=1.5):
    return normal(RNG, *shape, scale=scale)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_l1_mse(name, shape, reduction):
    check(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
          lambda a, b: getattr(TF, name)(a, b, reduction=reduction), _r(*shape), _r(*shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0, 3.0])
def test_smooth_l1(beta, reduction):
    check(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
          lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=beta), _r(4, 5), _r(4, 5))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber(delta, reduction):
    check(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=delta),
          lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=delta), _r(4, 5), _r(4, 5))


def test_huber_is_delta_times_smooth_l1():
    x, y = ember.tensor(_r(20)), ember.tensor(_r(20))
    np.testing.assert_allclose(F.huber_loss(x, y, delta=2.0).item(),
                               2.0 * F.smooth_l1_loss(x, y, beta=2.0).item(), rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
def test_weighted_regression(name, reduction):
    """PyTorch 2.13's ``weight=``: L1/MSE 'mean' divide by sum(weight), Huber by the count."""
    w = RNG.uniform(0.1, 2, (3, 4)).astype(np.float32)
    check(lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
          lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c), _r(3, 4), _r(3, 4), w)


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("shapes", [((3, 1), (3,)), ((3,), (1,)), ((2, 1, 4), (3, 1))], ids=str)
def test_broadcast_warns_like_torch_and_gives_same_numbers(name, shapes):
    sx, sy = shapes
    x, y = _r(*sx), _r(*sy)
    with pytest.warns(UserWarning, match="Using a target size") as rec:
        check(getattr(F, name), getattr(TF, name), x, y)
    msg = str(rec[0].message)
    assert f"different to the input size (ember.Size({list(sx)}))" in msg
    assert "broadcasting" in msg


def test_same_shape_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(ember.tensor(_r(3, 2)), ember.tensor(_r(3, 2)))


def test_float64_and_mixed_precision():
    x, y = _r(3, 2).astype(np.float64), _r(3, 2)
    check(F.mse_loss, TF.mse_loss, x, y)
    check(F.l1_loss, TF.l1_loss, x, x * 0.5)


def test_integer_target_is_promoted():
    """An int target with a float input promotes to float (PyTorch does the same for l1_loss)."""
    x, y = _r(2, 3), np.arange(6).reshape(2, 3)
    check(lambda a: F.l1_loss(a, ember.tensor(y)), lambda a: TF.l1_loss(a, torch.tensor(y)), x)


def test_empty_inputs_mean_is_nan():
    x = np.zeros((0, 3), np.float32)
    check(F.mse_loss, TF.mse_loss, x, x)
    check(lambda a, b: F.l1_loss(a, b, reduction="sum"), lambda a, b: TF.l1_loss(a, b, reduction="sum"), x, x)


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using a target size")      # PyTorch warns before it raises
def test_regression_shapes_that_cannot_broadcast():
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(3,\)"):
        F.mse_loss(ember.tensor(X), ember.zeros(3))
    with pytest.raises(RuntimeError):
        TF.mse_loss(torch.tensor(X), torch.zeros(3))


def test_regression_integer_inputs():
    with pytest.raises(RuntimeError, match=r"floating-point.*\.float\(\)"):
        F.l1_loss(ember.tensor([1, 2]), ember.tensor([1, 3]))


# -- gradcheck (float64) ----------------------------------------------------------------------
GRADCHECK = {
    "l1": (lambda a, b: F.l1_loss(a, b, reduction="none"), lambda: (n64(3, 4), n64(3, 4))),
    "mse": (lambda a, b: F.mse_loss(a, b, reduction="none"), lambda: (n64(3, 4), n64(3, 4))),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=0.7), lambda: (n64(3, 4), n64(3, 4))),
    "huber": (lambda a, b: F.huber_loss(a, b, reduction="none", delta=0.7), lambda: (n64(3, 4), n64(3, 4))),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    assert_gradcheck(GRADCHECK, name)


# -- random shapes (hypothesis) ---------------------------------------------------------------
@SETTINGS
@given(shape=small_shape, seed=st.integers(0, 2**16), reduction=REDUCTION,
       name=st.sampled_from(["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"]))
def test_elementwise_losses_random_shapes(shape, seed, reduction, name):
    x, y = seeded(seed, shape), seeded(seed + 1, shape)
    check(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
          lambda a, b: getattr(TF, name)(a, b, reduction=reduction), x, y)


@SETTINGS
@given(shape=small_shape, tshape=small_shape, seed=st.integers(0, 2**16), reduction=REDUCTION)
def test_broadcasting_regression_matches_torch(shape, tshape, seed, reduction):
    try:
        np.broadcast_shapes(shape, tshape)
    except ValueError:
        return
    x, y = seeded(seed, shape), seeded(seed + 1, tshape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(lambda a, b: F.mse_loss(a, b, reduction=reduction),
              lambda a, b: TF.mse_loss(a, b, reduction=reduction), x, y)


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("loss", ["l1_loss", "smooth_l1_loss"])
def test_l1_gradient_where_the_difference_is_nan_is_zero(loss):
    kw = {"beta": 0.0} if loss == "smooth_l1_loss" else {}

    def f(t):
        x = t.tensor([1.0, float("nan"), float("inf"), 2.0, 3.0], requires_grad=True)
        getattr(t.nn.functional, loss)(x, t.tensor([1.0, 1.0, float("inf"), float("nan"), -1.0]), **kw).backward()
        return x.grad
    assert_same(f)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_gradient_near_the_float32_maximum(reduction):
    def f(t):
        x = t.tensor([1e38, 3e38, -1e38], requires_grad=True)
        t.nn.functional.mse_loss(x, t.tensor([-1e38, 0.0, 1.0]), reduction=reduction).backward()
        return x.grad
    assert_same(f)
