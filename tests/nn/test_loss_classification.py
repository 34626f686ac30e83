"""Classification losses vs PyTorch: cross-entropy, NLL, BCE (+ logits), margin and multi-label.

The whole option matrix (weight x ignore_index x label_smoothing x reduction x input rank) is
compared with PyTorch, values and input gradients.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.oracle import assert_close, check

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(1)


def _logits(*shape, scale=2.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _targets(shape, c, ignore=None, frac=0.3):
    t = RNG.integers(0, c, size=shape)
    if ignore is not None:
        t = np.where(RNG.random(shape) < frac, ignore, t)
        t.flat[0] = 0 if ignore != 0 else 1          # at least one non-ignored target
    return t.astype(np.int64)


def _pair(arr):
    return ember.tensor(arr), torch.tensor(arr)


# Shapes: (input shape, target shape) for unbatched, batched and K-dimensional inputs.
CE_SHAPES = [((5,), ()), ((6, 5), (6,)), ((3, 5, 2, 3), (3, 2, 3))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("ignore_index", [-100, 2, -1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes", CE_SHAPES, ids=str)
def test_cross_entropy_matrix(shapes, weighted, ignore_index, smoothing, reduction):
    xs, ts = shapes
    c = xs[0] if len(xs) == 1 else xs[1]
    x = _logits(*xs)
    t = _targets(ts, c, ignore=None if ignore_index == -100 else ignore_index)
    if ignore_index == -100 and t.size > 1:
        t.flat[-1] = -100                                  # the default ignore_index is honoured too
    w = RNG.uniform(0.2, 2.0, c).astype(np.float32) if weighted else None
    te, tt = _pair(t)
    we, wt = _pair(w) if weighted else (None, None)
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    check(lambda a: F.cross_entropy(a, te, weight=we, **kw),
          lambda a: TF.cross_entropy(a, tt, weight=wt, **kw), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4,), (5, 4), (2, 4, 3, 2)], ids=str)
def test_cross_entropy_probability_targets(shape, weighted, smoothing, reduction):
    """Soft targets of the input's shape; PyTorch also differentiates w.r.t. the target."""
    cdim = 0 if len(shape) == 1 else 1
    x = _logits(*shape)
    p = RNG.random(shape).astype(np.float32)
    p /= p.sum(axis=cdim, keepdims=True)
    w = RNG.uniform(0.2, 2.0, shape[cdim]).astype(np.float32) if weighted else None
    we, wt = _pair(w) if weighted else (None, None)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    check(lambda a, b: F.cross_entropy(a, b, weight=we, **kw),
          lambda a, b: TF.cross_entropy(a, b, weight=wt, **kw), x, p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_fast_path(reduction):
    x, t = _logits(16, 4), _targets((16,), 4)
    e, _ = check(lambda a: F.cross_entropy(a, ember.tensor(t), reduction=reduction),
                 lambda a: TF.cross_entropy(a, torch.tensor(t), reduction=reduction), x)
    assert e.grad_fn.name() == "NllLossBackward0"


def test_cross_entropy_tutorial_value():
    loss = ember.nn.CrossEntropyLoss()(ember.tensor([[0.1, 0.2, 0.3]]), ember.tensor([1]))
    assert round(loss.item(), 4) == 1.1019


def test_cross_entropy_float64():
    x, t = _logits(4, 3).astype(np.float64), _targets((4,), 3)
    check(lambda a: F.cross_entropy(a, ember.tensor(t), label_smoothing=0.1),
          lambda a: TF.cross_entropy(a, torch.tensor(t), label_smoothing=0.1), x)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_extreme_logits(weighted, smoothing):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [0.0, 3.0, -1e4]], np.float32)
    t = np.array([1, 2, 0, 2])
    w = np.array([0.5, 1.0, 2.0], np.float32)
    we, wt = _pair(w) if weighted else (None, None)
    e, _ = check(lambda a: F.cross_entropy(a, ember.tensor(t), weight=we, label_smoothing=smoothing),
                 lambda a: TF.cross_entropy(a, torch.tensor(t), weight=wt, label_smoothing=smoothing),
                 x, atol=1e-3)
    assert np.isfinite(e.item())
    xe = ember.tensor(x, requires_grad=True)
    F.cross_entropy(xe, ember.tensor(t), weight=we, label_smoothing=smoothing).backward()
    assert np.isfinite(xe.grad.data).all()


def test_cross_entropy_extreme_probability_targets():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]], np.float32)
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], np.float32)
    e, _ = check(F.cross_entropy, TF.cross_entropy, x, p, atol=1e-2)
    assert np.isfinite(e.item())


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x, t = _logits(3, 4), np.full(3, -100)
    check(lambda a: F.cross_entropy(a, ember.tensor(t)), lambda a: TF.cross_entropy(a, torch.tensor(t)), x)


