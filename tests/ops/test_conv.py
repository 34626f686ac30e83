"""Convolution ops against PyTorch: conv1d/conv2d/conv_transpose*, every kernel variant, errors,
gradcheck."""
import multiprocessing as mp

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember import _parallel
from ember.ops import _conv_fast
from tests.oracle import check

RNG = np.random.default_rng(0)


def r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _threads(monkeypatch, n=2):
    """Share every batch-chunked loop out to ``n`` worker threads, however small."""
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(_parallel, "workers", lambda: n)


def _tiny_chunks(monkeypatch):
    monkeypatch.setattr(_conv_fast, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_conv_fast, "WGRAD_CHUNK_BYTES", 1)


@pytest.fixture(params=["default", "tiny-chunks", "col2im", "threads", "rows-wgrad"])
def kernel_path(request, monkeypatch):
    """Run a test through each code path of the conv kernels: one chunk, many chunks, the
    col2im input gradient instead of the conv-of-flipped-weights one, chunks shared out to
    two worker threads, and the pixel-rows weight-gradient GEMM instead of the chunked one."""
    if request.param in ("tiny-chunks", "threads"):
        _tiny_chunks(monkeypatch)
    if request.param == "threads":
        _threads(monkeypatch)
    elif request.param == "col2im":
        monkeypatch.setattr(_conv_fast, "DX_BY_CONV", False)
    elif request.param == "rows-wgrad":
        monkeypatch.setattr(_conv_fast, "WGRAD_BY_CHUNKS", False)
    return request.param


CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(padding=(2, 0), stride=(1, 2)),
    dict(padding="same"),
    dict(padding="same", dilation=2),
    dict(padding="valid"),
    dict(dilation=(2, 1), padding=1),
    dict(groups=2),
    dict(groups=4, stride=2, padding=1),
    dict(stride=3, padding=2, dilation=2),
]


@pytest.mark.parametrize("kw", CONV2D_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "plain")
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(kw, bias, kernel_path):
    g = kw.get("groups", 1)
    x = r(2, 4, 9, 7)                     # non-square input
    w = r(8, 4 // g, 3, 2)                # non-square kernel
    args = [x, w] + ([r(8)] if bias else [])
    check(lambda *a: F.conv2d(*a, **kw) if bias else F.conv2d(a[0], a[1], None, **kw),
          lambda *a: TF.conv2d(*a, **kw) if bias else TF.conv2d(a[0], a[1], None, **kw), *args)


@pytest.mark.parametrize("k", [(1, 1), (4, 4), (2, 5)])
def test_conv2d_kernel_shapes_and_batch_one(k, kernel_path):
    check(lambda x, w, b: F.conv2d(x, w, b, padding="same"), lambda x, w, b: TF.conv2d(x, w, b, padding="same"),
          r(1, 3, 6, 8), r(5, 3, *k), r(5))


def test_conv2d_unbatched_input():
    check(lambda x, w, b: F.conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1),
          r(3, 5, 5), r(4, 3, 3, 3), r(4))


def test_conv2d_grad_fn_name_and_dtype():
    x = ember.tensor(r(1, 2, 4, 4), requires_grad=True)
    y = F.conv2d(x, ember.tensor(r(3, 2, 3, 3)))
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    assert y.dtype == ember.float32
    y64 = F.conv2d(x.double(), ember.tensor(r(3, 2, 3, 3, dtype=np.float64)))
    assert y64.dtype == ember.float64


def test_conv2d_no_grad_saves_nothing():
    with ember.no_grad():
        y = F.conv2d(ember.tensor(r(1, 2, 4, 4)), ember.tensor(r(3, 2, 3, 3), requires_grad=True))
    assert y.grad_fn is None and not y.requires_grad


def test_conv2d_output_feeds_ops_that_need_nchw():
    # The conv output is a channels-last strided view; downstream ops must see plain NCHW values.
    x, w = r(2, 3, 5, 5), r(4, 3, 3, 3)
    check(lambda x, w: F.conv2d(x, w, padding=1).reshape(2, -1) * 2,
          lambda x, w: TF.conv2d(x, w, padding=1).reshape(2, -1) * 2, x, w)
    check(lambda x, w: F.conv2d(F.conv2d(x, w, padding=1), w.transpose(0, 1)[:3].contiguous(), stride=2),
          lambda x, w: TF.conv2d(TF.conv2d(x, w, padding=1), w.transpose(0, 1)[:3].contiguous(), stride=2),
          x, w)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=3),
                                dict(groups=2), dict(padding="valid", stride=3)])
def test_conv1d_matches_torch(kw, kernel_path):
    g = kw.get("groups", 1)
    check(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
          r(2, 4, 11), r(6, 4 // g, 3), r(6))


def test_conv1d_unbatched():
    check(lambda x, w: F.conv1d(x, w), lambda x, w: TF.conv1d(x, w), r(4, 9), r(2, 4, 2))


CONVT_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)),
    dict(dilation=2, padding=1),
    dict(groups=2, stride=2, output_padding=1, dilation=2),
]


