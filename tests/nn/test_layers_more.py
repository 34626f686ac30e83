"""PixelShuffle/Unshuffle, ChannelShuffle, MaxUnpool1d/2d, EmbeddingBag and LocalResponseNorm against
PyTorch: functional and module forms, values, gradients for inputs and weights, options, errors, second
order."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.autograd.second_order import check_second_order
from tests.nn._module_oracle import compare_module
from tests.oracle import assert_close, check

TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# -- pixel shuffle, channel shuffle -------------------------------------------------------------------
@pytest.mark.parametrize("shape,r", [((1, 8, 3, 3), 2), ((2, 18, 2, 4), 3), ((9, 2, 3), 3), ((2, 2, 4, 2, 3), 1),
                                     ((2, 3, 12, 3, 2), 2)])
def test_pixel_shuffle_matches_torch(shape, r):
    x = _x(*shape)
    check(lambda a: F.pixel_shuffle(a, r), lambda a: TF.pixel_shuffle(a, r), x)
    y = TF.pixel_shuffle(torch.tensor(x), r).numpy()
    check(lambda a: F.pixel_unshuffle(a, r), lambda a: TF.pixel_unshuffle(a, r), y)


def test_pixel_shuffle_modules_and_errors():
    for em, tm, x in ((ember.nn.PixelShuffle(3), torch.nn.PixelShuffle(3), _x(2, 9, 4, 4)),
                      (ember.nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2), _x(2, 3, 4, 6))):
        assert repr(em) == repr(tm)
        compare_module(em, tm, x)
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ember.zeros(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="height to be divisible"):
        F.pixel_unshuffle(ember.zeros(1, 1, 3, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(ember.zeros(4, 4), 2)
    with pytest.raises(RuntimeError):
        TF.pixel_shuffle(torch.zeros(1, 5, 2, 2), 2)


@pytest.mark.parametrize("shape,g", [((2, 6, 3, 3), 2), ((2, 6, 3, 3), 3), ((3, 8, 5), 4), ((1, 4, 2, 2, 2), 1)])
def test_channel_shuffle_matches_torch(shape, g):
    x = _x(*shape)
    check(lambda a: F.channel_shuffle(a, g), lambda a: TF.channel_shuffle(a, g), x, grad=False)
    check(lambda a: F.channel_shuffle(a, g) * 2, lambda a: torch.nn.ChannelShuffle(g)(a) * 2, x)
    em, tm = ember.nn.ChannelShuffle(g), torch.nn.ChannelShuffle(g)
    assert repr(em) == repr(tm)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.channel_shuffle(ember.zeros(1, 5, 2, 2), 2)


def test_shuffles_second_order():
    x = np.random.default_rng(1).standard_normal((1, 8, 2, 2))
    check_second_order(lambda a: F.pixel_shuffle(a * a, 2), lambda a: TF.pixel_shuffle(a * a, 2), x)
    check_second_order(lambda a: F.pixel_unshuffle(a * a, 2), lambda a: TF.pixel_unshuffle(a * a, 2), x)
    check_second_order(lambda a: F.channel_shuffle(a * a, 4), lambda a: torch.nn.ChannelShuffle(4)(a * a), x)


# -- max unpooling ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=2,
                                                                                         padding=1),
                                dict(kernel_size=(2, 3), stride=(2, 1))])
def test_max_unpool2d_matches_torch(kw):
    x = _x(2, 3, 7, 8)
    ty, ti = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    ey, ei = F.max_pool2d(ember.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    y = ty.numpy()
    try:
        TF.max_unpool2d(ty, ti, **kw)
    except RuntimeError:    # the default size (here 7x7 or 6x8) cannot hold the indices: both refuse
        with pytest.raises(RuntimeError, match="invalid max index"):
            F.max_unpool2d(ey, ei, **kw)
    else:
        check(lambda a: F.max_unpool2d(a, ei, **kw), lambda a: TF.max_unpool2d(a, ti, **kw), y)
    check(lambda a: F.max_unpool2d(a, ei, output_size=(7, 8), **kw),
          lambda a: TF.max_unpool2d(a, ti, output_size=(7, 8), **kw), y)
    check(lambda a: F.max_unpool2d(a, ei[0], output_size=[2, 3, 7, 8], **kw),
          lambda a: TF.max_unpool2d(a, ti[0], output_size=[2, 3, 7, 8], **kw), y[0])
    k = kw.get("kernel_size")
    em = ember.nn.MaxUnpool2d(k, kw.get("stride"), kw.get("padding", 0))
    tm = torch.nn.MaxUnpool2d(k, kw.get("stride"), kw.get("padding", 0))
    assert repr(em) == repr(tm)
    assert_close(em(ember.tensor(y), ei, (7, 8)), tm(ty, ti, (7, 8)))


def test_max_unpool1d_matches_torch():
    x = _x(2, 3, 11)
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)):
        ty, ti = TF.max_pool1d(torch.tensor(x), return_indices=True, **kw)
        ey, ei = F.max_pool1d(ember.tensor(x), return_indices=True, **kw)
        y = ty.numpy()
        check(lambda a: F.max_unpool1d(a, ei, **kw), lambda a: TF.max_unpool1d(a, ti, **kw), y)
        check(lambda a: F.max_unpool1d(a, ei, output_size=[11], **kw),
              lambda a: TF.max_unpool1d(a, ti, output_size=[11], **kw), y)
        em, tm = ember.nn.MaxUnpool1d(**kw), torch.nn.MaxUnpool1d(**kw)
        assert repr(em) == repr(tm)
        assert_close(em(ember.tensor(y), ei, [11]), tm(ty, ti, [11]))


def test_max_unpool_errors():
    y, i = F.max_pool2d(ember.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(y, i, 2, output_size=(9, 9))
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool2d(y, i + 100, 2)
    with pytest.raises(RuntimeError, match="shape of indices"):
        F.max_unpool2d(y, i[..., :1], 2)
    ty, ti = TF.max_pool2d(torch.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError):
        TF.max_unpool2d(ty, ti, 2, output_size=(9, 9))
    with pytest.raises(RuntimeError):
        TF.max_unpool2d(ty, ti + 100, 2)


def test_max_unpool_second_order():
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    _, ti = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ei = ember.tensor(ti.numpy())
    y = np.random.default_rng(3).standard_normal((1, 2, 2, 2))
    check_second_order(lambda a: F.max_unpool2d(a * a, ei, 2), lambda a: TF.max_unpool2d(a * a, ti, 2), y)


# -- EmbeddingBag -----------------------------------------------------------------------------------------
def _bag_pair(mode, **kw):
    torch.manual_seed(0)
    tm = torch.nn.EmbeddingBag(10, 4, mode=mode, **kw)
    em = ember.nn.EmbeddingBag(10, 4, mode=mode, **kw)
    em.weight.data.copy_(ember.tensor(tm.weight.detach().numpy()))
    return em, tm


def _compare_bag(em, tm, idx, offsets=None, psw=None):
    e_psw = ember.tensor(psw, requires_grad=True) if psw is not None else None
    t_psw = torch.tensor(psw, requires_grad=True) if psw is not None else None
    e_off = ember.tensor(offsets) if offsets is not None else None
    t_off = torch.tensor(offsets) if offsets is not None else None
    eo = em(ember.tensor(idx), e_off, e_psw)
    to = tm(torch.tensor(idx), t_off, t_psw)
    assert_close(eo, to, what="output")
    g = RNG.standard_normal(tuple(to.shape)).astype(np.float32)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(em.weight.grad, tm.weight.grad, what="weight grad")
    if psw is not None:
        assert_close(e_psw.grad, t_psw.grad, what="per_sample_weights grad")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_matches_torch(mode, padding_idx):
    idx1 = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2, 2, 7], np.int64)
    em, tm = _bag_pair(mode, padding_idx=padding_idx)
    assert repr(em) == repr(tm)
    _compare_bag(em, tm, idx1, np.array([0, 4, 4, 8], np.int64))           # with an empty bag
    em, tm = _bag_pair(mode, padding_idx=padding_idx)
    _compare_bag(em, tm, idx1.reshape(-1)[:10].reshape(2, 5))               # 2-D: fixed-length bags
    em, tm = _bag_pair(mode, padding_idx=padding_idx, include_last_offset=True)
    _compare_bag(em, tm, idx1, np.array([0, 3, 3, 9, 11], np.int64))
    em, tm = _bag_pair(mode, padding_idx=padding_idx)
    _compare_bag(em, tm, np.array([2, 2, 5], np.int64), np.array([0, 2], np.int64))  # a bag of padding only


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_many_repeats_and_equal_bags(mode):
    """An index repeated more than 32 times (the bincount scatter) and equal-length bags given by offsets."""
    idx = np.random.default_rng(11).integers(0, 10, 120)
    idx[::3] = 3
    em, tm = _bag_pair(mode)
    _compare_bag(em, tm, idx, np.arange(0, 120, 8))
    em, tm = _bag_pair(mode)
    _compare_bag(em, tm, idx, np.array([0, 1, 50, 50, 119]))


def test_embedding_bag_per_sample_weights_and_max_norm():
    em, tm = _bag_pair("sum")
    idx = np.array([1, 2, 4, 5, 4, 3], np.int64)
    psw = _x(6, seed=4)
    _compare_bag(em, tm, idx, np.array([0, 2], np.int64), psw)
    em, tm = _bag_pair("sum")
    _compare_bag(em, tm, idx.reshape(2, 3), None, psw.reshape(2, 3))
    em, tm = _bag_pair("mean", max_norm=1.0)
    _compare_bag(em, tm, idx, np.array([0, 3], np.int64))
    assert_close(em.weight, tm.weight, what="renormalised weight")


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq_is_embeddings(mode):
    """With scale_grad_by_freq each row's gradient is divided by how often its index occurs in the whole
    input, as F.embedding does. The oracle is torch's F.embedding followed by the per-bag sum/mean:
    torch 2.13's own embedding_bag backward divides some rows by another index's count."""
    idx, off = np.array([1, 2, 2, 5, 4, 3, 2, 9, 2, 2, 7]), np.array([0, 4, 4, 8])
    bag = torch.tensor(np.repeat(np.arange(4), np.diff(np.append(off, len(idx)))))
    w = _x(10, 3, seed=9)

    def torch_bags(a):
        rows = TF.embedding(torch.tensor(idx), a, scale_grad_by_freq=True)
        out = torch.zeros(4, 3).index_add(0, bag, rows)
        if mode == "mean":
            out = out / torch.bincount(bag, minlength=4).clamp(min=1)[:, None]
        return out
    check(lambda a: F.embedding_bag(ember.tensor(idx), a, ember.tensor(off), mode=mode, scale_grad_by_freq=True),
          torch_bags, w)


def test_embedding_bag_functional_and_errors():
    w = _x(10, 3, seed=5)
    idx, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4])
    check(lambda a: F.embedding_bag(ember.tensor(idx), a, ember.tensor(off)),
          lambda a: TF.embedding_bag(torch.tensor(idx), a, torch.tensor(off)), w)
    check(lambda a: F.embedding_bag(ember.tensor(idx), a, ember.tensor(off), mode="max"),
          lambda a: TF.embedding_bag(torch.tensor(idx), a, torch.tensor(off), mode="max"), w)
    e, t = ember.tensor(w), torch.tensor(w)
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(ember.tensor(idx.reshape(2, 4)), e, ember.tensor(off))
    with pytest.raises(ValueError):
        TF.embedding_bag(torch.tensor(idx.reshape(2, 4)), t, torch.tensor(off))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(ember.tensor(idx), e, ember.tensor(off), per_sample_weights=ember.ones(8))
    with pytest.raises(NotImplementedError):
        TF.embedding_bag(torch.tensor(idx), t, torch.tensor(off), per_sample_weights=torch.ones(8))
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        F.embedding_bag(ember.tensor(idx), e, ember.tensor(off), mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError):
        TF.embedding_bag(torch.tensor(idx), t, torch.tensor(off), mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(ember.tensor(idx), e, ember.tensor(off), mode="min")
    with pytest.raises(RuntimeError, match="not in the valid range"):      # torch: RuntimeError too
        F.embedding_bag(ember.tensor(idx + 5), e, ember.tensor(off))
    with pytest.raises(RuntimeError):
        TF.embedding_bag(torch.tensor(idx + 5), t, torch.tensor(off))


def test_embedding_bag_second_order():
    idx = np.array([1, 2, 4, 1, 3], np.int64)
    off = np.array([0, 3], np.int64)
    w = np.random.default_rng(6).standard_normal((5, 3))
    psw = np.random.default_rng(7).standard_normal(5)

    # torch has no double backward with per_sample_weights: ember's is checked numerically
    ins = [ember.tensor(w, requires_grad=True), ember.tensor(psw, requires_grad=True)]
    assert ember.autograd.gradgradcheck(
        lambda a, p: F.embedding_bag(ember.tensor(idx), a * a, ember.tensor(off), mode="sum", per_sample_weights=p),
        ins)
    for mode in ("sum", "mean", "max"):
        def g(lib, mode=mode):
            return lambda a: lib.nn.functional.embedding_bag(lib.tensor(idx), a * a, lib.tensor(off), mode=mode)
        check_second_order(g(ember), g(torch), w)


# -- LocalResponseNorm ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 7, 4, 3), (1, 5, 2, 3, 2)])
@pytest.mark.parametrize("size,alpha,beta,k", [(2, 1e-4, 0.75, 1.0), (3, 0.5, 0.6, 2.0), (5, 1.0, 1.5, 0.5)])
def test_local_response_norm_matches_torch(shape, size, alpha, beta, k):
    x = _x(*shape) * 3
    check(lambda a: F.local_response_norm(a, size, alpha, beta, k),
          lambda a: TF.local_response_norm(a, size, alpha, beta, k), x)
    em, tm = ember.nn.LocalResponseNorm(size, alpha, beta, k), torch.nn.LocalResponseNorm(size, alpha, beta, k)
    assert repr(em) == repr(tm)
    compare_module(em, tm, x)


def test_local_response_norm_errors_and_second_order():
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(ember.zeros(2, 3), 2)
    with pytest.raises(ValueError):
        TF.local_response_norm(torch.zeros(2, 3), 2)
    x = np.random.default_rng(8).standard_normal((1, 4, 3))
    check_second_order(lambda a: F.local_response_norm(a, 3, 0.5, 0.75, 1.0),
                       lambda a: TF.local_response_norm(a, 3, 0.5, 0.75, 1.0), x)
