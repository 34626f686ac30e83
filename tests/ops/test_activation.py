"""Activation ops vs PyTorch: relu as a unary op (forward, gradients, 0-d/empty shapes, gradcheck). The
other activations are tested through torch.nn.functional in tests/nn/test_activation.py."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import check_unary, SHAPES, rnd

UNARY = {"relu": rnd}


def _fn(mod, name):
    return getattr(mod, name)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, shape):
    check_unary(UNARY, name, shape)


def _d(*shape):
    return ember.tensor(rnd(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_unary(name):
    assert ember.autograd.gradcheck(_fn(ember, name), (_d(2, 3),))
