"""Second derivatives of the losses (ember.ops.loss) against PyTorch: regression, classification,
probabilistic, margin, ranking and distance; every reduction for the main losses, input and (where
PyTorch differentiates it) target and other tensor arguments differentiated, gradgradcheck in
float64. Multi-margin and multilabel-margin losses: PyTorch refuses their double backward, so do we."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as EF
from tests.autograd.second_order import check_second_order, dense

TF = torch.nn.functional
REDUCTIONS = ["none", "mean", "sum"]


def _a(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _u(*shape, seed=0, lo=0.1, hi=0.9):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _signs(*shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) > 0.5, 1.0, -1.0)


def _check(make, *arrays, diff=None, **kw):
    """``make(F)`` builds the function from a functional namespace (ember's or torch's)."""
    check_second_order(make(EF), dense(make(TF)), *arrays, diff=diff, **kw)


# -- regression ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
def test_regression(loss, reduction):
    x, t = _a(2, 3), _a(2, 3, seed=1)
    _check(lambda F: lambda x, t: getattr(F, loss)(x, t, reduction=reduction), x, t)


@pytest.mark.parametrize("loss,kw", [("smooth_l1_loss", {"beta": 0.7}), ("smooth_l1_loss", {"beta": 0.0}),
                                     ("huber_loss", {"delta": 0.5})])
def test_regression_params(loss, kw):
    x, t = _a(2, 3), _a(2, 3, seed=1)
    _check(lambda F: lambda x, t: getattr(F, loss)(x, t, **kw), x, t)


@pytest.mark.parametrize("loss", ["l1_loss", "mse_loss", "huber_loss"])
def test_regression_weight(loss):
    x, t, w = _a(2, 3), _a(2, 3, seed=1), _u(2, 3, seed=2)
    _check(lambda F: lambda x, t, w: getattr(F, loss)(x, t, weight=w), x, t, w)


# -- classification -----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_fast(reduction):
    x, t = _a(3, 4), np.array([0, 3, 1])
    _check(lambda F: lambda x: F.cross_entropy(x, t_(F, t), reduction=reduction), x)


def t_(F, t):
    return (ember.tensor(t) if F is EF else torch.tensor(t))


def _w(F, w):
    return None if w is None else (ember.tensor(w, dtype=ember.float64) if F is EF else
                                   torch.tensor(w, dtype=torch.float64))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(weight=True), dict(ignore_index=1), dict(label_smoothing=0.2),
                                  dict(weight=True, ignore_index=3, label_smoothing=0.1)],
                         ids=["weight", "ignore", "smoothing", "all"])
def test_cross_entropy_indices(opts, reduction):
    x, t = _a(3, 4), np.array([0, 3, 1])
    w = _u(4, seed=5) if opts.get("weight") else None
    kw = {k: v for k, v in opts.items() if k != "weight"}
    _check(lambda F: lambda x: F.cross_entropy(x, t_(F, t), weight=_w(F, w), reduction=reduction, **kw), x)


@pytest.mark.parametrize("shape,tshape", [((4,), ()), ((2, 3, 2), (2, 2))], ids=["1d", "3d"])
def test_cross_entropy_shapes(shape, tshape):
    x = _a(*shape)
    t = np.random.default_rng(3).integers(0, 3 if len(shape) > 1 else 4, tshape)
    _check(lambda F: lambda x: F.cross_entropy(x, t_(F, t), label_smoothing=0.1), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, dict(weight=True), dict(label_smoothing=0.2)],
                         ids=["plain", "weight", "smoothing"])
def test_cross_entropy_probs(opts, reduction):
    x, p = _a(3, 4), _u(3, 4, seed=1)
    p = p / p.sum(1, keepdims=True)
    w = _u(4, seed=5) if opts.get("weight") else None
    kw = {k: v for k, v in opts.items() if k != "weight"}
    _check(lambda F: lambda x, p: F.cross_entropy(x, p, weight=_w(F, w), reduction=reduction, **kw), x, p)


def test_cross_entropy_probs_3d():
    x, p = _a(2, 3, 2), _u(2, 3, 2, seed=1)
    _check(lambda F: lambda x, p: F.cross_entropy(x, p), x, p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, dict(weight=True, ignore_index=1)], ids=["plain", "weight_ignore"])
def test_nll_loss(opts, reduction):
    x, t = _a(3, 4), np.array([0, 3, 1])
    w = _u(4, seed=5) if opts.get("weight") else None
    kw = {k: v for k, v in opts.items() if k != "weight"}
    _check(lambda F: lambda x: F.nll_loss(x, t_(F, t), weight=_w(F, w), reduction=reduction, **kw), x)


def test_nll_loss_3d():
    x, t = _a(2, 3, 2), np.array([[0, 2], [1, 1]])
    _check(lambda F: lambda x: F.nll_loss(x, t_(F, t)), x)


# -- probabilistic ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_binary_cross_entropy(weighted, reduction):
    p, y = _u(2, 3), _u(2, 3, seed=1)
    w = _u(2, 3, seed=2) if weighted else None
    _check(lambda F: lambda p, y: F.binary_cross_entropy(p, y, weight=_w(F, w), reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, dict(weight=True), dict(pos_weight=True),
                                  dict(weight=True, pos_weight=True)],
                         ids=["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits(opts, reduction):
    x, y = _a(2, 3, scale=2.0), _u(2, 3, seed=1)
    w = _u(2, 3, seed=2) if opts.get("weight") else None
    pw = _u(3, seed=3, lo=0.5, hi=3.0) if opts.get("pos_weight") else None
    _check(lambda F: lambda x, y: F.binary_cross_entropy_with_logits(
        x, y, weight=_w(F, w), pos_weight=_w(F, pw), reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True], ids=["prob", "log_target"])
@pytest.mark.filterwarnings("ignore:reduction")
def test_kl_div(log_target, reduction):
    x, y = _a(2, 3), (_a(2, 3, seed=1) if log_target else _u(2, 3, seed=1))
    _check(lambda F: lambda x, y: F.kl_div(x, y, reduction=reduction, log_target=log_target), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(log_input=True), dict(log_input=False), dict(log_input=True, full=True),
                                  dict(log_input=False, full=True)], ids=["log", "rate", "log_full", "rate_full"])
def test_poisson_nll(opts, reduction):
    x = _a(2, 3) if opts["log_input"] else _u(2, 3, lo=0.5, hi=2.0)
    y = _u(2, 3, seed=1, lo=0.0, hi=3.0)
    _check(lambda F: lambda x, y: F.poisson_nll_loss(x, y, reduction=reduction, **opts), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True], ids=["plain", "full"])
def test_gaussian_nll(full, reduction):
    x, y, v = _a(2, 3), _a(2, 3, seed=1), _u(2, 3, seed=2, lo=0.3, hi=2.0)
    _check(lambda F: lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=full, reduction=reduction), x, y, v)


def test_gaussian_nll_clamped_var():
    # A variance below eps is clamped in value; the gradient passes through the clamp (as PyTorch),
    # which finite differences cannot see: compared with torch only, no gradgradcheck.
    x, y, v = _a(2, 3), _a(2, 3, seed=1), _u(2, 3, seed=2, lo=0.3, hi=2.0)
    v[0, 1] = 1e-3
    _check(lambda F: lambda x, y, v: F.gaussian_nll_loss(x, y, v, eps=1e-2), x, y, v, atol=1e-5, gradgrad=False)


# -- margin -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin(reduction):
    x, y = _a(2, 3), _signs(2, 3, seed=1)
    _check(lambda F: lambda x, y: F.soft_margin_loss(x, y, reduction=reduction), x, y, diff=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_multilabel_soft_margin(weighted, reduction):
    x, y, w = _a(2, 3), _u(2, 3, seed=1), _u(3, seed=2)
    if weighted:
        _check(lambda F: lambda x, y, w: F.multilabel_soft_margin_loss(x, y, weight=w, reduction=reduction),
               x, y, w)
    else:
        _check(lambda F: lambda x, y: F.multilabel_soft_margin_loss(x, y, reduction=reduction), x, y)


@pytest.mark.parametrize("make", [
    lambda x: EF.multi_margin_loss(x, ember.tensor([0, 2])),
    lambda x: EF.multi_margin_loss(x, ember.tensor([0, 2]), p=2),
    lambda x: EF.multilabel_margin_loss(x, ember.tensor([[0, -1, 1], [2, 1, -1]])),
], ids=["multi_margin", "multi_margin_p2", "multilabel_margin"])
def test_margin_double_backward_refused(make):
    # PyTorch: "derivative for aten::multi_margin_loss_backward is not implemented".
    x = ember.tensor(_a(2, 3), dtype=ember.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        g, = ember.autograd.grad(make(x), x, create_graph=True)
        ember.autograd.grad(g.sum(), x)


# -- ranking ------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking(reduction):
    a, b, y = _a(4), _a(4, seed=1), _signs(4, seed=2)
    _check(lambda F: lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=reduction), a, b, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding(reduction):
    a, b, y = _a(3, 4), _a(3, 4, seed=1), np.array([1.0, -1.0, -1.0])
    _check(lambda F: lambda a, b: F.cosine_embedding_loss(a, b, t_(F, y), margin=-0.5, reduction=reduction),
           a, b)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding(reduction):
    x, y = _a(2, 3), _signs(2, 3, seed=1)
    _check(lambda F: lambda x: F.hinge_embedding_loss(x, t_(F, y), margin=0.5, reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_triplet_margin(p, reduction):
    a, pos, neg = _a(3, 4), _a(3, 4, seed=1), _a(3, 4, seed=2)
    _check(lambda F: lambda a, pos, neg: F.triplet_margin_loss(a, pos, neg, margin=2.0, p=p, reduction=reduction),
           a, pos, neg)


def test_triplet_margin_swap():
    a, pos, neg = _a(3, 4), _a(3, 4, seed=1), _a(3, 4, seed=2)
    _check(lambda F: lambda a, pos, neg: F.triplet_margin_loss(a, pos, neg, margin=2.0, swap=True), a, pos, neg)


def test_triplet_margin_with_distance():
    a, pos, neg = _a(3, 4), _a(3, 4, seed=1), _a(3, 4, seed=2)
    _check(lambda F: lambda a, pos, neg: F.triplet_margin_with_distance_loss(
        a, pos, neg, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=1.5), a, pos, neg)


# -- distance -----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf"), 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim):
    a, b = _a(3, 4), _a(3, 4, seed=1)
    _check(lambda F: lambda a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim), a, b)


def test_pairwise_distance_broadcast():
    a, b = _a(3, 4), _a(4, seed=1)
    _check(lambda F: lambda a, b: F.pairwise_distance(a, b), a, b)


@pytest.mark.parametrize("shapes,dim", [(((3, 4), (3, 4)), 1), (((2, 3), (2, 3)), 0), (((3, 4), (1, 4)), 1),
                                        (((3, 1), (3, 4)), 1)], ids=["same", "dim0", "bcast", "bcast_dim"])
def test_cosine_similarity(shapes, dim):
    a, b = _a(*shapes[0]), _a(*shapes[1], seed=1)
    _check(lambda F: lambda a, b: F.cosine_similarity(a, b, dim=dim), a, b)


def test_cosine_similarity_small_norm():
    # A norm below eps is clamped in value; the gradient passes through the clamp (as PyTorch),
    # which finite differences cannot see: compared with torch only, no gradgradcheck.
    a, b = _a(2, 3) * 1e-3, _a(2, 3, seed=1)
    _check(lambda F: lambda a, b: F.cosine_similarity(a, b, eps=0.1), a, b, atol=1e-5, gradgrad=False)


# -- what the first derivative records, float32 ---------------------------------------------------
_RECORDS = {
    "nll_loss": lambda F, T, x: F.nll_loss(x, T(np.array([0, 3, 1]))),
    "kl_div": lambda F, T, x: F.kl_div(x, T(_u(3, 4, seed=1)), reduction="batchmean"),
    "hinge_embedding": lambda F, T, x: F.hinge_embedding_loss(x, T(_signs(3, 4, seed=1))),
    "l1_loss": lambda F, T, x: F.l1_loss(x, T(_a(3, 4, seed=1))),
    "pairwise_inf": lambda F, T, x: F.pairwise_distance(x, T(_a(3, 4, seed=1)), p=float("inf")).sum(),
    "cross_entropy_smoothing": lambda F, T, x: F.cross_entropy(x, T(np.array([0, 3, 1])), label_smoothing=0.1,
                                                               weight=T(_u(4, seed=2))),
    "bce_with_logits": lambda F, T, x: F.binary_cross_entropy_with_logits(x, T(_u(3, 4, seed=1)),
                                                                          pos_weight=T(_u(4, seed=2))),
}


@pytest.mark.parametrize("name", list(_RECORDS))
def test_first_derivative_records_as_torch(name):
    # Whether the gradient (create_graph=True) requires grad when only the input does, as PyTorch:
    # NLL's gradient is constant in the input but still records (second derivative zero); KL's
    # and the hinge's do not. In float32 the gradient keeps the input's dtype.
    x = _a(3, 4).astype(np.float32)
    got = {}
    for lib, T in ((ember, lambda a: ember.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a)),
                   (torch, lambda a: torch.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a))):
        xx = T(x).requires_grad_()
        g, = lib.autograd.grad(_RECORDS[name](lib.nn.functional, T, xx), xx, create_graph=True)
        h = lib.autograd.grad((g * g).sum(), xx, allow_unused=True)[0] if g.requires_grad else None
        got[lib] = (g.requires_grad, str(g.dtype).split(".")[-1], g.detach().numpy(),
                    None if h is None else (h.detach().numpy(force=True) if lib is torch else h.detach().numpy()))
    (er, ed, eg, eh), (tr, td, tg, th) = got[ember], got[torch]
    assert (er, ed) == (tr, td)
    np.testing.assert_allclose(eg, tg, atol=1e-5)
    if th is not None:
        np.testing.assert_allclose(eh, th, atol=1e-4)


@pytest.mark.parametrize("case", ["ce_probs_1d", "nll_1d", "mlsm_1d", "cosine_embedding_1d", "bce_logits_bcast_weight"])
def test_one_sample_shapes(case):
    x, y = _a(4), _u(4, seed=1)
    if case == "ce_probs_1d":
        _check(lambda F: lambda x, y: F.cross_entropy(x, y, reduction="none"), x, y)
    elif case == "nll_1d":
        _check(lambda F: lambda x: F.nll_loss(x, t_(F, np.array(2)), reduction="none"), x)
    elif case == "mlsm_1d":
        _check(lambda F: lambda x, y: F.multilabel_soft_margin_loss(x, y, reduction="none"), x, y)
    elif case == "cosine_embedding_1d":
        _check(lambda F: lambda a, b: F.cosine_embedding_loss(a, b, t_(F, np.array(-1.0)), margin=-0.9), x, _a(4, seed=2))
    else:
        x2, y2, w = _a(2, 4), _u(2, 4, seed=1), _u(1, 4, seed=2)
        _check(lambda F: lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=_w(F, w)), x2, y2)
