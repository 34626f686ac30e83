"""The reduction and argument checks every loss shares (``ember/ops/loss/_common.py``): the
reduction string, the legacy ``size_average``/``reduce`` flags, non-Tensor arguments.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.oracle import assert_close
from tests.ops.loss._helpers import X, normal

RNG = np.random.default_rng(2)


def _r(*shape, scale=1.5):
    return normal(RNG, *shape, scale=scale)


@pytest.mark.parametrize("legacy,expected", [
    (dict(size_average=False), "sum"), (dict(reduce=False), "none"),
    (dict(size_average=True, reduce=True), "mean"), (dict(size_average=False, reduce=False), "none")])
def test_legacy_size_average_reduce(legacy, expected):
    x, y = _r(3, 2), _r(3, 2)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        got = F.mse_loss(ember.tensor(x), ember.tensor(y), **legacy)
    assert_close(got, TF.mse_loss(torch.tensor(x), torch.tensor(y), reduction=expected))
    with pytest.warns(UserWarning):
        assert ember.nn.L1Loss(**legacy).reduction == expected


def test_bad_reduction():
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(ember.tensor(X), ember.tensor([0, 1, 2]), reduction="foo")
    with pytest.raises(ValueError, match="valid value for reduction"):
        F.mse_loss(ember.tensor(X), ember.tensor(X), reduction="avg")


def test_non_tensor_arguments():
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        F.mse_loss([1.0, 2.0], ember.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.cross_entropy(ember.tensor(X), [0, 1, 2])
