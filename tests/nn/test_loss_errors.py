"""Bad input to the losses: PyTorch's exception type, and a message that names what was
expected, what was received and the fix. Each case also checks that PyTorch raises the same type.
"""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

X = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)


def _both(fn_name, *arrays, **kw):
    """Call the ember and the torch function on the same arrays; return the two exceptions."""
    excs = []
    for mod, make in ((F, ember.tensor), (TF, torch.tensor)):
        with pytest.raises(Exception) as info:
            getattr(mod, fn_name)(*[make(a) for a in arrays], **kw)
        excs.append(info.value)
    e, t = excs
    assert type(e) is type(t), f"ember raised {type(e).__name__}, torch {type(t).__name__}"
    return str(e)


def _has(msg, *parts):
    for p in parts:
        assert re.search(p, msg), f"{p!r} not in message: {msg}"


def test_class_index_out_of_range():
    msg = _both("cross_entropy", X, np.array([0, 5, 1]))
    _has(msg, "Target 5 is out of bounds", "class 5 but input has 4 classes", r"0\.\.3", "min 5, max 5",
         "ignore_index=-100")


def test_negative_class_index_names_min_and_ignore_index():
    msg = _both("cross_entropy", X, np.array([-1, 2, 7]), ignore_index=-100)
    _has(msg, "min -1, max 7", r"0\.\.3", "ignore_index=-100")
    msg = _both("nll_loss", X, np.array([0, 1, 4]))
    _has(msg, "out of bounds", "4 classes")


def test_out_of_range_k_dimensional():
    x = np.zeros((2, 3, 4, 4), np.float32)
    t = np.zeros((2, 4, 4), np.int64)
    t[1, 2, 3] = 3
    _has(_both("cross_entropy", x, t), "Target 3 is out of bounds", r"0\.\.2")


def test_ignored_targets_may_be_out_of_range():
    loss = F.cross_entropy(ember.tensor(X), ember.tensor([1, -1, 2]), ignore_index=-1)
    expected = TF.cross_entropy(torch.tensor(X), torch.tensor([1, -1, 2]), ignore_index=-1)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


def test_float_class_index_target():
    msg = _both("cross_entropy", X, np.array([0.0, 1.0, 2.0], np.float32))
    _has(msg, "Long", "float32", "class indices", r"target\.long\(\)", r"input's shape \(3, 4\)")
    _has(_both("nll_loss", X, np.array([0.0, 1.0, 2.0], np.float32)), r"target\.long\(\)")


def test_one_hot_of_wrong_shape():
    """A one-hot target with the wrong number of classes: both modes explained."""
    msg = _both("cross_entropy", X, np.eye(3, dtype=np.float32))
    _has(msg, r"\(3, 3\)", r"\(3, 4\)", r"integer target of shape \(3,\)", "class probabilities",
         "one-hot", r"argmax\(1\)")
    _has(_both("cross_entropy", X, np.eye(3, dtype=np.int64)), "one-hot")


def test_column_vector_target():
    msg = _both("cross_entropy", X, np.array([[0], [1], [2]]))
    _has(msg, r"\(3, 1\)", r"integer target of shape \(3,\)", r"squeeze")


def test_channels_last_one_hot_target():
    x = np.zeros((2, 3, 4, 4), np.float32)
    msg = _both("cross_entropy", x, np.zeros((2, 4, 4, 3), np.float32))
    _has(msg, "channels-last one-hot", r"argmax\(-1\)", r"\(2, 4, 4\)")


def test_integer_one_hot_of_right_shape():
    msg = _both("cross_entropy", X, np.eye(3, 4, dtype=np.int64))
    _has(msg, "class probabilities", r"target\.float\(\)", r"argmax\(1\)", "int64")


def test_batch_size_mismatch_names_both():
    msg = _both("cross_entropy", X, np.array([0, 1, 2, 1]))
    _has(msg, r"input batch_size \(3\)", r"target batch_size \(4\)")
    _has(_both("nll_loss", X, np.array([0, 1])), r"\(3\)", r"\(2\)")
    _has(_both("cross_entropy", X, np.zeros((4, 4), np.float32)), r"\(3\)", r"\(4\)")


