"""Pooling ops against PyTorch: max/avg/adaptive, 1-D and 2-D, indices, ties, memory layouts,
errors, gradcheck."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember import _parallel
from tests.oracle import check

RNG = np.random.default_rng(0)


def r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def channels_last(lib, x):
    """The same values as ``x`` held in NHWC memory (as conv2d outputs are in ember)."""
    return x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)


@pytest.fixture(params=["nchw", "nchw-threads", "nhwc", "nhwc-threads", "nchw-blocks", "nhwc-threads-blocks"])
def layout(request, monkeypatch):
    """Input memory layout; "-threads" also shares the batch out to two worker threads;
    "-blocks" runs the max pools' passes image by image (cache-sized runs)."""
    if "-threads" in request.param:
        monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(_parallel, "workers", lambda: 2)
    if request.param.endswith("-blocks"):
        monkeypatch.setattr(ember.ops._pool_layout, "BLOCK_BYTES", 1)
    return request.param


def _in_layout(lib, x, layout):
    return channels_last(lib, x) if layout.startswith("nhwc") else x


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),                       # overlapping windows
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=2, padding=1),                      # tiling windows over a padded input
    dict(kernel_size=(3, 2), ceil_mode=True),
    dict(kernel_size=(2, 3), dilation=2, padding=1),
    dict(kernel_size=3, stride=2, dilation=(1, 2), ceil_mode=True),
]


def _ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("kw", MAX_CASES, ids=_ids)
def test_max_pool2d_values_indices_grads(kw, layout):
    check(lambda x: F.max_pool2d(_in_layout(ember, x, layout), **kw, return_indices=True),
          lambda x: TF.max_pool2d(x, **kw, return_indices=True), r(2, 3, 9, 7))
    check(lambda x: F.max_pool2d(_in_layout(ember, x, layout), **kw),
          lambda x: TF.max_pool2d(x, **kw), r(2, 3, 8, 8))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)], ids=_ids)
def test_max_pool2d_ties_and_nan_pick_torchs_position(kw, layout):
    x = np.zeros((1, 2, 6, 6), np.float32)            # all ties (like ReLU outputs)
    x[0, 0, 1, 1:4] = 1.0
    x[0, 1, 2, 2] = np.nan
    x[0, 1, 3, 3] = np.nan
    e = ember.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    ye, ie = F.max_pool2d(_in_layout(ember, e, layout), **kw, return_indices=True)
    yt, it = TF.max_pool2d(t, **kw, return_indices=True)
    np.testing.assert_array_equal(ye._data, yt.detach().numpy())
    np.testing.assert_array_equal(ie._data, it.numpy())
    g = r(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    # Same positions get gradient; overlapping windows may sum in another order.
    np.testing.assert_allclose(e.grad._data, t.grad.numpy(), rtol=1e-6, atol=1e-7)


def _tied(kind, shape):
    """Inputs whose windows have tied maxima: all equal, few distinct values, or a single tie."""
    if kind == "constant":
        return np.ones(shape, np.float32)
    if kind == "repeated":
        return RNG.integers(0, 3, shape).astype(np.float32)
    x = r(*shape)
    x[(0, 0) + (0,) * (len(shape) - 3) + (slice(0, 2),)] = 10.0    # one tie, in the first window
    return x


TIE_KINDS = ["constant", "repeated", "one-tie"]


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3)), dict(kernel_size=(3, 2)),
                                dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=1, padding=1)], ids=_ids)
@pytest.mark.parametrize("kind", TIE_KINDS)
def test_max_pool2d_tied_maxima_without_indices_match_torch(kw, kind, layout):
    # PyTorch gives a window's gradient to one position, its first maximum, not to every tied
    # maximum. The fast backward of tiling windows (no indices asked for) must notice any tie
    # and fall back to picking that position.
    x = _tied(kind, (2, 3, 7, 6))
    check(lambda x: F.max_pool2d(_in_layout(ember, x, layout), **kw), lambda x: TF.max_pool2d(x, **kw), x)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3), dict(kernel_size=3, stride=2),
                                dict(kernel_size=2, stride=1, padding=1)], ids=_ids)
@pytest.mark.parametrize("kind", TIE_KINDS)
def test_max_pool1d_tied_maxima_without_indices_match_torch(kw, kind):
    x = _tied(kind, (2, 3, 13))
    check(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), x)
    check(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), x[0])


def test_max_pool2d_after_relu_conv_ties():
    w = r(4, 3, 3, 3)
    check(lambda x, w: F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2),
          lambda x, w: TF.max_pool2d(TF.relu(TF.conv2d(x, w, padding=1)), 2), r(2, 3, 8, 8) - 1, w)


def test_max_pool2d_unbatched_and_grad_fn():
    check(lambda x: F.max_pool2d(x, 2, return_indices=True), lambda x: TF.max_pool2d(x, 2, return_indices=True),
          r(3, 6, 5))
    y = F.max_pool2d(ember.tensor(r(1, 1, 4, 4), requires_grad=True), 2)
    assert type(y.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=4, stride=1, dilation=2)], ids=_ids)
def test_max_pool1d(kw):
    check(lambda x: F.max_pool1d(x, **kw, return_indices=True),
          lambda x: TF.max_pool1d(x, **kw, return_indices=True), r(2, 3, 13))
    check(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), r(3, 13))


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=2, ceil_mode=True),
]


