"""Classification losses vs PyTorch (``ember/ops/loss/classification.py``): cross-entropy, NLL.

The whole option matrix (weight x ignore_index x label_smoothing x reduction x input rank) is
compared with PyTorch, values and input gradients; then bad targets (error type and message),
gradcheck and random shapes.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import ember
import ember.nn.functional as F
from tests.oracle import assert_close, check
from tests.ops.loss._helpers import (GRAD_RNG, REDUCTION, REDUCTIONS, SETTINGS, W4, X, assert_gradcheck,
                                     both, class_targets, const, has, n64, normal, pair, seeded, u64)
from tests.both import assert_same

RNG = np.random.default_rng(1)


def _logits(*shape, scale=2.0):
    return normal(RNG, *shape, scale=scale)


def _targets(shape, c, ignore=None, frac=0.3):
    return class_targets(RNG, shape, c, ignore, frac)


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
    te, tt = pair(t)
    we, wt = pair(w) if weighted else (None, None)
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
    we, wt = pair(w) if weighted else (None, None)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    check(lambda a, b: F.cross_entropy(a, b, weight=we, **kw),
          lambda a, b: TF.cross_entropy(a, b, weight=wt, **kw), x, p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_fast_path(reduction):
    x, t = _logits(16, 4), _targets((16,), 4)
    e, _ = check(lambda a: F.cross_entropy(a, ember.tensor(t), reduction=reduction),
                 lambda a: TF.cross_entropy(a, torch.tensor(t), reduction=reduction), x)
    assert e.grad_fn.name() == "NllLossBackward0"


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
    we, wt = pair(w) if weighted else (None, None)
    e, _ = check(lambda a: F.cross_entropy(a, ember.tensor(t), weight=we, label_smoothing=smoothing),
                 lambda a: TF.cross_entropy(a, torch.tensor(t), weight=wt, label_smoothing=smoothing),
                 x, atol=1e-3)
    assert np.isfinite(e.item())
    xe = ember.tensor(x, requires_grad=True)
    F.cross_entropy(xe, ember.tensor(t), weight=we, label_smoothing=smoothing).backward()
    assert np.isfinite(xe.grad._data).all()


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
    te, tt = pair(t)
    we, wt = pair(w) if weighted else (None, None)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    check(lambda a: F.nll_loss(a, te, weight=we, **kw), lambda a: TF.nll_loss(a, tt, weight=wt, **kw), x)


def test_log_softmax_then_nll_equals_cross_entropy():
    x, t = _logits(7, 5), _targets((7,), 5)
    xe = ember.tensor(x)
    a = F.nll_loss(F.log_softmax(xe, dim=1), ember.tensor(t))
    b = F.cross_entropy(xe, ember.tensor(t))
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)


# -- bad input --------------------------------------------------------------------------------
def test_class_index_out_of_range():
    msg = both("cross_entropy", X, np.array([0, 5, 1]))
    has(msg, "Target 5 is out of bounds", "class 5 but input has 4 classes", r"0\.\.3", "min 5, max 5",
         "ignore_index=-100")


def test_negative_class_index_names_min_and_ignore_index():
    msg = both("cross_entropy", X, np.array([-1, 2, 7]), ignore_index=-100)
    has(msg, "min -1, max 7", r"0\.\.3", "ignore_index=-100")
    msg = both("nll_loss", X, np.array([0, 1, 4]))
    has(msg, "out of bounds", "4 classes")


def test_out_of_range_k_dimensional():
    x = np.zeros((2, 3, 4, 4), np.float32)
    t = np.zeros((2, 4, 4), np.int64)
    t[1, 2, 3] = 3
    has(both("cross_entropy", x, t), "Target 3 is out of bounds", r"0\.\.2")


def test_ignored_targets_may_be_out_of_range():
    loss = F.cross_entropy(ember.tensor(X), ember.tensor([1, -1, 2]), ignore_index=-1)
    expected = TF.cross_entropy(torch.tensor(X), torch.tensor([1, -1, 2]), ignore_index=-1)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


def test_float_class_index_target():
    msg = both("cross_entropy", X, np.array([0.0, 1.0, 2.0], np.float32))
    has(msg, "Long", "float32", "class indices", r"target\.long\(\)", r"input's shape \(3, 4\)")
    has(both("nll_loss", X, np.array([0.0, 1.0, 2.0], np.float32)), r"target\.long\(\)")


def test_one_hot_of_wrong_shape():
    """A one-hot target with the wrong number of classes: both modes explained."""
    msg = both("cross_entropy", X, np.eye(3, dtype=np.float32))
    has(msg, r"\(3, 3\)", r"\(3, 4\)", r"integer target of shape \(3,\)", "class probabilities",
         "one-hot", r"argmax\(1\)")
    has(both("cross_entropy", X, np.eye(3, dtype=np.int64)), "one-hot")


def test_column_vector_target():
    msg = both("cross_entropy", X, np.array([[0], [1], [2]]))
    has(msg, r"\(3, 1\)", r"integer target of shape \(3,\)", r"squeeze")


def test_channels_last_one_hot_target():
    x = np.zeros((2, 3, 4, 4), np.float32)
    msg = both("cross_entropy", x, np.zeros((2, 4, 4, 3), np.float32))
    has(msg, "channels-last one-hot", r"argmax\(-1\)", r"\(2, 4, 4\)")


def test_integer_one_hot_of_right_shape():
    msg = both("cross_entropy", X, np.eye(3, 4, dtype=np.int64))
    has(msg, "class probabilities", r"target\.float\(\)", r"argmax\(1\)", "int64")


def test_batch_size_mismatch_names_both():
    msg = both("cross_entropy", X, np.array([0, 1, 2, 1]))
    has(msg, r"input batch_size \(3\)", r"target batch_size \(4\)")
    has(both("nll_loss", X, np.array([0, 1])), r"\(3\)", r"\(2\)")
    has(both("cross_entropy", X, np.zeros((4, 4), np.float32)), r"\(3\)", r"\(4\)")


def test_k_dimensional_target_shape():
    x = np.zeros((2, 3, 5), np.float32)
    has(both("cross_entropy", x, np.zeros((2, 4), np.int64)), r"\(2, 5\)", r"\(2, 4\)")


def test_weight_of_wrong_size():
    with pytest.raises(RuntimeError, match=r"all 4 classes.*shape: \[3\].*shape \(4,\)"):
        F.cross_entropy(ember.tensor(X), ember.tensor([0, 1, 2]), weight=ember.ones(3))
    with pytest.raises(RuntimeError):
        TF.cross_entropy(torch.tensor(X), torch.tensor([0, 1, 2]), weight=torch.ones(3))


def test_bad_label_smoothing_and_ignore_index_with_probabilities():
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(ember.tensor(X), ember.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(ember.tensor(X), ember.tensor(np.full((3, 4), 0.25, np.float32)), ignore_index=1)


# -- gradcheck (float64) ----------------------------------------------------------------------
T_KDIM = GRAD_RNG.integers(0, 4, (2, 3))
GRADCHECK = {
    "ce_index": (lambda a: F.cross_entropy(a, const([0, 3, 1, 2]), weight=W4, label_smoothing=0.2, reduction="none"),
                 lambda: (n64(4, 4),)),
    "ce_fast": (lambda a: F.cross_entropy(a, const([0, 3, 1, 2])), lambda: (n64(4, 4),)),
    "ce_kdim_mean": (lambda a: F.cross_entropy(a, const(T_KDIM), weight=W4, ignore_index=1,
                                               label_smoothing=0.1), lambda: (n64(2, 4, 3),)),
    "ce_prob": (lambda a, b: F.cross_entropy(a, b, weight=W4, label_smoothing=0.2, reduction="none"),
                lambda: (n64(3, 4), u64(3, 4))),
    "nll": (lambda a: F.nll_loss(a, const([0, 3, 1]), weight=W4, reduction="none"), lambda: (n64(3, 4),)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    assert_gradcheck(GRADCHECK, name)


# -- random shapes (hypothesis) ---------------------------------------------------------------
@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 6), kdims=st.lists(st.integers(1, 3), max_size=2),
       seed=st.integers(0, 2**16), reduction=REDUCTION, weighted=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.05, 0.5]), ignore=st.booleans(), scale=st.sampled_from([1.0, 30.0]))
def test_cross_entropy_random(n, c, kdims, seed, reduction, weighted, smoothing, ignore, scale):
    rng = np.random.default_rng(seed)
    x = seeded(seed, (n, c, *kdims), scale)
    t = rng.integers(0, c, (n, *kdims))
    ignore_index = int(rng.integers(0, c)) if ignore else -100
    w = rng.uniform(0.1, 3, c).astype(np.float32) if weighted else None
    te, tt = ember.tensor(t), torch.tensor(t)
    we = ember.tensor(w) if weighted else None
    wt = torch.tensor(w) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=ignore_index)
    check(lambda a: F.cross_entropy(a, te, weight=we, **kw), lambda a: TF.cross_entropy(a, tt, weight=wt, **kw),
          x, atol=1e-4)


@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_cross_entropy_bounds_and_gradient_rows_sum_to_zero(n, c, seed):
    """Loss >= 0; each row of d(loss)/d(logits) sums to 0 (softmax - onehot)."""

    x = ember.tensor(seeded(seed, (n, c), 10.0), requires_grad=True)
    t = ember.tensor(np.random.default_rng(seed).integers(0, c, n))
    loss = F.cross_entropy(x, t, reduction="sum")
    loss.backward()
    assert loss.item() >= 0
    np.testing.assert_allclose(x.grad._data.sum(axis=1), 0, atol=1e-5)


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("shape, target", [((0, 0), []), ((2, 0), [-100, -100])])
def test_cross_entropy_label_smoothing_over_no_classes_is_nan(reduction, shape, target):
    assert_same(lambda t: t.nn.functional.cross_entropy(t.zeros(shape), t.tensor(target, dtype=t.int64),
                                                        label_smoothing=0.1, reduction=reduction))


@pytest.mark.parametrize("logits, target", [([[3e38, -1e38, 300.0, 3e38]], [3]), ([[6e4, -0.0, 0.5, 6e4]], [0]),
                                            ([[-0.0, 1e38, 1e38, 1e-30]], [1])])
def test_cross_entropy_subtracts_the_row_maximum_before_the_log_sum(logits, target):
    # as PyTorch: (x - max) - log(sum(exp(x - max))), not logsumexp(x) - x[t] (which rounds ln 2 away)
    assert_same(lambda t: t.nn.functional.cross_entropy(t.tensor(logits), t.tensor(target), reduction="sum"))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cross_entropy_label_smoothing_reduces_its_two_terms_apart(reduction):
    # as PyTorch: sum(nll) and sum(smoothing) are reduced separately (here the second overflows float32)
    assert_same(lambda t: t.nn.functional.cross_entropy(t.tensor([[1e38, -1e38], [-1e38, 1e38]]), t.tensor([0, 1]),
                                                        label_smoothing=0.1, reduction=reduction))
