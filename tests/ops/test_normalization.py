"""Normalisation ops (ember.ops.normalization) against PyTorch: batch / instance / layer / group / RMS
norm and normalize, values and gradients; gradcheck in float64."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.oracle import assert_close, check
from tests.both import assert_same


def _x(*shape, seed=0, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2 + shift).astype(np.float32)


def test_functional_batch_norm():
    x = _x(5, 3, 4)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    w, b = _x(3, seed=1), _x(3, seed=2)
    check(lambda a, ww, bb: F.batch_norm(a, ember.tensor(rm), ember.tensor(rv), ww, bb, training=True),
          lambda a, ww, bb: torch.nn.functional.batch_norm(a, torch.tensor(rm), torch.tensor(rv), ww, bb,
                                                           training=True), x, w, b, atol=1e-4)
    check(lambda a, ww, bb: F.batch_norm(a, ember.tensor(rm + 0.5), ember.tensor(rv * 2), ww, bb),
          lambda a, ww, bb: torch.nn.functional.batch_norm(a, torch.tensor(rm + 0.5), torch.tensor(rv * 2),
                                                           ww, bb), x, w, b, atol=1e-4)
    check(lambda a: F.batch_norm(a, None, None, training=True),
          lambda a: torch.nn.functional.batch_norm(a, None, None, training=True), x, atol=1e-4)


def test_batchnorm_gradcheck_float64():
    x = _x(4, 2, 3).astype(np.float64)
    w, b = _x(2, seed=1).astype(np.float64), _x(2, seed=2).astype(np.float64)
    inputs = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert ember.autograd.gradcheck(lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True), inputs)
    assert ember.autograd.gradcheck(lambda a, ww, bb: F.layer_norm(a, (3,), ww.repeat(2)[:3], bb.repeat(2)[:3]),
                                    inputs)


def test_functional_layer_and_group_norm():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    check(lambda a, ww, bb: F.layer_norm(a, (3,), ww, bb), lambda a, ww, bb: torch.nn.functional.layer_norm(a, (3,), ww, bb),
          x, w, b, atol=1e-4)
    w4, b4 = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    check(lambda a, ww, bb: F.group_norm(a, 2, ww, bb), lambda a, ww, bb: torch.nn.functional.group_norm(a, 2, ww, bb),
          x, w4, b4, atol=1e-4)
    check(lambda a: F.group_norm(a, 4), lambda a: torch.nn.functional.group_norm(a, 4), x, atol=1e-4)


def test_functional_normalize():
    x1 = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    check(lambda a: F.normalize(a, dim=1), lambda a: torch.nn.functional.normalize(a, dim=1), x1)
    check(lambda a: F.normalize(a, p=1, dim=0), lambda a: torch.nn.functional.normalize(a, p=1, dim=0), x1)


def test_functional_normalize_out():
    # out= was accepted and ignored (a new tensor returned, out untouched); torch writes into it via div(out=)
    x = _x(4, 3)
    oe, ot = ember.zeros(4, 3), torch.zeros(4, 3)
    re = F.normalize(ember.tensor(x), p=3, dim=0, out=oe)
    rt = torch.nn.functional.normalize(torch.tensor(x), p=3, dim=0, out=ot)
    assert re is oe and rt is ot
    assert_close(oe, ot)
    assert oe._version == ot._version
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        F.normalize(ember.tensor(x, requires_grad=True), out=ember.zeros(4, 3))
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        torch.nn.functional.normalize(torch.tensor(x, requires_grad=True), out=torch.zeros(4, 3))
    with ember.no_grad():
        assert F.normalize(ember.tensor(x, requires_grad=True), out=oe) is oe


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_functional_instance_norm_with_running_stats(use_input_stats):
    x, w, b = _x(3, 4, 5, shift=1.0), _x(4, seed=1), _x(4, seed=2)
    rm, rv = np.linspace(-1, 1, 4).astype(np.float32), np.linspace(0.5, 2, 4).astype(np.float32)
    e_rm, e_rv, t_rm, t_rv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    check(lambda a, ww, bb: F.instance_norm(a, e_rm, e_rv, ww, bb, use_input_stats, momentum=0.3),
          lambda a, ww, bb: torch.nn.functional.instance_norm(a, t_rm, t_rv, ww, bb, use_input_stats, momentum=0.3),
          x, w, b, atol=1e-4)
    assert_close(e_rm, t_rm, what="running_mean")
    assert_close(e_rv, t_rv, what="running_var")


def test_functional_rms_norm():
    x, w = _x(3, 4, 6), _x(4, 6, seed=1)
    check(lambda a, ww: F.rms_norm(a, (4, 6), ww), lambda a, ww: torch.nn.functional.rms_norm(a, (4, 6), ww),
          x, w, atol=1e-4)
    check(lambda a: F.rms_norm(a, 6, eps=1e-3), lambda a: torch.nn.functional.rms_norm(a, [6], eps=1e-3), x,
          atol=1e-4)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\].*\[\*, 5\].*\[3, 4, 6\]"):
        F.rms_norm(ember.tensor(x), (5,))


def test_per_channel_vectors_are_checked():
    x = ember.tensor(_x(2, 4, 3))
    with pytest.raises(RuntimeError, match="batch_norm: running_var should have 4 elements"):
        F.batch_norm(x, ember.zeros(4), ember.ones(3))
    with pytest.raises(RuntimeError, match="instance_norm: weight should have 4 elements"):
        F.instance_norm(x, weight=ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="group_norm: bias should have 4 elements"):
        F.group_norm(x, 2, ember.ones(4), ember.zeros(5))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("module, shape, train", [("BatchNorm2d(2)", (4, 4, 0, 2), False),
                                                  ("BatchNorm2d(2)", (4, 0, 3, 2), True),
                                                  ("BatchNorm1d(3)", (0, 0, 3), True), ("BatchNorm1d(3)", (0, 5), True),
                                                  ("BatchNorm1d(3)", (1, 0, 4), False)])
def test_batch_norm_passes_an_empty_batch_through_whatever_its_channels(module, shape, train):
    def f(t):
        m = eval("t.nn." + module, {"t": t}).train(train)
        x = t.zeros(shape, requires_grad=True)
        y = m(x)
        y.sum().backward()
        return y, x.grad, m.weight.grad, m.running_mean, m.num_batches_tracked
    assert_same(f)


@pytest.mark.parametrize("width", [3, 7, 8, 9, 16, 17, 24])
def test_layer_norm_rows_whose_variance_overflows_float32(width):
    rows = [[1e38, 1e38, -1e38], [3e38, 0.0, 1.0], [1e38, -1e38, 0.0], [1.0, 2.0, 3.0], [float("inf"), 1.0, 2.0],
            [-1e38, -1e38, -1e38]]
    n = 3 if width == 3 else width

    def f(t):
        x = t.tensor([r + [0.0] * (n - 3) for r in rows], requires_grad=True)
        y = t.nn.LayerNorm(n)(x)
        y.sum().backward()
        return y, x.grad
    assert_same(f)


@pytest.mark.parametrize("module, shape", [("BatchNorm2d(2)", (1, 0, 1, 1)), ("BatchNorm1d(2)", (1, 0, 1))])
def test_batch_norm_training_needs_more_than_one_value_per_channel_even_when_empty(module, shape):
    assert_same(lambda t: eval("t.nn." + module, {"t": t})(t.zeros(shape)), error=ValueError)


def test_group_norm_of_one_value_per_channel_whose_squared_mean_overflows():
    rows = [[3e38, 0.0], [-1e38, -1e38], [1e38, -1e38], [1.0, 2.0]]
    assert_same(lambda t: t.nn.functional.group_norm(t.tensor(rows), 1))


@pytest.mark.parametrize("width", [9, 16, 33, 40])
def test_rows_of_equal_values_whose_sum_overflows_float32(width):
    # the row's sum overflows float32; its mean does not (PyTorch gives 0: centred values are 0)
    # (rows of whole 8-float vectors: PyTorch takes E[x²] - mean², nan once x² overflows)
    assert_same(lambda t: t.nn.functional.layer_norm(t.tensor([[3e38] * width, [-2e38] * width, [1.0] * width]),
                                                     (width,)))
