"""F.affine_grid and F.grid_sample against torch: values, gradients to input/grid/theta, errors, warnings."""
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF

MODES = ["bilinear", "nearest", "bicubic"]
PADS = ["zeros", "border", "reflection"]


def _pair(arr, requires_grad=True):
    return (torch.tensor(arr, requires_grad=requires_grad), ember.tensor(arr, requires_grad=requires_grad))


def _close(t, e, tol):
    t = t.detach().numpy() if isinstance(t, torch.Tensor) else t
    e = e.detach().numpy() if isinstance(e, ember.Tensor) else e
    assert t.shape == e.shape
    np.testing.assert_allclose(e, t, rtol=tol, atol=tol)


def _sample_case(shape, gshape, dtype, seed, **kw):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.uniform(-1.4, 1.4, gshape).astype(dtype)      # some points outside [-1, 1]: padding matters
    w = rng.standard_normal(shape[:2] + gshape[1:-1]).astype(dtype)
    (tx, ex), (tg, eg) = _pair(x), _pair(g)
    to, eo = TF.grid_sample(tx, tg, **kw), EF.grid_sample(ex, eg, **kw)
    (to * torch.tensor(w)).sum().backward()
    (eo * ember.tensor(w)).sum().backward()
    return (to, eo), (tx.grad, ex.grad), (tg.grad, eg.grad)


@pytest.mark.parametrize("mode,padding_mode,align_corners", list(itertools.product(MODES, PADS, [False, True])))
def test_grid_sample_2d_values_and_gradients_float64(mode, padding_mode, align_corners):
    outs = _sample_case((2, 3, 5, 6), (2, 4, 7, 2), np.float64, 0, mode=mode, padding_mode=padding_mode,
                        align_corners=align_corners)
    for t, e in outs:
        _close(t, e, 1e-10)


