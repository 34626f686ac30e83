"""PyTorch's top-level functional forms (torch.dropout(input, p, train), torch.embedding(weight,
indices), torch.batch_norm(...9 args), losses with an int reduction, ...) against torch."""
import numpy as np
import pytest
import torch

import ember
from tests.both import assert_same
from tests.toplevel._grads import check

R = np.random.default_rng(0)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def test_convolutions():
    check(lambda t, x, w, b: t.conv1d(x, w, b, 1, 1), f32(2, 3, 8), f32(4, 3, 3), f32(4))
    check(lambda t, x, w: t.conv2d(x, w, None, 2, 1, 1, 1), f32(2, 3, 6, 6), f32(4, 3, 3, 3))
    check(lambda t, x, w: t.conv_transpose1d(x, w, None, 2, 1, 1), f32(2, 3, 5), f32(3, 2, 3))
    check(lambda t, x, w, b: t.conv_transpose2d(x, w, b, 2), f32(1, 3, 4, 4), f32(3, 2, 2, 2), f32(2))


def test_pools():
    x = f32(2, 3, 9)
    check(lambda t, x: t.max_pool1d(x, 2), x)
    check(lambda t, x: t.max_pool1d(x, 3, 2, 1, 1, True), x)
    check(lambda t, x: t.max_pool2d(x, 2), f32(2, 3, 6, 6))
    check(lambda t, x: t.max_pool2d(x, (2, 3), stride=(1, 2), ceil_mode=True), f32(2, 3, 6, 7))
    check(lambda t, x: t.avg_pool1d(x, 3, 2, 1, False, False), x)
    check(lambda t, x: t.adaptive_avg_pool1d(x, 4), x)
    check(lambda t, x: t.adaptive_max_pool1d(x, 4), x)
    out = ember.adaptive_max_pool1d(ember.tensor(x), 4)
    assert isinstance(out, tuple) and out[1].dtype == ember.int64


def test_batch_norm_native_argument_order():
    x, w, b = f32(4, 3, 5), f32(3), f32(3)
    check(lambda t, x, w, b: t.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False), x, w, b)
    for training in (True, False):
        stats = {}
        for m in (torch, ember):
            rm, rv = m.zeros(3), m.ones(3)
            out = m.batch_norm(m.tensor(x), m.tensor(w), m.tensor(b), rm, rv, training, 0.3, 1e-5, True)
            stats[m] = (out.detach().numpy(), rm.numpy(), rv.numpy())
        for a, e in zip(stats[torch], stats[ember]):
            np.testing.assert_allclose(e, a, rtol=1e-5, atol=1e-6)


def test_layer_group_instance_rms_norm():
    x = f32(2, 4, 6)
    check(lambda t, x, w, b: t.layer_norm(x, (6,), w, b, 1e-5, True), x, f32(6), f32(6))
    check(lambda t, x: t.layer_norm(x, [4, 6]), x)
    check(lambda t, x, w, b: t.group_norm(x, 2, w, b, 1e-5, True), x, f32(4), f32(4))
    check(lambda t, x: t.group_norm(x, 4), x)
    check(lambda t, x, w, b: t.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False), x, f32(4), f32(4))
    check(lambda t, x, w: t.rms_norm(x, (6,), w), x, f32(6))
    check(lambda t, x: t.rms_norm(x, [6], eps=1e-3), x)


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("shape", [(4, 6), (4, 6, 5), (2, 3, 4, 4)])
def test_dropouts_same_numbers_after_manual_seed(name, shape):
    x = f32(*shape)
    check(lambda t, x: getattr(t, name)(x, 0.3, True), x, seed=3)
    check(lambda t, x: getattr(t, name)(x, 0.3, False), x)


@pytest.mark.parametrize("name", ["dropout_", "alpha_dropout_", "feature_dropout_", "feature_alpha_dropout_"])
def test_in_place_dropouts_write_into_the_input(name):
    x = f32(4, 6, 3)
    out = {}
    for m in (torch, ember):
        m.manual_seed(5)
        t = m.tensor(x)
        r = getattr(m, name)(t, 0.4, True)
        assert r is t
        out[m] = t.numpy()
    np.testing.assert_allclose(out[ember], out[torch], rtol=1e-6, atol=1e-6)