@pytest.mark.parametrize("kw", AVG_CASES, ids=_ids)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d(kw, count_include_pad, layout):
    check(lambda x: F.avg_pool2d(_in_layout(ember, x, layout), **kw, count_include_pad=count_include_pad),
          lambda x: TF.avg_pool2d(x, **kw, count_include_pad=count_include_pad), r(2, 3, 9, 7))


def test_avg_pool2d_divisor_override_and_grad_fn():
    check(lambda x: F.avg_pool2d(x, 3, 2, 1, divisor_override=5),
          lambda x: TF.avg_pool2d(x, 3, 2, 1, divisor_override=5), r(2, 3, 7, 7))
    y = F.avg_pool2d(ember.tensor(r(1, 1, 4, 4), requires_grad=True), 2)
    assert type(y.grad_fn).__name__ == "AvgPool2DBackward0"


@pytest.mark.parametrize("kw", [dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                            count_include_pad=False)], ids=_ids)
def test_avg_pool1d(kw):
    check(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), r(2, 3, 10))


@pytest.mark.parametrize("out", [(3, 4), 1, (5, 2), (7, 9), (2, None), (4, 6)])
def test_adaptive_pools_2d(out):
    x = r(2, 3, 7, 9)                                     # 7 -> 3 and 9 -> 4 give overlapping bins
    check(lambda x: F.adaptive_avg_pool2d(x, out), lambda x: TF.adaptive_avg_pool2d(x, out), x)
    check(lambda x: F.adaptive_max_pool2d(x, out, return_indices=True),
          lambda x: TF.adaptive_max_pool2d(x, out, return_indices=True), x)
    check(lambda x: F.adaptive_max_pool2d(x[0], out), lambda x: TF.adaptive_max_pool2d(x[0], out), x)


def test_adaptive_max_pool2d_ties_and_grad_fn():
    x = np.zeros((1, 1, 5, 5), np.float32)
    check(lambda x: F.adaptive_max_pool2d(x, 3, return_indices=True),
          lambda x: TF.adaptive_max_pool2d(x, 3, return_indices=True), x)
    y = F.adaptive_avg_pool2d(ember.tensor(r(1, 1, 4, 4), requires_grad=True), 2)
    assert type(y.grad_fn).__name__ == "AdaptiveAvgPool2DBackward0"


@pytest.mark.parametrize("out", [1, 4, 6])
def test_adaptive_pools_1d(out):
    check(lambda x: F.adaptive_avg_pool1d(x, out), lambda x: TF.adaptive_avg_pool1d(x, out), r(2, 3, 9))
    check(lambda x: F.adaptive_max_pool1d(x, out, return_indices=True),
          lambda x: TF.adaptive_max_pool1d(x, out, return_indices=True), r(2, 3, 9))


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda x: F.adaptive_max_pool2d(x, (3, 2)),
    lambda x: F.max_pool1d(x[0], 2),
], ids=["max", "avg", "adaptive_avg", "adaptive_max", "max1d"])
def test_pool_gradcheck_float64(fn):
    x = ember.tensor(r(2, 2, 5, 5, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))


def test_pool_errors():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.avg_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match=r"Given input size: \(1x4x4\). Calculated output size: \(1x0x0\)"):
        F.max_pool2d(x, 5)
    with pytest.raises(RuntimeError, match="3D \\(unbatched\\) or 4D \\(batched\\) input"):
        F.max_pool2d(ember.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match="Expected 3D or 4D tensor"):
        F.adaptive_avg_pool2d(ember.zeros(2, 3, 4, 5, 6), 2)
    with pytest.raises(RuntimeError):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError):
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2)


def test_pool_argument_errors():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match=r"^kernel_size must either be a single int, or a tuple of 2 ints, "
                                           r"got \[2, 2, 2\]$"):
        F.max_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match=r"^stride must either be a single int, or a tuple of 2 ints, "
                                           r"got \[1, 1, 1\]$"):
        F.avg_pool2d(x, 2, stride=(1, 1, 1))
    assert tuple(F.max_pool2d(x, [2], stride=()).shape) == (1, 1, 2, 2)      # empty stride: the kernel


def test_max_pool2d_output_changed_in_place_keeps_gradients():
    # ReLU(inplace=True) after a pool is legal in PyTorch (the pool backward uses indices).
    x = r(2, 3, 8, 8)
    w = r(3, 3, 3, 3)
    check(lambda x, w: F.relu(F.max_pool2d(F.conv2d(x, w, padding=1), 2), inplace=True),
          lambda x, w: TF.relu(TF.max_pool2d(TF.conv2d(x, w, padding=1), 2), inplace=True), x, w)


def test_max_pool2d_input_changed_in_place_raises_like_torch():
    x = ember.tensor(r(1, 1, 4, 4), requires_grad=True)
    h = x * 1
    y = F.max_pool2d(h, 2)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d"])
@pytest.mark.parametrize("shape", [(0, 4, 3), (2, 0, 3), (0, 2, 4, 3), (2, 0, 4, 3), (0, 4), (0, 2, 4)])
def test_empty_inputs_accepted_or_refused_as_torch(name, shape):
    """Only a batched input may have 0 samples; an unbatched (C, H, W) with C = 0 is refused."""
    nd = 2 if name.endswith("2d") else 1
    if len(shape) not in (nd + 1, nd + 2):
        return
    x = np.zeros(shape, np.float32)
    try:
        want = getattr(TF, name)(torch.tensor(x), 2)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(F, name)(ember.tensor(x), 2)
        return
    got = getattr(F, name)(ember.tensor(x), 2)
    assert tuple(got.shape) == tuple(want.shape)
