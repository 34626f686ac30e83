"""BatchNorm / InstanceNorm / LayerNorm / GroupNorm / RMSNorm layers against PyTorch (train and eval,
running stats); the functional ops: tests/ops/test_normalization.py."""
import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import compare_module, copy_weights
from tests.oracle import assert_close


def _x(*shape, seed=0, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2 + shift).astype(np.float32)


def _randomize_affine(m):
    # non-trivial weight/bias so their gradients and effect are tested
    rng = np.random.default_rng(7)
    for p in m.parameters():
        p._data[...] = rng.standard_normal(p.shape).astype(np.float32)


BN_CASES = [
    ("BatchNorm1d", (3,), {}, (8, 3)),
    ("BatchNorm1d", (3,), {}, (4, 3, 5)),
    ("BatchNorm1d", (3,), {"affine": False}, (6, 3)),
    ("BatchNorm1d", (3,), {"bias": False}, (6, 3, 2)),
    ("BatchNorm2d", (4,), {}, (3, 4, 5, 5)),
    ("BatchNorm2d", (4,), {"momentum": 0.3, "eps": 1e-3}, (2, 4, 3, 3)),
    ("BatchNorm2d", (4,), {"momentum": None}, (2, 4, 3, 3)),
    ("BatchNorm2d", (4,), {"track_running_stats": False}, (2, 4, 3, 3)),
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", BN_CASES, ids=[f"{c[0]}{c[2]}{c[3]}" for c in BN_CASES])
def test_batchnorm_matches_torch(case, train):
    name, args, kwargs, shape = case
    e = getattr(ember.nn, name)(*args, **kwargs)
    t = getattr(torch.nn, name)(*args, **kwargs)
    _randomize_affine(e)
    if e.running_mean is not None:  # non-default running stats so eval mode is meaningful
        e.running_mean._data[...] = np.linspace(-1, 1, args[0])
        e.running_var._data[...] = np.linspace(0.5, 2, args[0])
    compare_module(e, t, _x(*shape, shift=1.0), train=train, atol=1e-4)
    assert repr(e) == repr(t)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_running_stats_after_several_steps(momentum):
    e = ember.nn.BatchNorm2d(3, momentum=momentum)
    t = torch.nn.BatchNorm2d(3, momentum=momentum)
    copy_weights(e, t)
    for step in range(5):
        x = _x(4, 3, 2, 2, seed=step, shift=step)
        e(ember.tensor(x))
        t(torch.tensor(x))
    for name in ["running_mean", "running_var", "num_batches_tracked"]:
        assert_close(getattr(e, name), getattr(t, name), atol=1e-5, what=name)
    assert e.num_batches_tracked.item() == 5
    # eval uses the running statistics
    e.eval()
    t.eval()
    x = _x(2, 3, 2, 2, seed=9)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)), atol=1e-5)
    # and eval does not update them
    before = e.running_mean._data.copy()
    e(ember.tensor(x))
    np.testing.assert_array_equal(before, e.running_mean._data)


def test_batchnorm_running_var_is_unbiased():
    bn = ember.nn.BatchNorm1d(1, momentum=1.0)
    x = np.array([[1.0], [2.0], [3.0], [6.0]], np.float32)
    bn(ember.tensor(x))
    np.testing.assert_allclose(bn.running_var._data, [np.var(x, ddof=1)], rtol=1e-6)
    np.testing.assert_allclose(bn.running_mean._data, [3.0], rtol=1e-6)


def test_batchnorm_one_value_per_channel_raises_like_torch():
    with pytest.raises(ValueError) as ei:
        ember.nn.BatchNorm1d(3)(ember.randn(1, 3))
    with pytest.raises(ValueError) as ti:
        torch.nn.BatchNorm1d(3)(torch.randn(1, 3))
    assert str(ei.value).replace("ember", "torch") == str(ti.value)
    # fine in eval mode
    ember.nn.BatchNorm1d(3).eval()(ember.randn(1, 3))


def test_batchnorm_wrong_rank_and_channels():
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        ember.nn.BatchNorm1d(3)(ember.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="expected 4D input"):
        ember.nn.BatchNorm2d(3)(ember.randn(2, 3))
    with pytest.raises(RuntimeError, match="5 channels"):  # torch: RuntimeError from the kernel
        ember.nn.BatchNorm2d(3)(ember.randn(2, 5, 4, 4))