@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         list(itertools.product(["bilinear", "nearest"], PADS, [False, True])))
def test_grid_sample_3d_values_and_gradients_float64(mode, padding_mode, align_corners):
    outs = _sample_case((2, 2, 3, 4, 5), (2, 2, 3, 4, 3), np.float64, 1, mode=mode, padding_mode=padding_mode,
                        align_corners=align_corners)
    for t, e in outs:
        _close(t, e, 1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_float32_dtype_and_grad_fn(mode):
    (to, eo), gx, gg = _sample_case((1, 2, 4, 4), (1, 3, 3, 2), np.float32, 2, mode=mode, align_corners=False)
    assert eo.dtype == ember.float32 and eo.grad_fn.name() == to.grad_fn.name() == "GridSampler2DBackward0"
    for t, e in ((to, eo), gx, gg):
        _close(t, e, 2e-5)


def test_grid_sample_exact_points_and_nearest_rounds_half_to_even():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    # pixel coordinates 0.5 and 1.5 (align_corners=True: x = -1 + 2 p / 3) -> ties
    g = np.array([[[[-2 / 3, -1 / 3], [0.0, 1.0]]]], np.float32)
    t = TF.grid_sample(torch.tensor(x), torch.tensor(g), mode="nearest", align_corners=True)
    e = EF.grid_sample(ember.tensor(x), ember.tensor(g), mode="nearest", align_corners=True)
    _close(t, e, 0)


def test_grid_sample_default_align_corners_warns_as_torch():
    x, g = ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 1, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        EF.grid_sample(x, g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EF.grid_sample(x, g, align_corners=False)


@pytest.mark.parametrize("make", [
    lambda t: TFE(t).grid_sample(t.zeros(1, 1, 2, 2), t.zeros(1, 1, 1, 2), mode="cubic", align_corners=False),
    lambda t: TFE(t).grid_sample(t.zeros(1, 1, 2, 2), t.zeros(1, 1, 1, 2), padding_mode="wrap", align_corners=False),
    lambda t: TFE(t).grid_sample(t.zeros(2, 1, 2, 2), t.zeros(1, 1, 1, 2), align_corners=False),
    lambda t: TFE(t).grid_sample(t.zeros(1, 1, 2, 2), t.zeros(1, 1, 1, 3), align_corners=False),
    lambda t: TFE(t).grid_sample(t.zeros(1, 1, 2, 2), t.zeros(1, 1, 1, 2, dtype=t.float64), align_corners=False),
    lambda t: TFE(t).grid_sample(t.zeros(1, 1, 1, 2, 2), t.zeros(1, 1, 1, 1, 3), mode="bicubic",
                                 align_corners=False),
    lambda t: TFE(t).grid_sample(t.zeros(1, 2, 2), t.zeros(1, 1, 2), align_corners=False),
    lambda t: TFE(t).affine_grid(t.zeros(1, 2, 3), (1, 1, 4), align_corners=False),
    lambda t: TFE(t).affine_grid(t.zeros(1, 3, 4), (1, 1, 4, 4), align_corners=False),
    lambda t: TFE(t).affine_grid(t.zeros(1, 2, 3, dtype=t.int64), (1, 1, 4, 4), align_corners=False),
])
def test_errors_match_torch_types(make):
    with pytest.raises(Exception) as te:
        make(torch)
    with pytest.raises(type(te.value)):
        make(ember)


def TFE(lib):
    return TF if lib is torch else EF


@pytest.mark.parametrize("size,align_corners", [((2, 3, 4, 5), False), ((2, 3, 4, 5), True),
                                                ((2, 1, 3, 4, 5), False), ((2, 1, 3, 4, 5), True),
                                                ((2, 3, 1, 5), False)])
def test_affine_grid_values_and_theta_gradient(size, align_corners):
    rng = np.random.default_rng(3)
    d = len(size) - 2
    theta = rng.standard_normal((2, d, d + 1))
    tt, et = _pair(theta)
    to, eo = TF.affine_grid(tt, size, align_corners=align_corners), EF.affine_grid(et, size,
                                                                                  align_corners=align_corners)
    w = rng.standard_normal(tuple(to.shape))
    (to * torch.tensor(w)).sum().backward()
    (eo * ember.tensor(w)).sum().backward()
    _close(to, eo, 1e-12)
    _close(tt.grad, et.grad, 1e-12)
    assert eo.grad_fn.name() == to.grad_fn.name()


def test_affine_grid_float32_and_default_warning():
    theta = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.4]]], np.float32)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        e = EF.affine_grid(ember.tensor(theta), (1, 2, 3, 4))
    t = TF.affine_grid(torch.tensor(theta), (1, 2, 3, 4), align_corners=False)
    assert e.dtype == ember.float32
    _close(t, e, 1e-6)


def test_affine_grid_second_order_matches_torch():
    rng = np.random.default_rng(4)
    theta = rng.standard_normal((1, 2, 3))
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        th = lib.tensor(theta, requires_grad=True)
        g = F.affine_grid(th, (1, 1, 3, 3), align_corners=False)
        gr, = lib.autograd.grad((g ** 3).sum(), th, create_graph=True)
        gr2, = lib.autograd.grad(gr.sum(), th)
        res.append(gr2)
    _close(res[0], res[1], 1e-10)


@pytest.mark.parametrize("mode,padding_mode,align_corners", [
    ("bilinear", "zeros", False), ("bilinear", "reflection", True), ("bilinear", "border", False),
    ("bicubic", "zeros", False), ("bicubic", "reflection", True), ("nearest", "zeros", False)])
def test_grid_sample_second_order_matches_torch(mode, padding_mode, align_corners):
    """create_graph=True through grid_sample (a gradient penalty, a Hessian-vector product) as torch."""
    rng = np.random.default_rng(6)
    x0 = rng.standard_normal((1, 2, 4, 5))
    g0 = rng.uniform(-1.2, 1.2, (1, 3, 2, 2))
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        x, g = lib.tensor(x0, requires_grad=True), lib.tensor(g0, requires_grad=True)
        y = F.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        gx, gg = lib.autograd.grad((y ** 2).sum(), (x, g), create_graph=True)
        penalty = (gx ** 2).sum() + (gg ** 2).sum() + (gx.sum() * gg.sum())
        res.append(lib.autograd.grad(penalty, (x, g), allow_unused=True))
    for t, e in zip(*res):
        if t is None:
            assert e is None or not np.any(e.numpy())
        else:
            _close(t, e, 1e-9)