def test_cross_entropy_uint8_and_int32_targets():
    """uint8 (Byte) targets are accepted as in PyTorch; ember also accepts int32."""
    x, t = _logits(5, 3), _targets((5,), 3)
    expected = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    for dt in (np.uint8, np.int32):
        assert_close(F.cross_entropy(ember.tensor(x), ember.tensor(t.astype(dt))), expected)


def test_cross_entropy_unbatched_target_of_shape_1():
    """PyTorch accepts a (1,) target for (C,) logits in forward (its backward fails; ours works)."""
    x, t = _logits(5), np.array([3])
    check(lambda a: F.cross_entropy(a, ember.tensor(t), reduction="none"),
          lambda a: TF.cross_entropy(a, torch.tensor(t), reduction="none"), x, grad=False)
    check(lambda a: F.cross_entropy(a, ember.tensor(t)),
          lambda a: TF.cross_entropy(a, torch.tensor(t[0])), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes", CE_SHAPES, ids=str)
def test_nll_loss_matrix(shapes, weighted, ignore_index, reduction):
    xs, ts = shapes
    c = xs[0] if len(xs) == 1 else xs[1]
    x = np.log(RNG.dirichlet(np.ones(c), size=int(np.prod(xs)) // c)).astype(np.float32).reshape(
        (xs[0],) + xs[2:] + (c,) if len(xs) > 1 else xs)
    if len(xs) > 2:
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    t = _targets(ts, c, ignore=None if ignore_index == -100 else ignore_index)
    w = RNG.uniform(0.2, 2.0, c).astype(np.float32) if weighted else None
    te, tt = _pair(t)
    we, wt = _pair(w) if weighted else (None, None)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    check(lambda a: F.nll_loss(a, te, weight=we, **kw), lambda a: TF.nll_loss(a, tt, weight=wt, **kw), x)


def test_log_softmax_then_nll_equals_cross_entropy():
    x, t = _logits(7, 5), _targets((7,), 5)
    xe = ember.tensor(x)
    a = F.nll_loss(F.log_softmax(xe, dim=1), ember.tensor(t))
    b = F.cross_entropy(xe, ember.tensor(t))
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)


# -- binary cross-entropy -------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "full", "class"])
def test_binary_cross_entropy(weight, reduction):
    p = RNG.uniform(0.01, 0.99, (4, 3)).astype(np.float32)
    y = RNG.random((4, 3)).astype(np.float32)
    w = {None: None, "full": RNG.random((4, 3)), "class": RNG.random(3)}[weight]
    we, wt = _pair(w.astype(np.float32)) if w is not None else (None, None)
    check(lambda a, b: F.binary_cross_entropy(a, b, weight=we, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy(a, b, weight=wt, reduction=reduction), p, y)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    e, _ = check(lambda a: F.binary_cross_entropy(a, ember.tensor(y), reduction="none"),
                 lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction="none"), p)
    assert e.data[0] == 100 and e.data[1] == 100 and np.isfinite(e.data).all()
    pe = ember.tensor(p, requires_grad=True)
    F.binary_cross_entropy(pe, ember.tensor(y)).backward()
    assert np.isfinite(pe.grad.data).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("weight", [None, "full", "class"])
def test_bce_with_logits(weight, pos_weight, reduction):
    x = _logits(5, 3)
    y = RNG.random((5, 3)).astype(np.float32)
    w = {None: None, "full": RNG.random((5, 3)), "class": RNG.random(3)}[weight]
    we, wt = _pair(w.astype(np.float32)) if w is not None else (None, None)
    pw = RNG.uniform(0.5, 3, 3).astype(np.float32) if pos_weight else None
    pe, pt = _pair(pw) if pos_weight else (None, None)
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=we, pos_weight=pe, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy_with_logits(a, b, weight=wt, pos_weight=pt, reduction=reduction),
          x, y)


@pytest.mark.parametrize("pos_weight", [False, True])
def test_bce_with_logits_extreme(pos_weight):
    x = np.array([[1e4, -1e4, 0.0, 50.0], [-1e4, 1e4, -50.0, 1e3]], np.float32)
    y = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]], np.float32)
    pw = np.array([1.0, 2.0, 3.0, 0.5], np.float32)
    pe, pt = _pair(pw) if pos_weight else (None, None)
    e, _ = check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pe, reduction="none"),
                 lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=pt, reduction="none"),
                 x, y, rtol=1e-5)
    assert np.isfinite(e.data).all()


def test_bce_with_logits_pos_weight_broadcasts_over_k_dims():
    x = _logits(2, 3, 4)
    y = (RNG.random((2, 3, 4)) > 0.5).astype(np.float32)
    pw = RNG.uniform(0.5, 3, (3, 1)).astype(np.float32)
    check(lambda a: F.binary_cross_entropy_with_logits(a, ember.tensor(y), pos_weight=ember.tensor(pw)),
          lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y), pos_weight=torch.tensor(pw)), x)


# -- margin / multi-label ---------------------------------------------------------------------
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
    we, wt = _pair(w) if weighted else (None, None)
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
