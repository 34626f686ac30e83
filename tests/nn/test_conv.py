"""Convolution modules against PyTorch: Conv1d/2d, ConvTranspose1d/2d (repr, init, padding
modes, output_size, errors). The functional ops are tested in tests/ops/test_conv.py."""
import math

import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import compare_module

RNG = np.random.default_rng(0)


def r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


MODULE_CASES = [
    ("Conv2d", (3, 32, 5), dict(padding=2)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=2, groups=2)),
    ("Conv2d", (3, 5, 3), dict(padding="same", bias=False)),
    ("Conv2d", (3, 5, 2), dict(padding="valid")),
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=1)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(groups=2, dilation=2, bias=False)),
    ("ConvTranspose1d", (4, 2, 3), dict(stride=3)),
]


def _input_for(name, args):
    c = args[0]
    return r(2, c, 11) if name.endswith("1d") else r(2, c, 9, 8)


@pytest.mark.parametrize("name,args,kw", MODULE_CASES)
def test_conv_module_matches_torch(name, args, kw):
    e_mod = getattr(ember.nn, name)(*args, **kw)
    t_mod = getattr(torch.nn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert {k: tuple(v.shape) for k, v in e_mod.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t_mod.state_dict().items()}
    compare_module(e_mod, t_mod, _input_for(name, args))


def test_conv2d_repr_examples():
    assert repr(ember.nn.Conv2d(3, 32, 5, padding=2)) == \
        "Conv2d(3, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert repr(ember.nn.Conv2d(3, 32, 5, padding="same")) == repr(torch.nn.Conv2d(3, 32, 5, padding="same"))
    assert repr(ember.nn.Conv1d(3, 4, 3, padding_mode="reflect")) == \
        repr(torch.nn.Conv1d(3, 4, 3, padding_mode="reflect"))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes(mode):
    compare_module(ember.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode),
                   torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode), r(1, 2, 5, 6))
    compare_module(ember.nn.Conv2d(2, 3, (3, 2), padding="same", padding_mode=mode),
                   torch.nn.Conv2d(2, 3, (3, 2), padding="same", padding_mode=mode), r(1, 2, 5, 6))


def test_conv_transpose2d_output_size():
    e = ember.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    t = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    t.load_state_dict({k: torch.tensor(v._data) for k, v in e.state_dict().items()})
    x = r(1, 4, 5, 5)
    ye = e(ember.tensor(x), output_size=[10, 10])
    yt = t(torch.tensor(x), output_size=[10, 10])
    assert tuple(ye.shape) == (1, 2, 10, 10)
    np.testing.assert_allclose(ye._data, yt.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="output size"):
        e(ember.tensor(x), output_size=[20, 20])


def test_conv_init_like_torch():
    ember.manual_seed(0)
    m = ember.nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    w, b = m.weight._data, m.bias._data
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # uniform on [-bound, bound]: std bound/sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(w.mean()) < 0.05 * bound
    mt = ember.nn.ConvTranspose2d(16, 8, 3, groups=2)     # fan_in from weight dim 1: 8/2 * 9
    assert tuple(mt.weight.shape) == (16, 4, 3, 3)
    assert np.abs(mt.bias._data).max() <= 1 / math.sqrt(4 * 9)
    assert ember.nn.Conv2d(3, 4, 3, bias=False).bias is None


def test_conv2d_wrong_channels_names_layer():
    m = ember.nn.Conv2d(3, 32, 5, padding=2)
    with pytest.raises(RuntimeError) as e:
        m(ember.zeros(8, 1, 32, 32))
    assert str(e.value) == ("Conv2d(3, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)): expected input "
                            "with 3 channels, got 1 (input shape (8, 1, 32, 32))")
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 32.*expected 3D \(unbatched\) or 4D \(batched\) input, "
                                           r"got 2D input \(input shape \(32, 32\)\)"):
        m(ember.zeros(32, 32))
    with pytest.raises(RuntimeError, match="expected input with 4 channels, got 3"):
        ember.nn.Conv1d(4, 2, 3)(ember.zeros(2, 3, 10))


def test_conv_module_constructor_errors_match_torch_types():
    for kw in [dict(groups=2), dict(padding="same", stride=2), dict(padding="full"), dict(padding_mode="edge")]:
        with pytest.raises(ValueError):
            torch.nn.Conv2d(3, 4, 3, **kw)
        with pytest.raises(ValueError):
            ember.nn.Conv2d(3, 4, 3, **kw)


def test_conv_module_float64():
    m = ember.nn.Conv2d(2, 3, 3).double()
    assert m(ember.randn(1, 2, 5, 5, dtype=ember.float64)).dtype == ember.float64


def test_conv_module_rejects_non_tensor_input():
    with pytest.raises(TypeError, match="expected a Tensor input, got ndarray"):
        ember.nn.Conv2d(3, 4, 3)(np.zeros((1, 3, 8, 8), np.float32))


