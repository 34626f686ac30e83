"""Activation modules and functions against PyTorch: forward, input grads, parameter grads, repr."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.nn._module_oracle import compare_module
from tests.oracle import check

# Kinks and saturation points where the gradient convention matters, plus random values.
_SPECIAL = np.array([-25.0, -20.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 20.0, 25.0], np.float32)


def _x(shape=(4, 3, 5), seed=0):
    x = (np.random.default_rng(seed).standard_normal(shape) * 3).astype(np.float32)
    flat = x.reshape(-1)
    n = min(len(_SPECIAL), flat.size)
    flat[:n] = _SPECIAL[:n]
    return x


ACTIVATIONS = [
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("ReLU", (), {}), ("ReLU6", (), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}),
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("SELU", (), {}), ("CELU", (), {}), ("CELU", (2.0,), {}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Softplus", (), {}), ("Softplus", (2.0, 5.0), {}), ("Softsign", (), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3.0), {}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("Softmax", (1,), {}), ("Softmax", (-1,), {}), ("LogSoftmax", (1,), {}), ("LogSoftmax", (2,), {}),
    ("Softmin", (1,), {}), ("LogSigmoid", (), {}), ("Threshold", (0.1, 20.0), {}), ("Hardshrink", (), {}),
    ("Softshrink", (), {}), ("Tanhshrink", (), {}), ("GLU", (1,), {}),
]


def _ids(spec):
    name, args, kwargs = spec
    return f"{name}{args}{kwargs or ''}"


@pytest.mark.parametrize("spec", ACTIVATIONS, ids=[_ids(s) for s in ACTIVATIONS])
def test_activation_module_matches_torch(spec):
    name, args, kwargs = spec
    e_mod = getattr(ember.nn, name)(*args, **kwargs)
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    x = _x((4, 4, 5)) if name == "GLU" else _x()
    compare_module(e_mod, t_mod, x, atol=2e-5)
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("spec", ACTIVATIONS[:25], ids=[_ids(s) for s in ACTIVATIONS[:25]])
def test_activation_float64(spec):
    name, args, kwargs = spec
    e_mod = getattr(ember.nn, name)(*args, **kwargs).double()
    t_mod = getattr(torch.nn, name)(*args, **kwargs).double()
    # PyTorch's hardsigmoid backward multiplies by a float32 constant 1/6 even in float64
    rtol = 1e-7 if name == "Hardsigmoid" else 1e-9
    compare_module(e_mod, t_mod, _x().astype(np.float64), atol=1e-10, rtol=rtol)


@pytest.mark.parametrize("name", ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "SiLU", "Mish",
                                  "Hardtanh", "Hardsigmoid", "Hardswish"])
def test_inplace_activation_matches_torch(name):
    x = _x()
    e_mod = getattr(ember.nn, name)(inplace=True)
    t_mod = getattr(torch.nn, name)(inplace=True)
    e_in = ember.tensor(x, requires_grad=True)
    t_in = torch.tensor(x, requires_grad=True)
    e_mid = e_in * 1.0
    t_mid = t_in * 1.0
    e_out = e_mod(e_mid)
    t_out = t_mod(t_mid)
    assert e_out is e_mid  # written into its input, as in PyTorch
    np.testing.assert_allclose(e_mid._data, t_mid.detach().numpy(), atol=1e-6)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(e_in.grad._data, t_in.grad.numpy(), atol=1e-5)


def test_inplace_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="leaf"):
        ember.nn.ReLU(inplace=True)(ember.randn(3, requires_grad=True))


def test_rrelu_eval_matches_torch_and_train_slopes_in_range():
    x = _x()
    compare_module(ember.nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3), x, train=False)
    e = ember.tensor(x)
    y = ember.nn.RReLU(0.1, 0.3).train()(e)._data
    neg = x < 0
    ratio = y[neg] / x[neg]
    assert ratio.min() >= 0.1 - 1e-6 and ratio.max() <= 0.3 + 1e-6
    assert ratio.std() > 0.01  # a different slope per element
    np.testing.assert_array_equal(y[~neg], x[~neg])


def test_prelu_per_channel_on_4d_and_1d_inputs():
    x4 = _x((2, 3, 4, 4))
    compare_module(ember.nn.PReLU(3, init=0.3), torch.nn.PReLU(3, init=0.3), x4)
    compare_module(ember.nn.PReLU(), torch.nn.PReLU(), _x((7,)))
    with pytest.raises(RuntimeError, match="channel size"):
        ember.nn.PReLU(4)(ember.randn(2, 3))


@pytest.mark.parametrize("fn, args", [
    ("relu", ()), ("relu6", ()), ("leaky_relu", (0.3,)), ("elu", (0.7,)), ("selu", ()), ("celu", (0.5,)),
    ("gelu", ()), ("silu", ()), ("mish", ()), ("softplus", (1.5, 4.0)), ("softsign", ()),
    ("hardtanh", (-0.5, 0.5)), ("hardsigmoid", ()), ("hardswish", ()), ("logsigmoid", ()),
    ("hardshrink", (0.7,)), ("softshrink", (0.7,)), ("tanhshrink", ()), ("sigmoid", ()), ("tanh", ()),
])
def test_functional_matches_torch(fn, args):
    check(lambda x: getattr(F, fn)(x, *args), lambda x: getattr(torch.nn.functional, fn)(x, *args), _x(),
          atol=2e-5)


def test_functional_threshold_glu_softmax():
    x = _x()
    check(lambda a: F.threshold(a, 0.5, -1.0), lambda a: torch.nn.functional.threshold(a, 0.5, -1.0), x)
    check(lambda a: F.glu(a, 0), lambda a: torch.nn.functional.glu(a, 0), _x((4, 3)))
    check(lambda a: F.softmax(a, dim=0), lambda a: torch.nn.functional.softmax(a, dim=0), x)
    check(lambda a: F.log_softmax(a, dim=-1), lambda a: torch.nn.functional.log_softmax(a, dim=-1), x)


def test_gelu_bad_approximate_and_glu_odd_dim():
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(ember.randn(3), approximate="fast")
    with pytest.raises(RuntimeError, match="even"):
        F.glu(ember.randn(3, 5))


def test_gelu_erf_accuracy_float32():
    x = np.linspace(-8, 8, 2001, dtype=np.float32)
    e = F.gelu(ember.tensor(x))._data
    t = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    assert np.max(np.abs(e - t)) < 2e-6


def test_activations_keep_float32():
    x = ember.randn(3, 4)
    for name in ["GELU", "SiLU", "Mish", "Softplus", "ELU", "SELU", "Hardswish", "LogSigmoid", "LeakyReLU"]:
        assert getattr(ember.nn, name)()(x).dtype == ember.float32, name


def test_softmax2d_matches_torch():
    x = _x((2, 3, 4, 4))
    compare_module(ember.nn.Softmax2d(), torch.nn.Softmax2d(), x)
    compare_module(ember.nn.Softmax2d(), torch.nn.Softmax2d(), _x((3, 4, 4)))
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        ember.nn.Softmax2d()(ember.randn(3, 4))


def test_hardtanh_bad_bounds():
    with pytest.raises(ValueError, match="max_val"):
        ember.nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(ember.randn(2), 1.0, -1.0)


def test_integer_input_is_an_error_not_garbage():
    with pytest.raises(RuntimeError, match="floating-point"):
        F.gelu(ember.tensor([1, 2]))
