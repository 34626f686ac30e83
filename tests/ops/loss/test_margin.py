"""Margin losses vs PyTorch (``ember/ops/loss/margin.py``): soft margin, multi-label soft margin,
multi-class margin, multi-label margin; bad targets, gradcheck and random shapes.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import ember
import ember.nn.functional as F
from tests.oracle import check
from tests.ops.loss._helpers import (GRAD_RNG, REDUCTION, REDUCTIONS, SETTINGS, W4, X, assert_gradcheck,
                                     both, class_targets, const, has, n64, normal, pair, seeded,
                                     small_shape, u64)

RNG = np.random.default_rng(8)


def _logits(*shape, scale=2.0):
    return normal(RNG, *shape, scale=scale)


def _targets(shape, c, ignore=None, frac=0.3):
    return class_targets(RNG, shape, c, ignore, frac)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (4, 3)], ids=str)
def test_soft_margin_loss(shape, reduction):
    x = _logits(*shape)
    y = np.where(RNG.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)
    check(lambda a: F.soft_margin_loss(a, ember.tensor(y), reduction=reduction),
          lambda a: TF.soft_margin_loss(a, torch.tensor(y), reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5,), (4, 5)], ids=str)
def test_multilabel_soft_margin_loss(shape, weighted, reduction):
    x = _logits(*shape)
    y = (RNG.random(shape) > 0.5).astype(np.float32)
    w = RNG.random(shape[-1]).astype(np.float32)
    args = (x, y, w) if weighted else (x, y)
    check(lambda a, b, *c: F.multilabel_soft_margin_loss(a, b, *c, reduction=reduction),
          lambda a, b, *c: TF.multilabel_soft_margin_loss(a, b, *c, reduction=reduction), *args)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 1.0), (1, 0.3), (2, 2.5)])
@pytest.mark.parametrize("shapes", [((5,), ()), ((6, 5), (6,))], ids=str)
def test_multi_margin_loss(shapes, p, margin, weighted, reduction):
    xs, ts = shapes
    x = _logits(*xs, scale=0.8)
    t = _targets(ts, xs[-1])
    w = RNG.uniform(0.2, 2, xs[-1]).astype(np.float32) if weighted else None
    we, wt = pair(w) if weighted else (None, None)
    kw = dict(p=p, margin=margin, reduction=reduction)
    check(lambda a: F.multi_margin_loss(a, ember.tensor(t), weight=we, **kw),
          lambda a: TF.multi_margin_loss(a, torch.tensor(t), weight=wt, **kw), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    x = _logits(4, 5, scale=0.7)
    t = np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, -1], [-1, 0, 1, 2, 3], [0, 1, 2, 3, 4]])
    check(lambda a: F.multilabel_margin_loss(a, ember.tensor(t), reduction=reduction),
          lambda a: TF.multilabel_margin_loss(a, torch.tensor(t), reduction=reduction), x)
    check(lambda a: F.multilabel_margin_loss(a, ember.tensor(t[0]), reduction=reduction),
          lambda a: TF.multilabel_margin_loss(a, torch.tensor(t[0]), reduction=reduction), x[0])


# -- bad input --------------------------------------------------------------------------------
def test_margin_losses_bad_targets():
    has(both("multi_margin_loss", X, np.array([0, 1, 4])), "out of range", r"0\.\.3")
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(ember.tensor(X), ember.tensor([0, 1, 2]), p=3)
    has(both("multilabel_margin_loss", X, np.array([0, 1, 2])), "inconsistent target size")
    has(both("multilabel_margin_loss", X, np.array([[0, 1, 7, 2]] * 3)), "out of range")


# -- gradcheck (float64) ----------------------------------------------------------------------
SIGNS = np.sign(GRAD_RNG.standard_normal((3, 4)))
GRADCHECK = {
    "soft_margin": (lambda a: F.soft_margin_loss(a, const(SIGNS), reduction="none"),
                    lambda: (n64(3, 4),)),
    "multilabel_soft_margin": (lambda a, b, w: F.multilabel_soft_margin_loss(a, b, w, reduction="none"),
                               lambda: (n64(3, 4), u64(3, 4), u64(4))),
    "multi_margin": (lambda a: F.multi_margin_loss(a, const([0, 3, 1]), p=2, weight=W4, reduction="none"),
                     lambda: (n64(3, 4),)),
    "multilabel_margin": (lambda a: F.multilabel_margin_loss(a, const([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3]]),
                                                             reduction="none"), lambda: (n64(3, 4),)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    assert_gradcheck(GRADCHECK, name)


# -- random shapes (hypothesis) ---------------------------------------------------------------
@SETTINGS
@given(shape=small_shape, seed=st.integers(0, 2**16), reduction=REDUCTION)
def test_soft_margin_loss_random_shapes(shape, seed, reduction):
    x, y = seeded(seed, shape), seeded(seed + 1, shape)
    y = np.sign(y) + (y == 0)
    check(lambda a: F.soft_margin_loss(a, ember.tensor(y), reduction=reduction),
          lambda a: TF.soft_margin_loss(a, torch.tensor(y), reduction=reduction), x)
