"""clamp/clip, maximum/minimum and where vs PyTorch: scalar and tensor bounds, ties, broadcasting,
0-d/empty shapes, integer inputs, gradcheck in float64."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import binary_gradcheck_inputs, check_binary_broadcast, leaf64, BCAST, rnd
from tests.both import assert_same

BINARY = {
    "maximum": lambda m: m.maximum,
    "minimum": lambda m: m.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_binary_broadcast(name, shapes):
    check_binary_broadcast(BINARY, name, shapes)


@pytest.mark.parametrize("kw", [dict(min=-0.5), dict(max=0.3), dict(min=-0.5, max=0.5)])
def test_clamp_scalar(kw):
    check(lambda x: ember.clamp(x, **kw), lambda x: torch.clamp(x, **kw), rnd(4, 5))
    check(lambda x: x.clip(**kw), None, rnd(4, 5))


def test_clamp_min_max_methods():
    check(lambda x: x.clamp_min(0.1), None, rnd(3, 4))
    check(lambda x: x.clamp_max(0.1), None, rnd(3, 4))


def test_clamp_tensor_bounds():
    check(lambda x, lo, hi: ember.clamp(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi),
          rnd(3, 4), rnd(4) - 0.5, rnd(3, 1) + 0.5)


def test_clamp_int_tensor_keeps_dtype():
    x = np.arange(-3, 4)
    assert_close(ember.clamp(ember.tensor(x), -1, 2), torch.clamp(torch.tensor(x), -1, 2))


def test_maximum_ties_share_gradient():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([1.0, 0.0, 3.0], np.float32)
    check(ember.maximum, torch.maximum, a, b)
    check(ember.minimum, torch.minimum, a, b)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((), (2,), ()),
                                    ((0, 2), (2,), (1,))], ids=str)
def test_where(shapes):
    sc, sa, sb = shapes
    cond = rnd(*sc) > 0
    check(lambda a, b: ember.where(ember.tensor(cond), a, b), lambda a, b: torch.where(torch.tensor(cond), a, b),
          rnd(*sa), rnd(*sb))
    check(lambda a: ember.where(ember.tensor(cond), a, 0.0), lambda a: torch.where(torch.tensor(cond), a, 0.0),
          rnd(*sa))
    check(lambda a: a.where(ember.tensor(cond), 1.5), lambda a: a.where(torch.tensor(cond), 1.5), rnd(*sa))


def test_where_requires_bool_condition():
    with pytest.raises(RuntimeError, match="bool"):
        ember.where(ember.tensor([1, 0]), ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))


# -- gradcheck in float64 ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    assert ember.autograd.gradcheck(BINARY[name](ember), binary_gradcheck_inputs())


def test_gradcheck_clamp_where_maximum_minimum():
    gc = ember.autograd.gradcheck
    assert gc(lambda a: ember.clamp(a, -0.5, 0.5), (ember.tensor([-0.9, -0.2, 0.3, 0.8], dtype=ember.float64,
                                                                 requires_grad=True),))
    cond = ember.tensor([True, False, True])
    assert gc(lambda a, b: ember.where(cond, a, b), (leaf64(2, 3), leaf64(3)))
    assert gc(lambda a, b: ember.maximum(a, b), (leaf64(2, 3), leaf64(3)))
    assert gc(lambda a, lo, hi: ember.clamp(a, lo, hi), (leaf64(2, 3), leaf64(3) - 1.5, leaf64(2, 1) + 1.5))
    assert gc(lambda a, b: ember.minimum(a, b), (leaf64(2, 3), leaf64(3)))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("dtype, lo, hi", [("uint8", -1, 2), ("uint8", -255, 300), ("uint8", -256, None),
                                           ("int32", None, 2**31), ("int32", -2**31, 2**31 - 1), ("int64", 3, None)])
def test_clamp_converts_integer_bounds_as_pytorch(dtype, lo, hi):
    # uint8: -1 is 255 (so clamp(x, -1, 2) is 2 everywhere); out of the type's range raises
    assert_same(lambda t: t.clamp(t.tensor([100, 0, 1], dtype=getattr(t, dtype)), lo, hi),
                error=RuntimeError if (lo, hi) in ((-255, 300), (-256, None), (None, 2**31)) else None)


def test_clamp_gradient_outside_the_bounds_is_zero_even_when_infinite():
    def f(t):
        x = t.tensor([-1.0, 0.5, 2.0, float("nan")], requires_grad=True)
        (t.clamp(x, 0, 1) * float("inf")).sum().backward()
        return x.grad
    assert_same(f)