def test_batchnorm_state_dict_keys_and_dtype():
    e, t = ember.nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.num_batches_tracked.dtype == ember.int64
    assert e.num_batches_tracked.shape == ()


LN_CASES = [((8,), {}, (4, 8)), ((8,), {}, (2, 3, 8)), ((3, 8), {}, (2, 3, 8)),
            ((8,), {"elementwise_affine": False}, (4, 8)), ((8,), {"bias": False}, (4, 8)),
            ((8,), {"eps": 1e-2}, (4, 8))]


@pytest.mark.parametrize("case", LN_CASES, ids=[str(c) for c in LN_CASES])
def test_layernorm_matches_torch(case):
    shape_arg, kwargs, shape = case
    e, t = ember.nn.LayerNorm(shape_arg, **kwargs), torch.nn.LayerNorm(shape_arg, **kwargs)
    _randomize_affine(e)
    compare_module(e, t, _x(*shape, shift=3.0), atol=1e-4)
    assert repr(e) == repr(t)
    compare_module(e, t, _x(*shape, shift=3.0), train=False, atol=1e-4)


def test_layernorm_shape_error():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[8\].*\[\*, 8\].*\[2, 3\]"):
        ember.nn.LayerNorm(8)(ember.randn(2, 3))


GN_CASES = [(2, 4, {}, (3, 4, 5, 5)), (1, 4, {}, (2, 4, 3)), (4, 4, {}, (2, 4, 6)),
            (3, 6, {"affine": False}, (2, 6, 2, 2)), (2, 4, {"eps": 1e-3}, (2, 4))]


@pytest.mark.parametrize("case", GN_CASES, ids=[str(c) for c in GN_CASES])
def test_groupnorm_matches_torch(case):
    g, c, kwargs, shape = case
    e, t = ember.nn.GroupNorm(g, c, **kwargs), torch.nn.GroupNorm(g, c, **kwargs)
    _randomize_affine(e)
    compare_module(e, t, _x(*shape, shift=-2.0), atol=1e-4)
    assert repr(e) == repr(t)


def test_groupnorm_errors():
    with pytest.raises(ValueError, match="divisible"):
        ember.nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="expected input of shape"):
        ember.nn.GroupNorm(2, 4)(ember.randn(2, 6, 3))


def test_rmsnorm_matches_torch():
    for kwargs in ({}, {"eps": 1e-3}, {"elementwise_affine": False}):
        e, t = ember.nn.RMSNorm(6, **kwargs), torch.nn.RMSNorm(6, **kwargs)
        _randomize_affine(e)
        compare_module(e, t, _x(3, 4, 6), atol=1e-4)
        assert repr(e) == repr(t)


def test_batchnorm_in_sequential_train_eval_switch():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    e, t = build(ember), build(torch)
    copy_weights(e, t)
    for step in range(3):
        compare_module(e, t, _x(6, 5, seed=step), train=True, atol=1e-4, copy=False)
        for m in (e, t):
            m.zero_grad()
    compare_module(e, t, _x(6, 5, seed=10), train=False, atol=1e-4, copy=False)


IN_CASES = [("InstanceNorm1d", {}, (3, 4, 6)), ("InstanceNorm1d", {"affine": True}, (4, 6)),
            ("InstanceNorm2d", {"affine": True}, (2, 4, 3, 5)),
            ("InstanceNorm2d", {"track_running_stats": True}, (2, 4, 3, 3)),
            ("InstanceNorm2d", {"affine": True, "track_running_stats": True, "momentum": 0.3}, (2, 4, 3, 3))]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", IN_CASES, ids=[f"{c[0]}{c[1]}{c[2]}" for c in IN_CASES])
def test_instancenorm_matches_torch(case, train):
    name, kwargs, shape = case
    e, t = getattr(ember.nn, name)(4, **kwargs), getattr(torch.nn, name)(4, **kwargs)
    _randomize_affine(e)
    if e.running_mean is not None:
        e.running_var._data[...] = np.linspace(0.5, 2, 4)
    for step in range(2):
        compare_module(e, t, _x(*shape, seed=step, shift=1.0), train=train, atol=1e-4, copy=step == 0)
        e.zero_grad()
        t.zero_grad()
    assert repr(e) == repr(t)


def test_instancenorm_one_spatial_element_raises():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        ember.nn.InstanceNorm1d(3)(ember.randn(4, 3, 1))
