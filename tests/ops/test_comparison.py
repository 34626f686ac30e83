"""Comparisons and logic vs PyTorch: eq/ne/lt/le/gt/ge and operators, logical_* and bitwise_* (and & | ^ ~),
isnan/isinf/isfinite; bool results without gradient, broadcasting, 0-d/empty shapes."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import rnd
from tests.both import assert_same


def _fn(mod, name):
    return getattr(mod, name)


CMP = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", CMP)
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((), (2,)), ((0,), (1,))], ids=str)
def test_comparisons(name, shapes):
    a = np.round(rnd(*shapes[0]))
    b = np.round(rnd(*shapes[1]))
    check(_fn(ember, name), _fn(torch, name), a, b, grad=False)
    if not name.startswith("logical"):
        check(lambda x: _fn(ember, name)(x, 0.0), lambda x: _fn(torch, name)(x, 0.0), a, grad=False)


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparison_operators(op):
    a, b = np.round(rnd(3, 4)), np.round(rnd(4))
    check(lambda x, y: getattr(x, op)(y), None, a, b, grad=False)
    check(lambda x: getattr(x, op)(0), None, a, grad=False)
    e = getattr(ember.tensor(a, requires_grad=True), op)(ember.tensor(b))
    assert e.dtype == ember.bool and not e.requires_grad and e.grad_fn is None


def test_logical_and_bitwise():
    a = rnd(5) > 0
    b = rnd(5) > 0
    check(lambda x: ember.logical_not(x), lambda x: torch.logical_not(x), a, grad=False)
    check(lambda x, y: x & y, None, a, b, grad=False)
    check(lambda x, y: x | y, None, a, b, grad=False)
    check(lambda x, y: x ^ y, None, a, b, grad=False)
    check(lambda x: ~x, None, a, grad=False)
    i = np.arange(-3, 3)
    check(lambda x: ~x, None, i, grad=False)
    check(lambda x: x & 3, None, i, grad=False)


def test_isnan_isinf_isfinite():
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0], np.float32)
    for name in ["isnan", "isinf", "isfinite"]:
        check(_fn(ember, name), _fn(torch, name), x, grad=False)


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("fn", ["eq", "ne", "lt", "ge"])
@pytest.mark.parametrize("a, da, b, db", [([2**31 - 1, 100], "int32", [float("inf"), 100.0], "float16"),
                                          ([float("inf"), 1.0], "float16", 1e38, "float64"),
                                          (-1, "int32", [1, 0, 255], "uint8")])
def test_comparison_in_the_promoted_dtype(fn, a, da, b, db):
    # as PyTorch: both sides are cast to the promoted dtype first (float16 1e38 is inf, int32 -1 is uint8 255)
    assert_same(lambda t: getattr(t, fn)(t.tensor(a, dtype=getattr(t, da)), t.tensor(b, dtype=getattr(t, db))))
