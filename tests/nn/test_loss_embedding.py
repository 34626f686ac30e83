"""Distribution and embedding losses vs PyTorch: KLDiv, CosineEmbedding, MarginRanking,
HingeEmbedding, Triplet (+ with distance), and the CosineSimilarity / PairwiseDistance layers.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.oracle import check

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(3)


def _r(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _signs(*shape):
    return np.where(RNG.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


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


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf, 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((3,), (3,)), ((4, 3), (3,))], ids=str)
def test_pairwise_distance(shapes, keepdim, p):
    kw = dict(p=p, keepdim=keepdim)
    check(lambda a, b: F.pairwise_distance(a, b, **kw), lambda a, b: TF.pairwise_distance(a, b, **kw),
          _r(*shapes[0]), _r(*shapes[1]))
    check(lambda a, b: ember.nn.PairwiseDistance(**kw)(a, b),
          lambda a, b: torch.nn.PairwiseDistance(**kw)(a, b), _r(*shapes[0]), _r(*shapes[1]))


def test_pairwise_distance_of_equal_points_has_zero_gradient():
    x = np.ones((2, 3), np.float32)
    check(lambda a, b: F.pairwise_distance(a, b, eps=0.0), lambda a, b: TF.pairwise_distance(a, b, eps=0.0),
          x, x.copy())


@pytest.mark.parametrize("dim", [1, 0, -1])
@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((4, 3), (1, 3)), ((2, 3, 4), (2, 3, 4))], ids=str)
def test_cosine_similarity(shapes, dim):
    check(lambda a, b: F.cosine_similarity(a, b, dim=dim), lambda a, b: TF.cosine_similarity(a, b, dim=dim),
          _r(*shapes[0]), _r(*shapes[1]))
    check(lambda a, b: ember.nn.CosineSimilarity(dim=dim)(a, b),
          lambda a, b: torch.nn.CosineSimilarity(dim=dim)(a, b), _r(*shapes[0]), _r(*shapes[1]))


def test_cosine_similarity_zero_vector_is_zero_and_finite():
    a = np.array([[0.0, 0.0], [1.0, 2.0]], np.float32)
    b = np.array([[3.0, 1.0], [2.0, -1.0]], np.float32)
    e, _ = check(F.cosine_similarity, TF.cosine_similarity, a, b, rtol=1e-3)
    assert e.data[0] == 0


def test_cosine_similarity_norms_below_eps_match_torch():
    """Norms between 0 and eps are clamped; the gradient passes through the clamp as in PyTorch."""
    a = np.array([[1e-9, 2e-9], [1.0, 2.0], [0.0, 0.0]], np.float64)
    b = np.array([[3.0, 1.0], [1e-10, 0.0], [1.0, 1.0]], np.float64)
    check(F.cosine_similarity, TF.cosine_similarity, a, b, rtol=1e-6)
