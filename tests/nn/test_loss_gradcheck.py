"""Finite-difference gradcheck (float64) of every fused loss op, w.r.t. every differentiable
argument, with reduction='none' so the whole Jacobian is checked."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd.gradcheck import gradcheck

RNG = np.random.default_rng(6)


def _t(arr, grad=True):
    return ember.tensor(np.asarray(arr, np.float64), requires_grad=grad)


def _r(*shape):
    return _t(RNG.standard_normal(shape))


def _u(*shape, lo=0.1, hi=0.9):
    return _t(RNG.uniform(lo, hi, shape))


T_KDIM = RNG.integers(0, 4, (2, 3))
SIGNS = np.sign(RNG.standard_normal((3, 4)))


def _const(arr):
    return ember.tensor(np.asarray(arr))


W = _const(RNG.uniform(0.3, 2, 4))
CASES = {
    "l1": (lambda a, b: F.l1_loss(a, b, reduction="none"), lambda: (_r(3, 4), _r(3, 4))),
    "mse": (lambda a, b: F.mse_loss(a, b, reduction="none"), lambda: (_r(3, 4), _r(3, 4))),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=0.7), lambda: (_r(3, 4), _r(3, 4))),
    "huber": (lambda a, b: F.huber_loss(a, b, reduction="none", delta=0.7), lambda: (_r(3, 4), _r(3, 4))),
    "poisson": (lambda a, b: F.poisson_nll_loss(a, b, reduction="none", full=True),
                lambda: (_r(3, 4), _u(3, 4, lo=1.2, hi=4))),
    "poisson_rate": (lambda a, b: F.poisson_nll_loss(a, b, log_input=False, reduction="none"),
                     lambda: (_u(3, 4, lo=0.5, hi=2), _u(3, 4, lo=0.5, hi=3))),
    "gaussian": (lambda a, b, v: F.gaussian_nll_loss(a, b, v, reduction="none"),
                 lambda: (_r(3, 4), _r(3, 4), _u(3, 1, lo=0.5, hi=2))),
    "ce_index": (lambda a: F.cross_entropy(a, _const([0, 3, 1, 2]), weight=W, label_smoothing=0.2, reduction="none"),
                 lambda: (_r(4, 4),)),
    "ce_fast": (lambda a: F.cross_entropy(a, _const([0, 3, 1, 2])), lambda: (_r(4, 4),)),
    "ce_kdim_mean": (lambda a: F.cross_entropy(a, _const(T_KDIM), weight=W, ignore_index=1,
                                               label_smoothing=0.1), lambda: (_r(2, 4, 3),)),
    "ce_prob": (lambda a, b: F.cross_entropy(a, b, weight=W, label_smoothing=0.2, reduction="none"),
                lambda: (_r(3, 4), _u(3, 4))),
    "nll": (lambda a: F.nll_loss(a, _const([0, 3, 1]), weight=W, reduction="none"), lambda: (_r(3, 4),)),
    "bce": (lambda a, b: F.binary_cross_entropy(a, b, weight=W, reduction="none"), lambda: (_u(3, 4), _u(3, 4))),
    "bce_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=W, reduction="none"),
                   lambda: (_r(3, 4), _u(3, 4))),
    "soft_margin": (lambda a: F.soft_margin_loss(a, _const(SIGNS), reduction="none"),
                    lambda: (_r(3, 4),)),
    "multilabel_soft_margin": (lambda a, b, w: F.multilabel_soft_margin_loss(a, b, w, reduction="none"),
                               lambda: (_r(3, 4), _u(3, 4), _u(4))),
    "multi_margin": (lambda a: F.multi_margin_loss(a, _const([0, 3, 1]), p=2, weight=W, reduction="none"),
                     lambda: (_r(3, 4),)),
    "multilabel_margin": (lambda a: F.multilabel_margin_loss(a, _const([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3]]),
                                                             reduction="none"), lambda: (_r(3, 4),)),
    "kl": (lambda a, b: F.kl_div(a, b, reduction="none"), lambda: (_r(3, 4), _u(3, 4))),
    "kl_log": (lambda a, b: F.kl_div(a, b, reduction="none", log_target=True), lambda: (_r(3, 4), _r(3, 4))),
    "cosine_embedding": (lambda a, b: F.cosine_embedding_loss(a, b, _const([1.0, -1.0, -1.0]), margin=-0.5,
                                                              reduction="none"), lambda: (_r(3, 4), _r(3, 4))),
    "margin_ranking": (lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction="none"),
                       lambda: (_r(5), _r(5), _t(np.sign(RNG.standard_normal(5))))),
    "hinge": (lambda a: F.hinge_embedding_loss(a, _const([1.0, -1.0, -1.0, 0.5]), reduction="none"), lambda: (_r(4),)),
    "triplet": (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0, swap=True, reduction="none"),
                lambda: (_r(3, 4), _r(3, 4), _r(3, 4))),
    "pairwise_p3": (lambda a, b: F.pairwise_distance(a, b, p=3.0), lambda: (_r(3, 4), _r(3, 4))),
    "cosine_similarity": (lambda a, b: F.cosine_similarity(a, b, dim=1), lambda: (_r(3, 4), _r(1, 4))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, make = CASES[name]
    assert gradcheck(fn, make(), eps=1e-6, atol=1e-5, rtol=1e-3)