def test_grid_sample_3d_second_order_matches_torch():
    rng = np.random.default_rng(7)
    x0, g0 = rng.standard_normal((1, 1, 3, 3, 4)), rng.uniform(-1, 1, (1, 2, 2, 1, 3))
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        x, g = lib.tensor(x0, requires_grad=True), lib.tensor(g0, requires_grad=True)
        gg, = lib.autograd.grad((F.grid_sample(x, g, align_corners=False) ** 2).sum(), g, create_graph=True)
        res.append(lib.autograd.grad((gg ** 2).sum(), (x, g)))
    for t, e in zip(*res):
        _close(t, e, 1e-9)


def test_spatial_transformer_step_matches_torch():
    """The STN tutorial's transform: theta from a tiny localisation net, affine_grid, grid_sample, a loss."""
    rng = np.random.default_rng(5)
    img = rng.standard_normal((3, 1, 8, 8)).astype(np.float32)
    W = (rng.standard_normal((6, 64)) * 0.05).astype(np.float32)
    b = np.array([1, 0, 0, 0, 1, 0], np.float32)
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        x, w = lib.tensor(img, requires_grad=True), lib.tensor(W, requires_grad=True)
        theta = (x.reshape(3, 64) @ w.t() + lib.tensor(b)).reshape(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        y = F.grid_sample(x, grid, align_corners=False)
        y.pow(2).mean().backward()
        res.append((y, x.grad, w.grad))
    for t, e in zip(*res):
        _close(t, e, 2e-5)


@pytest.mark.parametrize("xs,gs", [((0, 2, 3, 3), (0, 2, 2, 2)), ((1, 2, 3, 3), (1, 0, 2, 2)),
                                   ((1, 0, 3, 3), (1, 2, 2, 2)), ((0, 2, 3, 3, 3), (0, 1, 2, 2, 3))])
def test_grid_sample_empty_shapes_as_torch(xs, gs):
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        x, g = lib.zeros(*xs, requires_grad=True), lib.zeros(*gs, requires_grad=True)
        y = F.grid_sample(x, g, align_corners=False)
        y.sum().backward()
        res.append((y, x.grad, g.grad))
    for t, e in zip(*res):
        _close(t, e, 0)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_and_gradgradcheck_float64(mode):
    rng = np.random.default_rng(8)
    x = ember.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    # points kept away from pixel boundaries, where the piecewise weights have kinks
    g = ember.tensor(np.array([[[[-0.61, 0.27], [0.33, -0.8]], [[1.3, 0.1], [0.07, 0.52]]]]), requires_grad=True)

    def f(a, b):
        return EF.grid_sample(a, b, mode=mode, padding_mode="reflection", align_corners=False)
    assert ember.autograd.gradcheck(f, (x, g))
    assert ember.autograd.gradgradcheck(f, (x, g))


@pytest.mark.parametrize("mode,padding_mode", list(itertools.product(MODES, PADS)))
def test_grid_sample_nan_and_inf_points_as_torch(mode, padding_mode):
    nan, inf = float("nan"), float("inf")
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    g = np.array([[[[nan, 0.0], [0.0, nan], [inf, 0.0], [-inf, 0.0], [nan, nan], [0.2, 0.1]]]])
    for align_corners in (False, True):
        t = TF.grid_sample(torch.tensor(x), torch.tensor(g), mode=mode, padding_mode=padding_mode,
                           align_corners=align_corners)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            e = EF.grid_sample(ember.tensor(x), ember.tensor(g), mode=mode, padding_mode=padding_mode,
                               align_corners=align_corners)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)