@pytest.mark.parametrize("kw", CONVT_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "plain")
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d_matches_torch(kw, bias, kernel_path):
    g = kw.get("groups", 1)
    args = [r(2, 4, 5, 6), r(4, 3, 3, 2)] + ([r(3 * g)] if bias else [])
    check(lambda *a: F.conv_transpose2d(a[0], a[1], a[2] if bias else None, **kw),
          lambda *a: TF.conv_transpose2d(a[0], a[1], a[2] if bias else None, **kw), *args)


def test_conv_transpose1d_and_unbatched():
    check(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, output_padding=1),
          lambda x, w, b: TF.conv_transpose1d(x, w, b, stride=2, output_padding=1), r(2, 4, 5), r(4, 3, 3), r(3))
    check(lambda x, w: F.conv_transpose2d(x, w, stride=2), lambda x, w: TF.conv_transpose2d(x, w, stride=2),
          r(4, 3, 3), r(4, 2, 2, 2))


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, dilation=2), dict(groups=2, padding="same")])
def test_conv2d_gradcheck_float64(kw, kernel_path):
    g = kw.get("groups", 1)
    x = ember.tensor(r(2, 2, 5, 4, dtype=np.float64), requires_grad=True)
    w = ember.tensor(r(4, 2 // g, 3, 2, dtype=np.float64), requires_grad=True)
    b = ember.tensor(r(4, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_conv_transpose2d_gradcheck_float64():
    x = ember.tensor(r(1, 2, 3, 3, dtype=np.float64), requires_grad=True)
    w = ember.tensor(r(2, 2, 3, 2, dtype=np.float64), requires_grad=True)
    b = ember.tensor(r(2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), (x, w, b))


def test_functional_conv_errors():
    x = ember.zeros(1, 3, 8, 8)
    with pytest.raises(RuntimeError, match=r"expected input\[1, 3, 8, 8\] to have 4 channels, but got 3"):
        F.conv2d(x, ember.zeros(2, 4, 3, 3))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d"):
        F.conv2d(ember.zeros(8, 8), ember.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(ember.zeros(1, 3, 2, 2), ember.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="not supported for strided convolutions"):
        F.conv2d(x, ember.zeros(2, 3, 3, 3), padding="same", stride=2)
    with pytest.raises(RuntimeError, match="should be the same"):
        F.conv2d(x.double(), ember.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="bias"):
        F.conv2d(x, ember.zeros(2, 3, 3, 3), ember.zeros(3))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(x, ember.zeros(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(TypeError):
        F.conv2d(np.zeros((1, 3, 8, 8)), ember.zeros(2, 3, 3, 3))


def test_conv_argument_errors_match_torch():
    x, w = ember.zeros(1, 3, 8, 8), ember.zeros(2, 3, 3, 3)
    for kw in [dict(stride=(1, 1, 1)), dict(padding=[1, 2, 3]), dict(dilation=())]:
        name, value = next(iter(kw.items()))
        msg = (f"expected {name} to be a single integer value or a list of 2 values to match the convolution "
               f"dimensions, but got {name}={list(value)}")
        with pytest.raises(RuntimeError) as e:
            F.conv2d(x, w, **kw)
        with pytest.raises(RuntimeError) as t:
            TF.conv2d(torch.zeros(1, 3, 8, 8), torch.zeros(2, 3, 3, 3), **kw)
        assert str(e.value) == msg and str(t.value) == msg
    with pytest.raises(RuntimeError, match="output_padding=.1, 2, 3."):
        F.conv_transpose2d(x, ember.zeros(3, 2, 3, 3), output_padding=(1, 2, 3))
    assert tuple(F.conv1d(ember.zeros(1, 3, 8), ember.zeros(2, 3, 3), stride=[2], padding=(1,)).shape) == (1, 2, 4)


def test_conv2d_input_changed_in_place_raises_like_torch():
    x = ember.tensor(r(1, 2, 5, 5), requires_grad=True)
    h = x * 1
    y = F.conv2d(h, ember.tensor(r(3, 2, 3, 3), requires_grad=True))
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_conv2d_output_changed_in_place_is_fine():
    # ReLU(inplace=True) after a conv: the conv backward does not need its output.
    check(lambda x, w: F.relu(F.conv2d(x, w, padding=1), inplace=True),
          lambda x, w: TF.relu(TF.conv2d(x, w, padding=1), inplace=True), r(2, 3, 6, 6), r(4, 3, 3, 3))


def test_threaded_conv_works_in_a_forked_child(monkeypatch):
    _tiny_chunks(monkeypatch)
    monkeypatch.setattr(_parallel, "workers", lambda: 2)
    x, w = ember.tensor(r(4, 2, 6, 6)), ember.tensor(r(3, 2, 3, 3))
    expected = F.conv2d(x, w)._data          # creates the worker pool in this process
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=lambda: q.put(F.conv2d(x, w)._data))
    p.start()
    got = q.get(timeout=20)
    p.join(timeout=20)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("kw", [dict(padding=2), dict(stride=2, padding=1)])
def test_conv2d_large_images(kw, kernel_path):
    # Images bigger than a chunk: one image per chunk.
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
          r(3, 3, 34, 33), r(4, 3, 5, 5), r(4), atol=1e-4, rtol=1e-3)