def test_dropout_needs_all_three_arguments():
    assert_same(lambda t: t.dropout(t.ones(3), 0.5), error=TypeError)


def test_embedding_takes_weight_first():
    w, idx = f32(5, 3), np.array([[1, 4], [0, 1]])
    check(lambda t, w, i: t.embedding(w, i), w, idx)
    check(lambda t, w, i: t.embedding(w, i, 1), w, idx)
    check(lambda t, w, i: t.embedding(w, i, -1, True), w, idx)


def test_bilinear_similarities_distances_and_shuffles():
    check(lambda t, a, b, w, bias: t.bilinear(a, b, w, bias), f32(3, 4), f32(3, 5), f32(2, 4, 5), f32(2))
    check(lambda t, a, b: t.cosine_similarity(a, b), f32(3, 4), f32(3, 4))
    check(lambda t, a, b: t.cosine_similarity(a, b, 0, 1e-6), f32(3, 4), f32(3, 4))
    check(lambda t, a, b: t.pairwise_distance(a, b, 3.0, 1e-6, True), f32(3, 4), f32(3, 4))
    check(lambda t, x: t.pixel_shuffle(x, 2), f32(1, 8, 3, 3))
    check(lambda t, x: t.pixel_unshuffle(x, 2), f32(1, 2, 4, 4))
    check(lambda t, x: t.channel_shuffle(x, 2), f32(1, 4, 3, 3), grad=False)


@pytest.mark.parametrize("p", [2, 1, 3.5, 0])
def test_pdist(p):
    check(lambda t, x: t.pdist(x, p), R.standard_normal((5, 3)), tol=1e-8, grad=p != 0)
    check(lambda t, x: t.pdist(x), f32(4, 6))


def test_pdist_errors():
    assert_same(lambda t: t.pdist(t.ones(2, 2, 2)), error=RuntimeError)
    assert_same(lambda t: t.pdist(t.ones(3, 2), -1), error=RuntimeError)


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_losses_with_int_reduction(reduction):
    a, b = f32(4, 5), f32(4, 5)
    y = np.sign(R.standard_normal(4)).astype(np.float32)
    check(lambda t, a, b, y: t.cosine_embedding_loss(a, b, y, 0.2, reduction), a, b, y)
    check(lambda t, a, y: t.hinge_embedding_loss(a, y, 0.5, reduction), a, np.sign(b))
    check(lambda t, a, b, y: t.margin_ranking_loss(a, b, y, 0.1, reduction), a[:, 0].copy(), b[:, 0].copy(), y)
    check(lambda t, a, b, c: t.triplet_margin_loss(a, b, c, 1.0, 2, 1e-6, True, reduction), a, b, f32(4, 5))
    check(lambda t, a, b: t.poisson_nll_loss(a, b, True, True, 1e-8, reduction), a, np.abs(b))
    check(lambda t, a, b: t.binary_cross_entropy_with_logits(a, b, None, None, reduction), a, (b > 0).astype(np.float32))
    check(lambda t, a, b, w, pw: t.binary_cross_entropy_with_logits(a, b, w.detach(), pw.detach(), reduction), a,
          (b > 0).astype(np.float32), np.abs(f32(5)), np.abs(f32(5)))
    check(lambda t, a, b: t.kl_div(a, b, reduction), np.log(np.abs(a) + 0.1), np.abs(b))
    check(lambda t, a, b: t.kl_div(a, b, reduction, log_target=True), a, b)


def test_losses_reject_string_reductions_as_torch():
    assert_same(lambda t: t.kl_div(t.ones(2), t.ones(2), "mean"), error=TypeError)
    assert_same(lambda t: t.hinge_embedding_loss(t.ones(2), t.ones(2), 1.0, "sum"), error=TypeError)


def test_constant_pad_nd():
    check(lambda t, x: t.constant_pad_nd(x, (1, 2)), f32(2, 3))
    check(lambda t, x: t.constant_pad_nd(x, [1, 0, 2, 1], 3.5), f32(2, 3))
    check(lambda t, x: t.constant_pad_nd(x, (-1, 1)), f32(2, 3))


def test_activations_already_top_level():
    for name in ("prelu", "celu", "selu", "rrelu", "hardshrink"):
        assert callable(getattr(ember, name))
    check(lambda t, x, w: t.prelu(x, w), f32(2, 3), np.array([0.25], np.float32))
