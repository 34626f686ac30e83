"""Ranking and embedding losses vs PyTorch (``ember/ops/loss/ranking.py``): CosineEmbedding,
MarginRanking, HingeEmbedding, Triplet (+ with distance); bad shapes and gradcheck.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.oracle import check
from tests.ops.loss._helpers import (GRAD_RNG, REDUCTIONS, assert_gradcheck, both, const, f64, has, n64,
                                     normal, signs)

RNG = np.random.default_rng(3)


def _r(*shape, scale=1.0):
    return normal(RNG, *shape, scale=scale)


def _signs(*shape):
    return signs(RNG, *shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.2])
@pytest.mark.parametrize("batched", [True, False])
def test_cosine_embedding_loss(batched, margin, reduction):
    shape, yshape = ((6, 4), (6,)) if batched else ((4,), ())
    y = _signs(*yshape)
    kw = dict(margin=margin, reduction=reduction)
    check(lambda a, b: F.cosine_embedding_loss(a, b, ember.tensor(y), **kw),
          lambda a, b: TF.cosine_embedding_loss(a, b, torch.tensor(y), **kw), _r(*shape), _r(*shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(margin, reduction):
    """PyTorch differentiates w.r.t. all three arguments, the target included."""
    kw = dict(margin=margin, reduction=reduction)
    check(lambda a, b, y: F.margin_ranking_loss(a, b, y, **kw),
          lambda a, b, y: TF.margin_ranking_loss(a, b, y, **kw), _r(7), _r(7), _signs(7))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.2])
def test_hinge_embedding_loss(margin, reduction):
    y = _signs(4, 3)
    y[0, 0] = 0.5                                    # neither 1 nor -1: both terms, as PyTorch
    kw = dict(margin=margin, reduction=reduction)
    check(lambda a: F.hinge_embedding_loss(a, ember.tensor(y), **kw),
          lambda a: TF.hinge_embedding_loss(a, torch.tensor(y), **kw), _r(4, 3), grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (2, True), (1, False), (3, True)])
@pytest.mark.parametrize("batched", [True, False])
def test_triplet_margin_loss(batched, p, swap, reduction):
    shape = (5, 4) if batched else (4,)
    kw = dict(margin=1.5, p=p, swap=swap, reduction=reduction)
    check(lambda a, b, c: F.triplet_margin_loss(a, b, c, **kw),
          lambda a, b, c: TF.triplet_margin_loss(a, b, c, **kw), _r(*shape), _r(*shape), _r(*shape))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(swap):
    def cos_dist(mod):
        return lambda a, b: 1.0 - mod.cosine_similarity(a, b)
    check(lambda a, b, c: F.triplet_margin_with_distance_loss(a, b, c, distance_function=cos_dist(F), swap=swap),
          lambda a, b, c: TF.triplet_margin_with_distance_loss(a, b, c, distance_function=cos_dist(TF), swap=swap),
          _r(5, 4), _r(5, 4), _r(5, 4))
    check(lambda a, b, c: ember.nn.TripletMarginWithDistanceLoss(margin=2.0)(a, b, c),
          lambda a, b, c: torch.nn.TripletMarginWithDistanceLoss(margin=2.0)(a, b, c),
          _r(5, 4), _r(5, 4), _r(5, 4))


# -- bad input --------------------------------------------------------------------------------
def test_dimension_checks():
    a = np.zeros((3, 4), np.float32)
    has(both("margin_ranking_loss", a, a, np.zeros(4, np.float32)), "same dimension")
    has(both("triplet_margin_loss", a, a, np.zeros(4, np.float32)), "anchor 2D, positive 2D, and negative 1D")
    has(both("cosine_embedding_loss", a, a, np.zeros((3, 1), np.float32)), "target tensor expects")


# -- gradcheck (float64) ----------------------------------------------------------------------
GRADCHECK = {
    "cosine_embedding": (lambda a, b: F.cosine_embedding_loss(a, b, const([1.0, -1.0, -1.0]), margin=-0.5,
                                                              reduction="none"), lambda: (n64(3, 4), n64(3, 4))),
    "margin_ranking": (lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction="none"),
                       lambda: (n64(5), n64(5), f64(np.sign(GRAD_RNG.standard_normal(5))))),
    "hinge": (lambda a: F.hinge_embedding_loss(a, const([1.0, -1.0, -1.0, 0.5]), reduction="none"), lambda: (n64(4),)),
    "triplet": (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0, swap=True, reduction="none"),
                lambda: (n64(3, 4), n64(3, 4), n64(3, 4))),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    assert_gradcheck(GRADCHECK, name)
