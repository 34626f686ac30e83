"""Pooling modules against PyTorch: repr, forward and backward, return_indices. The functional
ops are tested in tests/ops/test_pool.py."""
import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import compare_module

RNG = np.random.default_rng(0)


def r(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2),), dict(stride=2, padding=1, dilation=1, ceil_mode=True)),
    ("MaxPool1d", (3,), dict(stride=2)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("AvgPool2d", (2,), dict(ceil_mode=True, divisor_override=3)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1)),
    ("AdaptiveAvgPool2d", ((2, None),), {}),
    ("AdaptiveAvgPool2d", (3,), {}),
    ("AdaptiveMaxPool2d", ((3, 4),), {}),
    ("AdaptiveAvgPool1d", (4,), {}),
    ("AdaptiveMaxPool1d", (4,), {}),
]


@pytest.mark.parametrize("name,args,kw", MODULES)
def test_pool_module_matches_torch(name, args, kw):
    e_mod = getattr(ember.nn, name)(*args, **kw)
    t_mod = getattr(torch.nn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    x = r(2, 3, 11) if name.endswith("1d") else r(2, 3, 9, 8)
    compare_module(e_mod, t_mod, x)


def test_pool_modules_return_indices():
    for name, args in [("MaxPool2d", (2,)), ("AdaptiveMaxPool2d", (3,)), ("MaxPool1d", (2,))]:
        x = r(2, 3, 8) if name.endswith("1d") else r(2, 3, 8, 8)
        ye, ie = getattr(ember.nn, name)(*args, return_indices=True)(ember.tensor(x))
        yt, it = getattr(torch.nn, name)(*args, return_indices=True)(torch.tensor(x))
        np.testing.assert_array_equal(ie._data, it.numpy())
        assert ie.dtype == ember.int64
