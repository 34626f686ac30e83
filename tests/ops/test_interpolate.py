"""interpolate (ember.ops.interpolate) and the Upsample layers against PyTorch: every mode, size or
scale_factor, align_corners, recompute_scale_factor; values, gradients, dtypes, errors, second order."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.autograd.second_order import check_second_order
from tests.oracle import check

MODES = [(3, "nearest"), (4, "nearest"), (5, "nearest"), (3, "nearest-exact"), (4, "nearest-exact"),
         (5, "nearest-exact"), (3, "linear"), (4, "bilinear"), (5, "trilinear"), (4, "bicubic"), (3, "area"),
         (4, "area"), (5, "area")]
SIZES = [dict(size=1), dict(size=4), dict(size=9), dict(scale_factor=2), dict(scale_factor=0.5),
         dict(scale_factor=1.7), dict(scale_factor=3.3), dict(scale_factor=0.37),
         dict(scale_factor=1.7, recompute_scale_factor=True), dict(scale_factor=2.5, recompute_scale_factor=False)]


def _cases():
    for nd, mode in MODES:
        for kw in SIZES:
            for ac in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True]):
                for n_in in ((3, 7) if nd == 5 else (2, 5, 7)):
                    yield nd, mode, kw, ac, n_in


CASES = list(_cases())


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_interpolate_matches_torch(case):
    nd, mode, kw, ac, n_in = case
    shape = (2, 3) + tuple(n_in + i for i in range(nd - 2))
    x = np.random.default_rng(n_in).standard_normal(shape).astype(np.float32)
    try:
        out = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, align_corners=ac, **kw)
    except RuntimeError:        # an empty output: both refuse it
        with pytest.raises(RuntimeError, match="greater than 0"):
            F.interpolate(ember.tensor(x), mode=mode, align_corners=ac, **kw)
        return
    if out.numel() == 0:        # area: torch gives the empty result (its backward refuses it)
        assert F.interpolate(ember.tensor(x), mode=mode, align_corners=ac, **kw).shape == out.shape
        return
    check(lambda a: F.interpolate(a, mode=mode, align_corners=ac, **kw),
          lambda a: torch.nn.functional.interpolate(a, mode=mode, align_corners=ac, **kw), x, atol=2e-5)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area", "nearest-exact"])
def test_interpolate_per_dim_sizes_and_scales_float64(mode):
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 6))
    ac = {"bilinear": True, "bicubic": False}.get(mode)
    for kw in (dict(size=(3, 11)), dict(scale_factor=(1.5, 0.7)), dict(scale_factor=(3, 2))):
        check(lambda a: F.interpolate(a, mode=mode, align_corners=ac, **kw),
              lambda a: torch.nn.functional.interpolate(a, mode=mode, align_corners=ac, **kw), x, atol=1e-10,
              rtol=1e-10)


def test_interpolate_large_upsample_matches_torch():
    x = np.random.default_rng(2).standard_normal((2, 3, 17, 13)).astype(np.float32)
    for mode, ac in (("bilinear", False), ("bicubic", True), ("nearest", None), ("area", None)):
        size = (64, 40) if mode != "area" else (6, 5)
        check(lambda a: F.interpolate(a, size=size, mode=mode, align_corners=ac),
              lambda a: torch.nn.functional.interpolate(a, size=size, mode=mode, align_corners=ac), x, atol=3e-5)


def test_interpolate_nearest_keeps_integer_dtype():
    x = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    e = F.interpolate(ember.tensor(x), scale_factor=1.5)
    t = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.5)
    assert e.dtype == ember.uint8
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_interpolate_errors_match_torch():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x, size=2, recompute_scale_factor=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(NotImplementedError, match="Got 4D input, but trilinear mode needs 5D input"):
        F.interpolate(x, size=2, mode="trilinear")
    with pytest.raises(NotImplementedError, match="Only 3D, 4D and 5D"):
        F.interpolate(x, size=2, mode="cubic")
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(x, size=2, mode="nearest", antialias=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(ember.zeros(1, 1, 4), size=2, mode="linear", antialias=True)
    with pytest.raises(RuntimeError, match="greater than 0"):
        F.interpolate(ember.zeros(1, 1, 1), scale_factor=0.5)
    # torch raises the same types
    with pytest.raises(NotImplementedError):
        torch.nn.functional.interpolate(torch.zeros(1, 1, 4, 4), size=2, mode="linear")
    with pytest.raises(RuntimeError):
        torch.nn.functional.interpolate(torch.zeros(1, 1, 1), scale_factor=0.5)


AA_SIZES = [dict(size=(3, 4)), dict(size=(12, 20)), dict(scale_factor=0.3), dict(scale_factor=(0.5, 1.7)),
            dict(size=(2, 3)), dict(scale_factor=0.45, recompute_scale_factor=True), dict(scale_factor=(1.1, 0.4)),
            dict(scale_factor=(1.0, 2.0))]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", AA_SIZES, ids=[str(k) for k in AA_SIZES])
def test_interpolate_antialias_matches_torch(mode, align_corners, kw):
    # (PyTorch 2.13's antialias kernel gives inconsistent numbers when the output width is 1, so
    # the sizes here keep it above 1; ember's result there is the same separable filter as elsewhere.
    # When a scale factor leaves a dim's size unchanged, PyTorch's forward copies that dim but its
    # backward still applies the filter: only the values are compared then, and ember's gradient is
    # the true one of its forward, checked by gradcheck.)
    unchanged = kw == dict(scale_factor=(1.1, 0.4))
    for shape in ((2, 3, 7, 9), (1, 2, 32, 30)):
        x = np.random.default_rng(shape[2]).standard_normal(shape).astype(np.float32)
        check(lambda a: F.interpolate(a, mode=mode, align_corners=align_corners, antialias=True, **kw),
              lambda a: torch.nn.functional.interpolate(a, mode=mode, align_corners=align_corners, antialias=True,
                                                        **kw), x, atol=2e-5, grad=not (unchanged and not align_corners))
    if unchanged:
        x = ember.tensor(np.random.default_rng(0).standard_normal((1, 1, 7, 9)), requires_grad=True)
        assert ember.autograd.gradcheck(
            lambda a: F.interpolate(a, mode=mode, align_corners=align_corners, antialias=True, **kw), (x,))


def test_upsample_modules_match_torch():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5)).astype(np.float32)
    pairs = [(ember.nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
             (ember.nn.Upsample(size=(7, 3), mode="bicubic", align_corners=True),
              torch.nn.Upsample(size=(7, 3), mode="bicubic", align_corners=True)),
             (ember.nn.Upsample(scale_factor=(1.5, 2.5), mode="bilinear"),
              torch.nn.Upsample(scale_factor=(1.5, 2.5), mode="bilinear")),
             (ember.nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
             (ember.nn.UpsamplingNearest2d(size=(5, 9)), torch.nn.UpsamplingNearest2d(size=(5, 9))),
             (ember.nn.UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(scale_factor=2)),
             (ember.nn.UpsamplingBilinear2d(size=6), torch.nn.UpsamplingBilinear2d(size=6))]
    for em, tm in pairs:
        assert repr(em) == repr(tm)
        check(em, tm, x)


@pytest.mark.parametrize("nd,mode,kw", [(3, "nearest", dict(scale_factor=2.5)), (4, "nearest-exact", dict(size=(3, 7))),
                                        (3, "linear", dict(size=7)), (4, "bilinear", dict(scale_factor=1.5)),
                                        (5, "trilinear", dict(size=3)), (4, "bicubic", dict(size=(5, 3))),
                                        (4, "area", dict(size=(2, 3))),
                                        (4, "bilinear-aa", dict(size=(2, 3))), (4, "bicubic-aa", dict(size=(3, 2)))])
def test_interpolate_second_order(nd, mode, kw):
    x = np.random.default_rng(4).standard_normal((1, 2) + (4,) * (nd - 2))
    ac = None if mode in ("nearest", "nearest-exact", "area") else True
    mode, aa = mode.replace("-aa", ""), mode.endswith("-aa")

    def f(lib):
        return lambda a: lib.nn.functional.interpolate(a * a, mode=mode, align_corners=ac, antialias=aa, **kw) * 1.5
    check_second_order(f(ember), f(torch), x)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_interpolate_empty_batch_matches_torch(mode):
    x = np.zeros((0, 2, 3, 4), np.float32)
    check(lambda a: F.interpolate(a, size=(5, 3), mode=mode), lambda a: torch.nn.functional.interpolate(
        a, size=(5, 3), mode=mode), x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_source_indices_match_torch_for_every_size(dtype, mode):
    """Every (n_in, n_out) up to (24, 80): PyTorch's nearest indices, element for element. The one
    known exception: float32 nearest-exact where (i + 0.5) * n_in / n_out sits one float32 ulp from an
    integer (PyTorch rounds some of those up, by a computation not reproduced here): at most 13 cases."""
    misses = []
    for n_in in range(1, 25):
        x = np.arange(n_in, dtype=dtype).reshape(1, 1, n_in)
        for n_out in range(1, 81):
            t = torch.nn.functional.interpolate(torch.tensor(x), size=n_out, mode=mode).numpy()
            e = F.interpolate(ember.tensor(x), size=n_out, mode=mode).numpy()
            if not np.array_equal(e, t):
                misses.append((n_in, n_out))
    if dtype == "float32" and mode == "nearest-exact":
        assert len(misses) <= 13, misses
        for n_in, n_out in misses:   # only ever at an exact boundary, off by one
            i = np.arange(n_out)
            assert np.any(((2 * i + 1) * n_in) % (2 * n_out) == 0)
    else:
        assert misses == []


SWEEP_SF = [1.152, 2.466, 2.1, 1.1, 2.05, 0.37, 0.8, 3.3, 1.0, 2.0, 0.5, 1.5]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("nd,mode", [(3, "nearest"), (3, "nearest-exact"), (3, "linear"), (4, "nearest"),
                                     (4, "nearest-exact"), (4, "bilinear"), (4, "bicubic"), (5, "nearest"),
                                     (5, "trilinear")])
def test_scale_factor_sweep_matches_torch(nd, mode, dtype):
    """Scale factors whose output size equals the input's or twice it: PyTorch's kernels copy such a dim
    (linear modes; 2-d nearest also halves the index for a doubling) instead of using the factor."""
    rng = np.random.default_rng(nd)
    for n in (1, 2, 3, 5):
        x = rng.standard_normal((1, 2) + (n,) * (nd - 2)).astype(dtype)
        for sf in SWEEP_SF:
            sfs = tuple(SWEEP_SF[(SWEEP_SF.index(sf) + k) % len(SWEEP_SF)] for k in range(nd - 2))
            if any(int(np.floor(n * f)) < 1 for f in sfs):
                continue
            t = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sfs, mode=mode)
            e = F.interpolate(ember.tensor(x), scale_factor=sfs, mode=mode)
            np.testing.assert_allclose(e.numpy(), t.numpy(), atol=1e-5, rtol=1e-5, err_msg=f"n={n} sf={sfs}")


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_unchanged_size_returns_a_new_tensor(mode):
    x = ember.randn(1, 2, 3, 3)
    y = F.interpolate(x, size=3, mode=mode)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)
    assert not np.shares_memory(y.numpy(), x.numpy())
