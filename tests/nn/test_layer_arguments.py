"""Layer constructor and Module arguments: each one either works as in PyTorch or raises an error
naming it; none is accepted and ignored (device=, dtype=, sparse=, inplace=, memory_format=)."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

# (class name, positional args, keyword args): every layer of nn/modules with device=/dtype= (conv: test_conv.py)
LAYERS = [
    ("Linear", (4, 3), {}), ("Linear", (4, 3), {"bias": False}), ("Bilinear", (3, 2, 4), {}),
    ("PReLU", (3,), {}), ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), {"affine": False}),
    ("InstanceNorm1d", (3,), {"affine": True}), ("InstanceNorm2d", (3,), {"track_running_stats": True}),
    ("LayerNorm", (3,), {}), ("LayerNorm", (3,), {"elementwise_affine": False}),
    ("LayerNorm", (3,), {"bias": False}), ("GroupNorm", (1, 3), {}), ("GroupNorm", (1, 3), {"affine": False}),
    ("RMSNorm", (3,), {}), ("RMSNorm", (3,), {"elementwise_affine": False}), ("Embedding", (5, 3), {}),
]


def _ids(spec):
    name, args, kwargs = spec
    return f"{name}{args}{kwargs or ''}"


def _state(module):
    return {k: (tuple(v.shape), str(v.dtype).split(".")[-1]) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("spec", LAYERS, ids=_ids)
@pytest.mark.parametrize("dtype", [None, "float64"])
@pytest.mark.parametrize("device", [None, "cpu", "device"])
def test_device_and_dtype_work_as_in_torch(spec, dtype, device):
    name, args, kwargs = spec
    e_kw, t_kw = dict(kwargs), dict(kwargs)
    if dtype:
        e_kw["dtype"], t_kw["dtype"] = getattr(ember, dtype), getattr(torch, dtype)
    if device:
        e_kw["device"] = ember.device("cpu") if device == "device" else "cpu"
        t_kw["device"] = torch.device("cpu") if device == "device" else "cpu"
    e, t = getattr(ember.nn, name)(*args, **e_kw), getattr(torch.nn, name)(*args, **t_kw)
    assert _state(e) == _state(t)


@pytest.mark.parametrize("spec", LAYERS + [("LazyLinear", (3,), {})], ids=_ids)
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_a_device_ember_lacks_raises_at_construction(spec, device):
    name, args, kwargs = spec
    with pytest.raises(RuntimeError, match="CPU only"):
        getattr(ember.nn, name)(*args, device=device, **kwargs)


def test_embedding_with_given_weight_checks_device():
    with pytest.raises(RuntimeError, match="CPU only"):
        ember.nn.Embedding(5, 3, _weight=ember.randn(5, 3), device="cuda")


def test_lazy_linear_dtype_and_device():
    e = ember.nn.LazyLinear(3, device="cpu", dtype=ember.float64)
    t = torch.nn.LazyLinear(3, device="cpu", dtype=torch.float64)
    x = np.ones((2, 4))
    e(ember.tensor(x)), t(torch.tensor(x))
    assert _state(e) == _state(t)


def test_embedding_sparse_gradients_are_not_supported():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        ember.nn.Embedding(5, 3, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        ember.nn.Embedding.from_pretrained(ember.randn(5, 3), sparse=True)
    assert not ember.nn.Embedding(5, 3, sparse=False).sparse


@pytest.mark.parametrize("layer, functional", [("AlphaDropout", "alpha_dropout"),
                                               ("FeatureAlphaDropout", "feature_alpha_dropout")])
def test_alpha_dropout_inplace_writes_into_the_input(layer, functional):
    """inplace=True works as PyTorch documents it, and as its functional form does.

    (torch.nn.AlphaDropout drops the flag on its way to F.alpha_dropout; ember passes it on.)
    """
    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    t_in = torch.tensor(x)
    t_out = getattr(torch.nn.functional, functional)(t_in, 0.5, True, inplace=True)
    assert t_out is t_in and not np.array_equal(t_in.numpy(), x)
    ember.manual_seed(3)
    expected = getattr(F, functional)(ember.tensor(x), 0.5, True)
    ember.manual_seed(3)
    e_in = ember.tensor(x)
    e_out = getattr(ember.nn, layer)(0.5, inplace=True)(e_in)
    assert e_out is e_in
    np.testing.assert_array_equal(e_in._data, expected._data)
    # not in place by default, and the identity in eval mode
    e_in = ember.tensor(x)
    assert getattr(ember.nn, layer)(0.5)(e_in) is not e_in
    np.testing.assert_array_equal(e_in._data, x)
    assert getattr(ember.nn, layer)(0.5, inplace=True).eval()(e_in) is e_in


def test_module_to_memory_format_raises_naming_it():
    m = ember.nn.Linear(2, 2)
    with pytest.raises(NotImplementedError, match="memory_format"):
        m.to(memory_format="channels_last")
    assert m.to(memory_format=None) is m
    assert m.to("cpu", non_blocking=True) is m  # a CPU copy is synchronous, as in torch
    assert torch.nn.Linear(2, 2).to("cpu", non_blocking=True) is not None