def test_k_dimensional_target_shape():
    x = np.zeros((2, 3, 5), np.float32)
    _has(_both("cross_entropy", x, np.zeros((2, 4), np.int64)), r"\(2, 5\)", r"\(2, 4\)")


def test_weight_of_wrong_size():
    with pytest.raises(RuntimeError, match=r"all 4 classes.*shape: \[3\].*shape \(4,\)"):
        F.cross_entropy(ember.tensor(X), ember.tensor([0, 1, 2]), weight=ember.ones(3))
    with pytest.raises(RuntimeError):
        TF.cross_entropy(torch.tensor(X), torch.tensor([0, 1, 2]), weight=torch.ones(3))


def test_bad_reduction_and_label_smoothing():
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(ember.tensor(X), ember.tensor([0, 1, 2]), reduction="foo")
    with pytest.raises(ValueError, match="valid value for reduction"):
        F.mse_loss(ember.tensor(X), ember.tensor(X), reduction="avg")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(ember.tensor(X), ember.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(ember.tensor(X), ember.tensor(np.full((3, 4), 0.25, np.float32)), ignore_index=1)


def test_bce_input_outside_unit_interval():
    p = np.array([-0.31, 0.5, 1.7], np.float32)
    msg = _both("binary_cross_entropy", p, np.array([0.0, 1.0, 1.0], np.float32))
    _has(msg, "between 0 and 1", "min -0.31", "max 1.7", "BCEWithLogitsLoss")


def test_bce_target_outside_unit_interval():
    msg = _both("binary_cross_entropy", np.array([0.2, 0.5], np.float32), np.array([0.0, 2.0], np.float32))
    _has(msg, "target", "between 0 and 1", "max 2")


def test_bce_nan_input_is_rejected():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([np.nan, 0.5]), ember.tensor([0.0, 1.0]))


def test_bce_shape_mismatch():
    p, y = np.array([0.2, 0.5], np.float32), np.array([[0.0, 1.0]], np.float32)
    _has(_both("binary_cross_entropy", p, y), r"target size \(ember.Size\(\[1, 2\]\)\)", r"\[2\]")
    _has(_both("binary_cross_entropy_with_logits", p, y), "must be the same as input size", r"view_as")


@pytest.mark.filterwarnings("ignore:Using a target size")      # PyTorch warns before it raises
def test_regression_shapes_that_cannot_broadcast():
    with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(3,\)"):
        F.mse_loss(ember.tensor(X), ember.zeros(3))
    with pytest.raises(RuntimeError):
        TF.mse_loss(torch.tensor(X), torch.zeros(3))


def test_regression_integer_inputs():
    with pytest.raises(RuntimeError, match=r"floating-point.*\.float\(\)"):
        F.l1_loss(ember.tensor([1, 2]), ember.tensor([1, 3]))


def test_gaussian_nll_bad_var():
    y = np.zeros((3, 4), np.float32)
    _has(_both("gaussian_nll_loss", X, y, np.ones(4, np.float32)), "var is of incorrect size", r"\(3, 4\)")
    _has(_both("gaussian_nll_loss", X, y, -np.ones((3, 4), np.float32)), "negative", "min -1")


def test_margin_losses_bad_targets():
    _has(_both("multi_margin_loss", X, np.array([0, 1, 4])), "out of range", r"0\.\.3")
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(ember.tensor(X), ember.tensor([0, 1, 2]), p=3)
    _has(_both("multilabel_margin_loss", X, np.array([0, 1, 2])), "inconsistent target size")
    _has(_both("multilabel_margin_loss", X, np.array([[0, 1, 7, 2]] * 3)), "out of range")


def test_dimension_checks():
    a = np.zeros((3, 4), np.float32)
    _has(_both("margin_ranking_loss", a, a, np.zeros(4, np.float32)), "same dimension")
    _has(_both("triplet_margin_loss", a, a, np.zeros(4, np.float32)), "anchor 2D, positive 2D, and negative 1D")
    _has(_both("cosine_embedding_loss", a, a, np.zeros((3, 1), np.float32)), "target tensor expects")


def test_non_tensor_arguments():
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        F.mse_loss([1.0, 2.0], ember.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.cross_entropy(ember.tensor(X), [0, 1, 2])
