"""The channels-last convolution pipeline (ops/_conv_fast.py, ember/_workspace.py) against
PyTorch: every conv/pool/norm option forward and backward through each chunking of the kernels
(whole images, bands of rows, one row), results bitwise independent of the thread count, and
scratch buffers that are reused across calls without leaking into results."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember import _parallel, _workspace
from ember.ops import _conv_fast
from ember.ops._im2col import Geometry
from tests.oracle import check

RNG = np.random.default_rng(0)


def r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.fixture(params=["images", "row-bands", "single-rows", "planes", "planes-row-bands", "no-planes",
                        "no-planes-whole"])
def chunking(request, monkeypatch):
    """How the kernels cut the output: runs of whole images (default budget), bands of a few
    rows of one image, or one output row per chunk; and every ungrouped conv through the
    K-major planes kernels (or none), their GEMMs on blocks of a few pixels (rows); rows-form
    products skip the kernel rows that fall on the padding, except in "no-planes-whole"."""
    if request.param.startswith("planes"):
        monkeypatch.setattr(_conv_fast, "small_block", lambda n, other: min(n, 13))
        monkeypatch.setattr(_conv_fast, "PLANES_MAX_C_COUT", 1 << 30)
        monkeypatch.setattr(_conv_fast, "PLANES_MAX_C", 1 << 30)
        monkeypatch.setattr(_conv_fast, "DX_FLAT_MAX_C_COUT", 1 << 30)
    elif request.param.startswith("no-planes"):
        monkeypatch.setattr(_conv_fast, "PLANES_MAX_C_COUT", 0)
        monkeypatch.setattr(_conv_fast, "PLANES_MAX_C", 0)
        monkeypatch.setattr(_conv_fast, "DX_FLAT_MAX_C_COUT", 0)
    monkeypatch.setattr(_conv_fast, "DX_FLAT_CHUNK_BYTES", 1 if request.param.endswith("rows") else 1 << 20)
    if request.param.endswith("bands"):       # rows-form GEMMs in blocks of a few rows
        monkeypatch.setattr(_conv_fast, "small_rows", lambda n, other: min(n, 5))
    if request.param != "no-planes-whole":    # skip the kernel rows on padding (when not planes)
        monkeypatch.setattr(_conv_fast, "SKIP_PADDING_MIN", 0)
    budget = {"images": 1 << 20, "row-bands": 3000, "single-rows": 1, "planes": 1 << 20, "planes-row-bands": 3000,
              "no-planes": 1 << 20, "no-planes-whole": 1 << 20}[request.param]
    monkeypatch.setattr(_conv_fast, "CHUNK_BYTES", budget)
    monkeypatch.setattr(_conv_fast, "WGRAD_CHUNK_BYTES", budget)
    return request.param


@pytest.mark.parametrize("H, k, s, d, pt, pb", [(16, 5, 1, 1, 2, 2), (8, 5, 1, 1, 2, 2), (7, 3, 2, 2, 3, 3),
                                               (5, 3, 1, 1, 0, 0), (1, 3, 1, 1, 4, 1), (10, 2, 3, 2, 1, 3)])
def test_kernel_row_runs_keep_exactly_the_kernel_rows_that_read_the_input(H, k, s, d, pt, pb):
    geo = Geometry(1, 1, H, H, 1, k, k, (s, s), (d, d), (pt, pb, pt, pb), 1)
    for h0, h1 in [(0, geo.Ho), (geo.Ho // 2, geo.Ho)]:
        runs = _conv_fast.kernel_row_runs(geo, h0, h1)
        assert runs[0][0] == h0 and runs[-1][1] == h1
        assert all(a[1] == b[0] and a[2:] != b[2:] for a, b in zip(runs, runs[1:]))
        for a, b, i0, i1 in runs:
            for h in range(a, b):
                reads_input = [i for i in range(k) if 0 <= h * s + i * d - pt < H]
                assert list(range(i0, i1)) == reads_input


CONV_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 3), padding=(1, 2)),
    dict(padding="same"),
    dict(padding="same", dilation=(1, 2)),
    dict(padding="valid"),
    dict(dilation=2, padding=2),
    dict(groups=2, padding=1),
    dict(groups=4, stride=2),
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "plain")
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3, 4, 9, 7), (1, 4, 6, 11)], ids=["odd", "batch1"])
def test_conv2d_matches_torch(kw, bias, shape, chunking):
    x, w = r(*shape), r(8, 4 // kw.get("groups", 1), 3, 4)
    args = (x, w, r(8)) if bias else (x, w)
    check(lambda *a: F.conv2d(*(a if bias else a + (None,)), **kw),
          lambda *a: TF.conv2d(*(a if bias else a + (None,)), **kw), *args, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=3), dict(groups=3)])
def test_conv1d_matches_torch(kw, chunking):
    check(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
          r(2, 6, 13), r(6, 6 // kw.get("groups", 1), 3), r(6), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1), dict(groups=2), dict(dilation=2)])
def test_conv_transpose2d_matches_torch(kw, chunking):
    check(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
          r(2, 4, 5, 6), r(4, 3, 3, 3), r(3 * kw.get("groups", 1)), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_padding_modes_match_torch(mode, chunking):
    x = r(2, 3, 7, 8)
    torch.manual_seed(0)
    tm = torch.nn.Conv2d(3, 5, 3, padding=2, padding_mode=mode)
    ember.manual_seed(0)
    em = ember.nn.Conv2d(3, 5, 3, padding=2, padding_mode=mode)
    check(em, tm, x, atol=1e-4, rtol=1e-4)


def test_conv2d_empty_batch():
    y = F.conv2d(ember.zeros(0, 3, 8, 8, requires_grad=True), ember.randn(4, 3, 3, 3), padding=1)
    assert tuple(y.shape) == (0, 4, 8, 8)
    y.sum().backward()


POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
]


@pytest.mark.parametrize("kw", POOL_CASES)
def test_conv_relu_pool_chain_matches_torch(kw, chunking):
    # Ties from the ReLU's zeros go to the first maximum, as in PyTorch; indices too.
    def chain(lib_f):
        return lambda x, w: lib_f.max_pool2d(lib_f.relu(lib_f.conv2d(x, w, padding=1)), **kw)
    x, w = r(2, 3, 9, 10), r(4, 3, 3, 3)
    check(chain(F), chain(TF), x, w, atol=1e-4, rtol=1e-4)
    ie = F.max_pool2d(F.relu(F.conv2d(ember.tensor(x), ember.tensor(w), padding=1)), return_indices=True, **kw)[1]
    it = TF.max_pool2d(TF.relu(TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1)), return_indices=True, **kw)[1]
    np.testing.assert_array_equal(ie.numpy(), it.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                          count_include_pad=False)])
def test_conv_avg_pool_chain_matches_torch(kw, chunking):
    check(lambda x, w: F.avg_pool2d(F.conv2d(x, w), **kw), lambda x, w: TF.avg_pool2d(TF.conv2d(x, w), **kw),
          r(2, 3, 9, 10), r(4, 3, 3, 3), atol=1e-4, rtol=1e-4)


def _residual(lib, x, training=True):
    torch.manual_seed(0)
    ember.manual_seed(0)
    bn, conv = lib.nn.BatchNorm2d(6), lib.nn.Conv2d(6, 6, 3, padding=1, bias=False)
    bn.train(training)
    return x + conv(lib.nn.functional.relu(bn(x)))


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_relu_conv_block_matches_torch(training, chunking):
    check(lambda x: _residual(ember, x, training), lambda x: _residual(torch, x, training), r(3, 6, 7, 5),
          atol=1e-4, rtol=1e-4)


def _step(x, w, b, kw):
    xe, we, be = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.max_pool2d(F.relu(F.conv2d(xe, we, be, **kw)), 2, ceil_mode=True)
    y = F.conv2d(y, we[:, :y.shape[1]] if kw.get("groups", 1) == 1 else we, padding=1, groups=kw.get("groups", 1))
    y.backward(ember.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)))
    return [y._data, xe.grad._data, we.grad._data, be.grad._data]


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, padding=2), dict(groups=2, padding=1)])
@pytest.mark.parametrize("n", [2, 3])
def test_threads_give_bitwise_the_same_results(kw, n, chunking, monkeypatch):
    x, w, b = r(5, 4, 13, 11), r(4, 4 // kw.get("groups", 1), 3, 3), r(4)
    with _parallel.blas_threads(1):
        monkeypatch.setattr(_parallel, "workers", lambda: 1)
        one = _step(x, w, b, kw)
        monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(_parallel, "workers", lambda: n)
        many = _step(x, w, b, kw)
    for a, b_ in zip(one, many):
        np.testing.assert_array_equal(a, b_)


def test_scratch_buffers_never_leak_into_results():
    # Inference reuses the padded input, column and row buffers: an earlier output must not
    # change when the next call (same shapes) overwrites them.
    w = ember.tensor(r(4, 3, 3, 3))
    x1, x2 = ember.tensor(r(2, 3, 8, 8)), ember.tensor(r(2, 3, 8, 8))
    with ember.no_grad():
        y1 = F.conv2d(x1, w, padding=1)
        keep = y1._data.copy()
        y2 = F.conv2d(x2, w, padding=1)
    np.testing.assert_array_equal(y1._data, keep)
    assert not np.shares_memory(y1._data, y2._data)
    np.testing.assert_allclose(y2._data, TF.conv2d(torch.tensor(x2._data), torch.tensor(w._data), padding=1).numpy(),
                               atol=1e-5)


def test_scratch_is_reused_per_thread_and_bounded(monkeypatch):
    _workspace.release()
    a = _workspace.scratch("test.a", (16, 16), np.float32)
    assert _workspace.scratch("test.a", (16, 16), np.float32) is a
    assert _workspace.scratch("test.a", (16, 17), np.float32) is not a       # another shape
    assert _workspace.scratch("test.b", (16, 16), np.float32) is not a       # another tag
    assert _workspace.scratch("test.a", (16, 16), np.float64) is not a       # another dtype
    monkeypatch.setattr(_workspace, "MAX_BYTES", 3 * 1024)
    for i in range(10):
        _workspace.scratch("test.c", (256 + i,), np.float32)                  # ~1 KiB each
    assert _workspace.held_bytes() <= 3 * 1024                               # oldest released
    _workspace.release()
    assert _workspace.held_bytes() == 0


def test_training_steps_reuse_their_scratch_buffers():
    # After the first step, further steps at the same shapes allocate no new scratch buffers.
    _workspace.release()
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Conv2d(3, 8, 3, padding=1), ember.nn.MaxPool2d(2), ember.nn.Conv2d(8, 4, 3))
    x = ember.tensor(r(4, 3, 12, 12))
    model(x).sum().backward()
    held = dict(_workspace._BUFFERS)
    for _ in range(2):
        model(x).sum().backward()
    assert set(_workspace._BUFFERS) == set(held)
    assert all(_workspace._BUFFERS[k] is held[k] for k in held)


@pytest.mark.parametrize("N,Ho,Wo,row_bytes", [
    (16, 32, 32, 32 * 75 * 4),        # CIFAR-10's first conv at batch 16: runs of images
    (1, 32, 32, 32 * 75 * 4),         # ... at batch 1: bands of rows
    (64, 16, 16, 16 * 800 * 4),       # its second conv at batch 64
    (64, 8, 8, 8 * 800 * 4),          # its third: 7 runs of images would fit, 8 are taken
    (3, 224, 224, 224 * 576 * 4),     # big images: bands of rows of each image
    (2, 3, 3, 40),                    # tiny: one chunk
    (7, 5, 4, 1 << 20),               # one row over the budget: a row per chunk
])
def test_chunks_cover_every_output_row_once_in_even_parts(N, Ho, Wo, row_bytes):
    geo = Geometry(N, 1, Ho, Wo, 1, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0), 1)
    cs = _conv_fast.chunks(geo, row_bytes, _conv_fast.CHUNK_BYTES)
    assert cs[0].p0 == 0 and cs[-1].p1 == N * Ho * Wo
    assert all(a.p1 == b.p0 for a, b in zip(cs, cs[1:]))               # in order, no gap, no overlap
    assert all(c.p1 - c.p0 == c.m * c.P for c in cs)
    rows = [c.m * (c.h1 - c.h0) for c in cs]
    assert max(rows) - min(rows) <= max(1, Ho if cs[0].h1 - cs[0].h0 == Ho else 1)
    if N * Ho * row_bytes >= _conv_fast.MIN_CHUNKS * _conv_fast.MIN_CHUNK_BYTES and N * Ho >= _conv_fast.MIN_CHUNKS:
        assert len(cs) >= _conv_fast.MIN_CHUNKS                            # enough to share out
    if N * Ho * row_bytes <= _conv_fast.MIN_CHUNK_BYTES:
        assert len(cs) == 1                                                # too little to cut
    if cs[0].h1 - cs[0].h0 == Ho and 1 < len(cs) < N:
        assert len(cs) % _conv_fast.MIN_CHUNKS == 0                        # whole rounds on 2 or 4 threads


def test_lenet_sized_threads_give_bitwise_the_same_results(monkeypatch):
    # Default chunk sizes (no fixture): LeNet's second conv (6 -> 16 channels) at batch 24 is cut
    # into several chunks, its input gradient takes the shifted-rows path, and the max pool
    # after a ReLU has ties; 1, 2 and 3 threads must agree bitwise.
    x, w1, w2 = r(24, 1, 32, 32), r(6, 1, 5, 5), r(16, 6, 5, 5)

    def run():
        xe, a, b = (ember.tensor(v, requires_grad=True) for v in (x, w1, w2))
        h = F.max_pool2d(F.relu(F.conv2d(xe, a)), 2)
        y = F.max_pool2d(F.relu(F.conv2d(h, b)), 2)
        y.backward(ember.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)))
        return [y._data, xe.grad._data, a.grad._data, b.grad._data]
    with _parallel.blas_threads(1):
        monkeypatch.setattr(_parallel, "workers", lambda: 1)
        one = run()
        monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
        for n in (2, 3):
            monkeypatch.setattr(_parallel, "workers", lambda: n)
            for a, b_ in zip(one, run()):
                np.testing.assert_array_equal(a, b_)
    te = [torch.tensor(v, requires_grad=True) for v in (x, w1, w2)]
    h = TF.max_pool2d(TF.relu(TF.conv2d(te[0], te[1])), 2)
    yt = TF.max_pool2d(TF.relu(TF.conv2d(h, te[2])), 2)
    yt.backward(torch.linspace(-1, 1, yt.numel()).reshape(yt.shape))
    for a, t in zip(one, [yt] + [v.grad for v in te]):
        t = t.detach().numpy()
        np.testing.assert_allclose(a, t, rtol=1e-4, atol=1e-5 * np.abs(t).max())     # sums of ~10^4 terms


@pytest.mark.parametrize("kw", [dict(padding=2), dict(stride=2, padding=1), dict(padding=(1, 2), dilation=(2, 1))])
def test_rgb_first_layer_planes_forward_channels_last_weight_grad(kw, chunking):
    # 3 -> 32 channels: the forward runs on NCHW planes (C <= PLANES_MAX_C); the weight gradient
    # too at stride 1, while at stride 2 (C * Cout above PLANES_MAX_C_COUT) it turns the saved
    # NCHW input channels-last.
    x, w, b = r(3, 3, 12, 10), r(32, 3, 5, 5), r(32)
    assert _conv_fast.uses_planes(Geometry(3, 3, 12, 10, 32, 5, 5, (1, 1), (1, 1), (2, 2, 2, 2), 1)) == \
        (not chunking.startswith("no-planes"))
    check(lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), x, w, b, atol=1e-4, rtol=1e-4)
