"""Padding layers against PyTorch: values, gradients, repr."""
import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import compare_module

CASES = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 1, 2, 0),), (1, 2, 3, 4)), ("ZeroPad2d", (-1,), (1, 2, 4, 4)),
    ("ConstantPad1d", (2, 3.5), (2, 3, 4)), ("ConstantPad2d", ((1, 2, 3, 4), 1.0), (2, 3, 4)),
    ("ConstantPad3d", (1, -2.0), (1, 2, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 1, 2, 0),), (1, 2, 3, 4)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4)), ("ReplicationPad2d", (1,), (1, 2, 3, 4)),
    ("ReplicationPad3d", (1,), (1, 2, 2, 3, 2)),
    ("CircularPad1d", (1,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 2, 1),), (1, 2, 3, 4)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_padding_module_matches_torch(case):
    name, args, shape = case
    e, t = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare_module(e, t, x)
    assert repr(e) == repr(t)


def test_padding_bad_tuple():
    with pytest.raises(ValueError, match="4-tuple"):
        ember.nn.ZeroPad2d((1, 2))
