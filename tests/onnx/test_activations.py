"""Every activation layer in ember.nn (and their functional forms) exported and run in ONNX Runtime."""
import inspect

import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.nn.modules.activation as A

from ._check import check

# Constructor arguments of the layers that need some (or that have interesting non-defaults).
ARGS = {"Threshold": [(0.1, 20.0), (-0.5, -3.0)], "Hardshrink": [(), (1.2,)], "Softshrink": [(), (0.8,)],
        "GELU": [(), ("tanh",)], "LeakyReLU": [(), (0.2,)], "ELU": [(), (0.7,)], "CELU": [(), (1.7,)],
        "Softplus": [(), (2.0, 3.0)], "Hardtanh": [(), (-2.0, 0.5)], "PReLU": [(), (3,)],
        "Softmax": [(1,), (-1,)], "LogSoftmax": [(1,)], "Softmin": [(2,)], "GLU": [(), (2,)],
        "MultiheadAttention": []}          # tested in test_recurrent_attention.py

LAYERS = sorted(n for n, c in vars(A).items()
                if inspect.isclass(c) and issubclass(c, nn.Module) and c.__module__ == A.__name__)
CASES = [(n, a) for n in LAYERS for a in ARGS.get(n, [()])]


def test_the_list_covers_every_activation_layer():
    assert {"ReLU", "SELU", "Mish", "Hardswish", "LogSigmoid", "Tanhshrink", "Softmax2d", "RReLU"} <= set(LAYERS)


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}{a}" for n, a in CASES])
def test_activation_layer(name, args):
    layer = getattr(nn, name)(*args)
    x = ember.randn(2, 3, 4, 6) * 3
    x2 = ember.randn(5, 3, 4, 6) * 3
    check(layer, x, x2, dynamic={0: [0]})


@pytest.mark.parametrize("fn", [lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, -1), lambda x: F.relu6(x),
                                lambda x: F.gelu(x, approximate="tanh"), lambda x: F.softplus(x, beta=0.5, threshold=4),
                                lambda x: F.elu(x, 2.0), lambda x: F.selu(x), lambda x: F.celu(x, 0.5),
                                lambda x: F.hardshrink(x, 0.3), lambda x: F.threshold(x, 0.2, -1.0),
                                lambda x: F.silu(x), lambda x: F.logsigmoid(x * 20), lambda x: F.softsign(x),
                                lambda x: F.hardsigmoid(x), lambda x: F.hardswish(x), lambda x: F.glu(x, 2),
                                lambda x: F.leaky_relu(x, 0.3), lambda x: F.softmin(x, 0)])
def test_functional_activation(fn):
    check(fn, ember.randn(3, 5, 4) * 3, ember.randn(3, 5, 4) * 2)
