"""Likelihood losses vs PyTorch (``ember/ops/loss/probabilistic.py``): BCE, BCE with logits,
KL divergence, Poisson NLL, Gaussian NLL.

Values and gradients (w.r.t. the target too where PyTorch gives one), every reduction and
weighting, extreme inputs, bad input, gradcheck and random shapes.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import ember
import ember.nn.functional as F
from tests.oracle import check
from tests.ops.loss._helpers import (REDUCTION, REDUCTIONS, SETTINGS, W4, X, assert_gradcheck, both,
                                     has, n64, normal, pair, seeded, u64)
from tests.both import assert_same

RNG = np.random.default_rng(7)


def _r(*shape, scale=1.5):
    return normal(RNG, *shape, scale=scale)


def _logits(*shape, scale=2.0):
    return normal(RNG, *shape, scale=scale)


# -- binary cross-entropy ---------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "full", "class"])
def test_binary_cross_entropy(weight, reduction):
    p = RNG.uniform(0.01, 0.99, (4, 3)).astype(np.float32)
    y = RNG.random((4, 3)).astype(np.float32)
    w = {None: None, "full": RNG.random((4, 3)), "class": RNG.random(3)}[weight]
    we, wt = pair(w.astype(np.float32)) if w is not None else (None, None)
    check(lambda a, b: F.binary_cross_entropy(a, b, weight=we, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy(a, b, weight=wt, reduction=reduction), p, y)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    e, _ = check(lambda a: F.binary_cross_entropy(a, ember.tensor(y), reduction="none"),
                 lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction="none"), p)
    assert e._data[0] == 100 and e._data[1] == 100 and np.isfinite(e._data).all()
    pe = ember.tensor(p, requires_grad=True)
    F.binary_cross_entropy(pe, ember.tensor(y)).backward()
    assert np.isfinite(pe.grad._data).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("weight", [None, "full", "class"])
def test_bce_with_logits(weight, pos_weight, reduction):
    x = _logits(5, 3)
    y = RNG.random((5, 3)).astype(np.float32)
    w = {None: None, "full": RNG.random((5, 3)), "class": RNG.random(3)}[weight]
    we, wt = pair(w.astype(np.float32)) if w is not None else (None, None)
    pw = RNG.uniform(0.5, 3, 3).astype(np.float32) if pos_weight else None
    pe, pt = pair(pw) if pos_weight else (None, None)
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=we, pos_weight=pe, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy_with_logits(a, b, weight=wt, pos_weight=pt, reduction=reduction),
          x, y)


@pytest.mark.parametrize("pos_weight", [False, True])
def test_bce_with_logits_extreme(pos_weight):
    x = np.array([[1e4, -1e4, 0.0, 50.0], [-1e4, 1e4, -50.0, 1e3]], np.float32)
    y = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]], np.float32)
    pw = np.array([1.0, 2.0, 3.0, 0.5], np.float32)
    pe, pt = pair(pw) if pos_weight else (None, None)
    e, _ = check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pe, reduction="none"),
                 lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=pt, reduction="none"),
                 x, y, rtol=1e-5)
    assert np.isfinite(e._data).all()


def test_bce_with_logits_pos_weight_broadcasts_over_k_dims():
    x = _logits(2, 3, 4)
    y = (RNG.random((2, 3, 4)) > 0.5).astype(np.float32)
    pw = RNG.uniform(0.5, 3, (3, 1)).astype(np.float32)
    check(lambda a: F.binary_cross_entropy_with_logits(a, ember.tensor(y), pos_weight=ember.tensor(pw)),
          lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y), pos_weight=torch.tensor(pw)), x)


# -- Kullback-Leibler divergence --------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:reduction. 'mean'")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4,), (3, 5), (2, 3, 4)], ids=str)
def test_kl_div(shape, log_target, reduction):
    x = np.log(RNG.dirichlet(np.ones(shape[-1]), size=shape[:-1])).astype(np.float32)
    y = RNG.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(np.float32)
    if log_target:
        y = np.log(y)
    kw = dict(reduction=reduction, log_target=log_target)
    check(lambda a, b: F.kl_div(a, b, **kw), lambda a, b: TF.kl_div(a, b, **kw), x, y)


def test_kl_div_zero_target_and_mean_warning():
    x = np.log(np.array([[0.2, 0.3, 0.5]], np.float32))
    y = np.array([[0.0, 0.4, 0.6]], np.float32)
    check(lambda a: F.kl_div(a, ember.tensor(y), reduction="sum"),
          lambda a: TF.kl_div(a, torch.tensor(y), reduction="sum"), x)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ember.tensor(x), ember.tensor(y))


# -- Poisson and Gaussian NLL -----------------------------------------------------------------
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
    assert np.isfinite(ye.grad._data).all()


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


# -- bad input --------------------------------------------------------------------------------
def test_bce_input_outside_unit_interval():
    p = np.array([-0.31, 0.5, 1.7], np.float32)
    msg = both("binary_cross_entropy", p, np.array([0.0, 1.0, 1.0], np.float32))
    has(msg, "between 0 and 1", "min -0.31", "max 1.7", "BCEWithLogitsLoss")


def test_bce_target_outside_unit_interval():
    msg = both("binary_cross_entropy", np.array([0.2, 0.5], np.float32), np.array([0.0, 2.0], np.float32))
    has(msg, "target", "between 0 and 1", "max 2")


def test_bce_nan_input_is_rejected():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([np.nan, 0.5]), ember.tensor([0.0, 1.0]))


def test_bce_shape_mismatch():
    p, y = np.array([0.2, 0.5], np.float32), np.array([[0.0, 1.0]], np.float32)
    has(both("binary_cross_entropy", p, y), r"target size \(ember.Size\(\[1, 2\]\)\)", r"\[2\]")
    has(both("binary_cross_entropy_with_logits", p, y), "must be the same as input size", r"view_as")


def test_gaussian_nll_bad_var():
    y = np.zeros((3, 4), np.float32)
    has(both("gaussian_nll_loss", X, y, np.ones(4, np.float32)), "var is of incorrect size", r"\(3, 4\)")
    has(both("gaussian_nll_loss", X, y, -np.ones((3, 4), np.float32)), "negative", "min -1")


# -- gradcheck (float64) ----------------------------------------------------------------------
GRADCHECK = {
    "poisson": (lambda a, b: F.poisson_nll_loss(a, b, reduction="none", full=True),
                lambda: (n64(3, 4), u64(3, 4, lo=1.2, hi=4))),
    "poisson_rate": (lambda a, b: F.poisson_nll_loss(a, b, log_input=False, reduction="none"),
                     lambda: (u64(3, 4, lo=0.5, hi=2), u64(3, 4, lo=0.5, hi=3))),
    "gaussian": (lambda a, b, v: F.gaussian_nll_loss(a, b, v, reduction="none"),
                 lambda: (n64(3, 4), n64(3, 4), u64(3, 1, lo=0.5, hi=2))),
    "bce": (lambda a, b: F.binary_cross_entropy(a, b, weight=W4, reduction="none"), lambda: (u64(3, 4), u64(3, 4))),
    "bce_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=W4, reduction="none"),
                   lambda: (n64(3, 4), u64(3, 4))),
    "kl": (lambda a, b: F.kl_div(a, b, reduction="none"), lambda: (n64(3, 4), u64(3, 4))),
    "kl_log": (lambda a, b: F.kl_div(a, b, reduction="none", log_target=True), lambda: (n64(3, 4), n64(3, 4))),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    assert_gradcheck(GRADCHECK, name)


# -- random shapes (hypothesis) ---------------------------------------------------------------
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 2**16), reduction=REDUCTION,
       pos=st.booleans(), scale=st.sampled_from([1.0, 100.0]))
def test_bce_with_logits_random(n, c, seed, reduction, pos, scale):
    x = seeded(seed, (n, c), scale)
    y = np.random.default_rng(seed + 1).random((n, c)).astype(np.float32)
    pw = np.random.default_rng(seed + 2).uniform(0.1, 3, c).astype(np.float32) if pos else None
    pe = ember.tensor(pw) if pos else None
    pt = torch.tensor(pw) if pos else None
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pe, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=pt, reduction=reduction),
          x, y, atol=1e-4)


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("pos_weight", [None, 2.0])
def test_bce_with_logits_gradient_at_infinite_logits(pos_weight):
    def f(t):
        x = t.tensor([float("inf"), float("-inf"), float("inf"), float("-inf"), 1e38, -1e38], requires_grad=True)
        pw = None if pos_weight is None else t.full((6,), pos_weight)
        loss = t.nn.functional.binary_cross_entropy_with_logits(x, t.tensor([1.0, 0.0, 0.5, 0.5, 1.0, 1.0]),
                                                                pos_weight=pw)
        loss.backward()
        return loss, x.grad
    assert_same(f)
