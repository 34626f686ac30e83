"""Regression losses vs PyTorch: L1, MSE, SmoothL1, Huber, PoissonNLL, GaussianNLL.

Values and gradients w.r.t. input and target (PyTorch differentiates both), every reduction,
legacy ``size_average``/``reduce``, per-element weights, and the broadcasting warning.
"""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.oracle import assert_close, check

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(2)
SHAPES = [(), (5,), (3, 4), (2, 3, 2)]


def _r(*shape, scale=1.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def test_tutorial_printed_values():
    x = ember.tensor([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
    y = ember.tensor([1.0, 2.0, 5.0]).reshape(1, 1, 1, 3)
    assert round(ember.nn.L1Loss()(x, y).item(), 4) == 0.6667
    assert ember.nn.L1Loss(reduction="sum")(x, y).item() == 2.0
    assert round(ember.nn.MSELoss()(x, y).item(), 4) == 1.3333
    loss = ember.nn.CrossEntropyLoss()(ember.tensor([[0.1, 0.2, 0.3]]), ember.tensor([1]))
    assert round(loss.item(), 4) == 1.1019


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


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll(log_input, full, reduction):
    x = _r(4, 3) if log_input else RNG.uniform(0.1, 4, (4, 3)).astype(np.float32)
    y = (RNG.poisson(2.0, (4, 3)) + RNG.uniform(0.2, 0.6, (4, 3))).astype(np.float32)
    y[0, 0], y[0, 1] = 0.5, 1.0                               # Stirling's term only where y > 1
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    check(lambda a, b: F.poisson_nll_loss(a, b, **kw), lambda a, b: TF.poisson_nll_loss(a, b, **kw), x, y)


def test_poisson_nll_full_zero_target():
    """y = 0 with full=True: same loss and input gradient as PyTorch; the gradient w.r.t. the
    target is finite in ember where PyTorch's is nan (0 * log 0 through its mask)."""
    x, y = _r(2, 3), np.array([[0.0, 1.0, 3.0], [0.0, 2.0, 0.5]], np.float32)
    check(lambda a: F.poisson_nll_loss(a, ember.tensor(y), full=True),
          lambda a: TF.poisson_nll_loss(a, torch.tensor(y), full=True), x)
    ye = ember.tensor(y, requires_grad=True)
    F.poisson_nll_loss(ember.tensor(x), ye, full=True).backward()
    assert np.isfinite(ye.grad.data).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(4, 3), (4, 1), (4,)], ids=str)
def test_gaussian_nll(var_shape, full, reduction):
    var = RNG.uniform(0.1, 2, var_shape).astype(np.float32)
    var.flat[0] = 1e-8                                        # clamped to eps, gradient passes through
    kw = dict(full=full, reduction=reduction)
    check(lambda a, b, v: F.gaussian_nll_loss(a, b, v, **kw),
          lambda a, b, v: TF.gaussian_nll_loss(a, b, v, **kw), _r(4, 3), _r(4, 3), var, rtol=2e-4)


def test_gaussian_nll_float_var():
    check(lambda a, b: F.gaussian_nll_loss(a, b, 0.5), lambda a, b: TF.gaussian_nll_loss(a, b, 0.5),
          _r(3, 2), _r(3, 2))


@pytest.mark.parametrize("legacy,expected", [
    (dict(size_average=False), "sum"), (dict(reduce=False), "none"),
    (dict(size_average=True, reduce=True), "mean"), (dict(size_average=False, reduce=False), "none")])
def test_legacy_size_average_reduce(legacy, expected):
    x, y = _r(3, 2), _r(3, 2)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        got = F.mse_loss(ember.tensor(x), ember.tensor(y), **legacy)
    assert_close(got, TF.mse_loss(torch.tensor(x), torch.tensor(y), reduction=expected))
    with pytest.warns(UserWarning):
        assert ember.nn.L1Loss(**legacy).reduction == expected


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
