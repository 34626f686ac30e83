"""Activation ops vs PyTorch: relu as a unary op (forward, gradients, 0-d/empty shapes, gradcheck). The
other activations are tested through torch.nn.functional in tests/nn/test_activation.py."""
import pytest
import torch

from tests.oracle import check
from tests.ops._data import check_unary, gradcheck_unary, SHAPES, rnd
from tests.both import assert_same

UNARY = {"relu": rnd}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, shape):
    check_unary(UNARY, name, shape)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_unary(name):
    gradcheck_unary(UNARY, name)


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("shape", [(3,), (0,)])
def test_relu_of_bool_raises(shape):
    assert_same(lambda t: t.relu(t.ones(shape, dtype=t.bool)), error=RuntimeError)
    assert_same(lambda t: t.nn.functional.relu(t.ones(shape, dtype=t.bool)), error=RuntimeError)


def test_relu_gradient_at_special_values_matches_torch():
    # PyTorch passes the gradient where not (out <= 0): a nan input passes it, +-0 and -inf do not.
    values = [float("nan"), 0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), 1e-45, -1e-45]
    check(lambda x: x.relu(), lambda x: x.relu(), torch.tensor(values).numpy())
