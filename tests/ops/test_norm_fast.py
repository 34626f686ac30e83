"""The tuned layer / group / instance norm kernels (ember.ops.normalization) against PyTorch:
outputs and the gradients of input, weight and bias for float32 and float64, without affine
parameters or bias, 1-D and multi-dim normalized_shape, tiny and large eps, constant rows,
a large mean over a unit spread, non-contiguous inputs and gradients, second derivatives, and the
same numbers on 1 and 2 threads."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember.ops._norm_kernels import channel_sums

EPS32 = float(np.finfo(np.float32).eps)


def _data(shape, seed=0, shift=0.0, scale=1.0, dtype=np.float32):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def _both(fn_e, fn_t, x, w, b, g, transpose=False):
    """(ember results, torch results): output and the gradients of x, w, b (None where absent) for the
    upstream gradient ``g``; ``transpose``: the op sees x with its last two axes swapped (a view)."""
    out = []
    for lib, fn in ((ember, fn_e), (torch, fn_t)):
        ts = [None if a is None else lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        xin = ts[0].transpose(-1, -2) if transpose else ts[0]
        y = fn(xin, ts[1], ts[2])
        y.backward(lib.tensor(g))
        out.append([y.detach().numpy()] + [None if t is None else t.grad.numpy() for t in ts])
    return out


def _assert_match(e, t, atol, rtol=1e-4):
    for what, a, b in zip(("output", "x.grad", "weight.grad", "bias.grad"), e, t):
        if b is None:
            assert a is None, what
            continue
        assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
        np.testing.assert_allclose(a, b, atol=atol * max(1.0, float(np.abs(b).max())), rtol=rtol, err_msg=what)


LN_CASES = [  # (input shape, normalized_shape, affine, bias, eps)
    ((64, 32, 256), (256,), True, True, 1e-5),
    ((16, 64, 128), (128,), True, True, 1e-5),
    ((4, 6, 5), (5,), True, True, 1e-5),               # short rows (shorter than a vector of 8)
    ((3, 4, 5, 6), (5, 6), True, True, 1e-5),          # multi-dim normalized_shape
    ((2, 3, 4, 8), (3, 4, 8), True, False, 1e-5),      # bias=False
    ((7, 33), (33,), False, False, 1e-5),              # elementwise_affine=False
    ((5, 64), (64,), True, True, 1e-12),               # tiny eps
    ((5, 64), (64,), True, True, 10.0),                # large eps
    ((97, 40), (40,), True, True, 1e-5),               # a prime number of rows
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,nshape,affine,bias,eps", LN_CASES)
def test_layer_norm_matches_torch(shape, nshape, affine, bias, eps, dtype):
    x, g = _data(shape, 0, dtype=dtype), _data(shape, 1, dtype=dtype)
    w = _data(nshape, 2, dtype=dtype) if affine else None
    b = _data(nshape, 3, dtype=dtype) if affine and bias else None
    e, t = _both(lambda a, ww, bb: F.layer_norm(a, nshape, ww, bb, eps),
                 lambda a, ww, bb: torch.nn.functional.layer_norm(a, nshape, ww, bb, eps), x, w, b, g)
    _assert_match(e, t, atol=2e-5 if dtype == np.float32 else 1e-12, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_layer_norm_constant_rows_and_large_mean():
    """Rows with variance 0 (every eps) and rows of mean 1e4 and spread 1, where E[x²] - mean² in
    float32 would lose every digit: the centred variance keeps PyTorch's numbers to the round-off of
    the mean (|mean| * eps per element)."""
    x = _data((24, 256), 0, shift=1e4)
    x[3] = 5.0
    x[7] = -1e4
    g = _data((24, 256), 1)
    w, b = _data(256, 2), _data(256, 3)
    for eps in (1e-5, 1e-12):
        e, t = _both(lambda a, ww, bb: F.layer_norm(a, (256,), ww, bb, eps),
                     lambda a, ww, bb: torch.nn.functional.layer_norm(a, (256,), ww, bb, eps), x, w, b, g)
        # constant rows: output = bias exactly (PyTorch is off there by its mean's round-off times
        # 1/sqrt(eps): 0.8 at eps=1e-12); x.grad = (g * w - mean(g * w)) / sqrt(eps)
        for r in (3, 7):
            np.testing.assert_array_equal(e[0][r], b)
            gw = g[r].astype(np.float64) * w
            np.testing.assert_allclose(e[1][r], (gw - gw.mean()) / np.sqrt(np.float32(eps)), rtol=1e-4,
                                       atol=1e-4 / np.sqrt(eps))
            if eps == 1e-5 and r == 3:   # (row 7, -1e4: PyTorch's mean is off by 1e-3, its output by 0.8)
                np.testing.assert_allclose(e[0][r], t[0][r], atol=1e-3)
                np.testing.assert_allclose(e[1][r], t[1][r], rtol=1e-4, atol=1e-3)
        others = [r for r in range(24) if r not in (3, 7)]
        e = [a[others] if a.ndim == 2 else a for a in e[:2]]
        t = [a[others] if a.ndim == 2 else a for a in t[:2]]
        _assert_match(e, t, atol=16 * EPS32 * 1e4, rtol=1e-3)


def test_layer_norm_non_contiguous_input_and_grad():
    x, g = _data((6, 48, 10), 0), _data((6, 10, 48), 1)
    w, b = _data(48, 2), _data(48, 3)
    e, t = _both(lambda a, ww, bb: F.layer_norm(a, (48,), ww, bb),
                 lambda a, ww, bb: torch.nn.functional.layer_norm(a, (48,), ww, bb), x, w, b, g, transpose=True)
    _assert_match(e, t, atol=2e-5)
    # a non-contiguous upstream gradient (a transposed view) reaches backward as it is
    gt = np.ascontiguousarray(g.transpose(0, 2, 1))
    xe = ember.tensor(x.transpose(0, 2, 1).copy(), requires_grad=True)
    xt = torch.tensor(x.transpose(0, 2, 1).copy(), requires_grad=True)
    F.layer_norm(xe, (48,)).backward(ember.tensor(gt).transpose(1, 2))
    torch.nn.functional.layer_norm(xt, (48,)).backward(torch.tensor(gt).transpose(1, 2))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), atol=2e-5)


GN_CASES = [  # (input shape, groups, affine)
    ((32, 32, 16, 16), 8, True),
    ((8, 64, 8, 8), 32, True),
    ((4, 6, 5), 3, True),
    ((4, 6, 5), 6, False),
    ((5, 12), 4, True),                # no spatial dims
    ((3, 8, 2, 3, 2), 2, True),        # 3-D spatial
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,groups,affine", GN_CASES)
def test_group_norm_matches_torch(shape, groups, affine, dtype):
    x, g = _data(shape, 0, dtype=dtype), _data(shape, 1, dtype=dtype)
    c = shape[1]
    w, b = (_data(c, 2, dtype=dtype), _data(c, 3, dtype=dtype)) if affine else (None, None)
    e, t = _both(lambda a, ww, bb: F.group_norm(a, groups, ww, bb),
                 lambda a, ww, bb: torch.nn.functional.group_norm(a, groups, ww, bb), x, w, b, g)
    _assert_match(e, t, atol=3e-5 if dtype == np.float32 else 1e-12, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_group_norm_constant_groups_large_mean_and_non_contiguous():
    x = _data((4, 8, 6, 6), 0, shift=1e3)
    x[1, :4] = 2.5                      # one constant group
    g, w, b = _data((4, 8, 6, 6), 1), _data(8, 2), _data(8, 3)
    for eps in (1e-5, 3.0):
        e, t = _both(lambda a, ww, bb: F.group_norm(a, 2, ww, bb, eps),
                     lambda a, ww, bb: torch.nn.functional.group_norm(a, 2, ww, bb, eps), x, w, b, g)
        _assert_match(e, t, atol=16 * EPS32 * 1e3, rtol=1e-3)
    # eps 1e-12: PyTorch's mean of the constant group is off by its round-off, which 1/sqrt(eps)
    # turns into an error of 0.06 in its output; ember's is exact there (output = bias, as the
    # math says), and matches PyTorch on the other samples
    e, t = _both(lambda a, ww, bb: F.group_norm(a, 2, ww, bb, 1e-12),
                 lambda a, ww, bb: torch.nn.functional.group_norm(a, 2, ww, bb, 1e-12), x, w, b, g)
    np.testing.assert_array_equal(e[0][1, :4], np.broadcast_to(b[:4, None, None], (4, 6, 6)))
    others = [0, 2, 3]
    np.testing.assert_allclose(e[0][others], t[0][others], atol=16 * EPS32 * 1e3 * 3, rtol=1e-3)
    np.testing.assert_allclose(e[1][others], t[1][others], atol=16 * EPS32 * 1e3 * 3, rtol=1e-3)
    e, t = _both(lambda a, ww, bb: F.group_norm(a, 4, ww, bb),
                 lambda a, ww, bb: torch.nn.functional.group_norm(a, 4, ww, bb), _data(x.shape, 4), w, b,
                 np.ascontiguousarray(g.transpose(0, 1, 3, 2)), transpose=True)
    _assert_match(e, t, atol=3e-5)


@pytest.mark.parametrize("has_w,has_b", [(True, False), (False, True)])
def test_group_norm_weight_or_bias_alone(has_w, has_b):
    x, g = _data((4, 6, 3, 5), 0), _data((4, 6, 3, 5), 1)
    w, b = (_data(6, 2) if has_w else None), (_data(6, 3) if has_b else None)
    # (PyTorch's backward fails on a bias without a weight; a weight of ones is the same function)
    e, t = _both(lambda a, ww, bb: F.group_norm(a, 3, ww, bb),
                 lambda a, ww, bb: torch.nn.functional.group_norm(a, 3, ww if has_w else torch.ones(6), bb),
                 x, w, b, g)
    _assert_match(e, t, atol=3e-5)


def test_instance_norm_matches_torch():
    x, g, w, b = _data((4, 6, 7, 5), 0), _data((4, 6, 7, 5), 1), _data(6, 2), _data(6, 3)
    e, t = _both(lambda a, ww, bb: F.instance_norm(a, weight=ww, bias=bb),
                 lambda a, ww, bb: torch.nn.functional.instance_norm(a, weight=ww, bias=bb), x, w, b, g)
    _assert_match(e, t, atol=3e-5)


@pytest.mark.parametrize("which", ["layer", "group"])
def test_second_derivative_matches_torch(which):
    x, w, b = _data((3, 4, 6), 0, dtype=np.float64), _data(4 if which == "group" else 6, 2, dtype=np.float64), None
    b = _data(w.shape, 3, dtype=np.float64)
    grads = []
    for lib in (ember, torch):
        xs, ws, bs = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        if which == "layer":
            y = lib.nn.functional.layer_norm(xs, (6,), ws, bs)
        else:
            y = lib.nn.functional.group_norm(xs, 2, ws, bs)
        gx, gw = lib.autograd.grad((y * y * y).sum(), (xs, ws), create_graph=True)
        (gx * gx).sum().backward() if lib is ember else (gx * gx).sum().backward()
        grads.append([gx.detach().numpy(), gw.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()])
    for a, t in zip(*grads):
        np.testing.assert_allclose(a, t, rtol=1e-9, atol=1e-9)


@pytest.fixture
def threads(monkeypatch):
    """Set the thread count (restored after); the norms' split threshold lowered so that test-sized
    inputs are shared out, and every row kernel call counted in ``calls``."""
    from ember.ops import _norm_kernels, normalization
    monkeypatch.setattr(_norm_kernels, "SPLIT_MIN_ELEMENTS", 1 << 16)
    calls = []
    for name in ("_layer_norm_rows", "_layer_norm_grad_rows", "_group_norm_rows", "_group_norm_grad_rows",
                 "_rms_norm_rows", "_rms_norm_grad_rows"):
        real = getattr(normalization, name)
        monkeypatch.setattr(normalization, name, lambda *a, _real=real: calls.append(a[0].shape) or _real(*a))
    before = ember.get_num_threads()
    yield lambda k: (ember.set_num_threads(k), calls.clear(), calls)[2]
    ember.set_num_threads(before)


@pytest.mark.parametrize("which", ["layer", "group"])
def test_same_numbers_on_one_and_two_threads(which, threads):
    """Inputs big enough to be split between threads give bitwise the same output and gradients."""
    shape = (64, 32, 320) if which == "layer" else (16, 32, 32, 40)
    x, g = _data(shape, 0, shift=3.0), _data(shape, 1)
    n = shape[-1] if which == "layer" else shape[1]
    w, b = _data(n, 2), _data(n, 3)
    results = []
    for k in (1, 2):
        calls = threads(k)
        ts = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.layer_norm(ts[0], (n,), ts[1], ts[2]) if which == "layer" else F.group_norm(ts[0], 8, ts[1], ts[2])
        y.backward(ember.tensor(g))
        results.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
        assert len(calls) == (2 if k == 1 else 8), calls     # forward + backward, whole or in 4 parts each
    for a, b2 in zip(*results):
        np.testing.assert_array_equal(a, b2)


RMS_CASES = [  # (input shape, normalized_shape, weight, eps)
    ((8, 16, 64), (64,), True, 1e-6),
    ((4, 6, 5), (5,), True, None),
    ((3, 4, 5, 6), (5, 6), True, 1e-5),
    ((7, 33), (33,), False, None),
    ((5, 64), (64,), True, 10.0),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,nshape,weight,eps", RMS_CASES)
def test_rms_norm_matches_torch(shape, nshape, weight, eps, dtype):
    x, g = _data(shape, 0, dtype=dtype), _data(shape, 1, dtype=dtype)
    x[0] = 0.0                                          # an all-zero row: r = 1 / sqrt(eps)
    w = _data(nshape, 2, dtype=dtype) if weight else None
    e, t = _both(lambda a, ww, bb: F.rms_norm(a, nshape, ww, eps),
                 lambda a, ww, bb: torch.nn.functional.rms_norm(a, nshape, ww, eps), x, w, None, g)
    _assert_match(e, t, atol=2e-5 if dtype == np.float32 else 1e-12, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_rms_norm_second_derivative_and_threads(threads):
    x, w = _data((3, 4, 6), 0, dtype=np.float64), _data(6, 2, dtype=np.float64)
    grads = []
    for lib in (ember, torch):
        xs, ws = (lib.tensor(a, requires_grad=True) for a in (x, w))
        y = lib.nn.functional.rms_norm(xs, (6,), ws, 1e-5)
        gx, gw = lib.autograd.grad((y * y * y).sum(), (xs, ws), create_graph=True)
        (gx * gx).sum().backward()
        grads.append([gx.detach().numpy(), gw.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()])
    for a, t in zip(*grads):
        np.testing.assert_allclose(a, t, rtol=1e-9, atol=1e-9)
    x, g, w = _data((64, 32, 320), 0), _data((64, 32, 320), 1), _data(320, 2)
    results = []
    for k in (1, 2):
        calls = threads(k)
        xs, ws = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
        y = F.rms_norm(xs, (320,), ws)
        y.backward(ember.tensor(g))
        results.append([y.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()])
        assert len(calls) == (2 if k == 1 else 8), calls
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [
    lambda a: a.astype(np.float32),                              # row sums through BLAS
    lambda a: a,                                                 # float64 too
    lambda a: a.astype(np.float32).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2),   # channels-last
    lambda a: a.astype(np.float16),                              # NumPy's reduction
    lambda a: a[:, :, :0],                                       # empty
], ids=["float32", "float64", "channels-last", "float16", "empty"])
def test_channel_sums_sum_every_axis_but_the_channels(make):
    a = make(np.random.default_rng(3).standard_normal((5, 3, 4, 6)))
    got = channel_sums(a)
    assert got.shape == (3,) and got.dtype == a.dtype
    np.testing.assert_allclose(got, a.astype(np.float64).sum(axis=(0, 2, 3)), rtol=2e-3 if a.dtype == np.float16 else 1e-5,
                               atol=1e-2 if a.dtype == np.float16 else 1e-5)
