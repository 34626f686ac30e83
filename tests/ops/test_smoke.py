import numpy as np
import pytest
import torch

import ember
from tests.oracle import check

R = np.random.default_rng(0)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "relu", "abs", "sin", "cos"])
def test_unary(name):
    check(lambda x: getattr(x, name)(), None, f32(4, 5))


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__"])
def test_binary_broadcast(op):
    check(lambda a, b: getattr(a, op)(b), None, f32(4, 5), f32(5))
    check(lambda a, b: getattr(a, op)(b), None, f32(4, 1), f32(1, 5))


def test_matmul_sum():
    check(lambda a, b: (a @ b).sum(dim=1), None, f32(3, 4), f32(4, 5))
