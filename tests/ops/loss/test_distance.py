"""Distances vs PyTorch (``ember/ops/loss/distance.py``): pairwise_distance and
cosine_similarity, functional and as the PairwiseDistance / CosineSimilarity layers; gradcheck.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.oracle import check
from tests.ops.loss._helpers import assert_gradcheck, n64, normal

RNG = np.random.default_rng(9)


def _r(*shape, scale=1.0):
    return normal(RNG, *shape, scale=scale)


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
    assert e._data[0] == 0


def test_cosine_similarity_norms_below_eps_match_torch():
    """Norms between 0 and eps are clamped; the gradient passes through the clamp as in PyTorch."""
    a = np.array([[1e-9, 2e-9], [1.0, 2.0], [0.0, 0.0]], np.float64)
    b = np.array([[3.0, 1.0], [1e-10, 0.0], [1.0, 1.0]], np.float64)
    check(F.cosine_similarity, TF.cosine_similarity, a, b, rtol=1e-6)


# -- gradcheck (float64) ----------------------------------------------------------------------
GRADCHECK = {
    "pairwise_p3": (lambda a, b: F.pairwise_distance(a, b, p=3.0), lambda: (n64(3, 4), n64(3, 4))),
    "cosine_similarity": (lambda a, b: F.cosine_similarity(a, b, dim=1), lambda: (n64(3, 4), n64(1, 4))),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    assert_gradcheck(GRADCHECK, name)
