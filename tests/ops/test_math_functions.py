"""Math functions vs PyTorch (exp/log, roots, trigonometric and hyperbolic, erf, sigmoid, abs, reciprocal;
atan2, hypot, xlogy): forward, gradients, broadcasting, 0-d/empty shapes, domain edges, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import (binary_gradcheck_inputs, check_binary_broadcast, check_unary, gradcheck_unary, leaf64,
                             BCAST, SHAPES, pos, rnd)
from tests.both import assert_same

BINARY = {
    "atan2": lambda m: m.atan2,
}

# name -> input generator
UNARY = {
    "exp": rnd, "log": pos, "log2": pos, "log10": pos, "log1p": pos, "expm1": rnd, "sqrt": pos,
    "rsqrt": pos, "abs": rnd, "sin": rnd, "cos": rnd, "tan": rnd, "tanh": rnd,
    "sigmoid": rnd, "reciprocal": pos, "exp2": rnd, "sinh": rnd, "cosh": rnd, "atan": rnd, "erf": rnd,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_binary_broadcast(name, shapes):
    check_binary_broadcast(BINARY, name, shapes)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, shape):
    check_unary(UNARY, name, shape)


def test_hypot_xlogy():
    check(ember.hypot, torch.hypot, rnd(3, 4), rnd(4))
    check(ember.xlogy, torch.xlogy, np.array([0.0, 1.0, 2.0], np.float32), pos(3))


def test_sigmoid_and_exp_extremes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)
    check(ember.sigmoid, torch.sigmoid, x)
    check(ember.tanh, torch.tanh, x)


# -- gradcheck in float64 ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradcheck_unary(name):
    gradcheck_unary(UNARY, name)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    assert ember.autograd.gradcheck(BINARY[name](ember), binary_gradcheck_inputs())


def test_gradcheck_hypot_xlogy():
    gc = ember.autograd.gradcheck
    assert gc(ember.hypot, (leaf64(2, 3), leaf64(3)))
    assert gc(ember.xlogy, (leaf64(2, 3), leaf64(3, positive=True)))


@pytest.mark.parametrize("fn", [
    lambda x: x.log(), lambda x: x.log2(), lambda x: x.log10(), lambda x: x.log1p(), lambda x: x.sqrt(),
    lambda x: x.rsqrt(), lambda x: x.reciprocal(), lambda x: x / x, lambda x: 1 / x, lambda x: x ** 0.5,
    lambda x: x ** -1, lambda x: x ** 2.5,
], ids=lambda f: "")
def test_domain_edges_give_inf_nan_silently(fn):
    # outside the domain: the same inf/nan values and gradients as torch, and no NumPy warnings
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(fn, None, np.array([0.0, -1.0, 1.0, 4.0], np.float32))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

def _grads(t, f, *values, dtype=None):
    xs = [t.tensor(v, dtype=dtype or t.float32, requires_grad=True) for v in values]
    f(t, *xs).sum().backward()
    return [x.grad for x in xs]


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_atan2_gradient_where_the_squares_sum_to_zero(dtype):
    # 0 where a² + b² is 0 (also when it underflows), as PyTorch; inf/nan elsewhere stay
    a = [0.0, 1e-30, float("inf"), 0.0, 1.0, 1e-3, -0.0]
    b = [0.0, 0.0, float("inf"), -0.0, 2.0, 0.0, 0.0]
    assert_same(lambda t: _grads(t, lambda t, x, y: t.atan2(x, y), a, b, dtype=getattr(t, dtype)))


def test_abs_gradient_at_nan_is_zero_and_abs_of_bool_raises():
    assert_same(lambda t: _grads(t, lambda t, x: t.abs(x), [float("nan"), 0.0, -0.0, -2.0, float("-inf")]))
    assert_same(lambda t: t.abs(t.tensor([True])), error=NotImplementedError)
    assert_same(lambda t: t.abs(t.zeros(0, dtype=t.bool)), error=NotImplementedError)


def test_atan2_backward_squares_integer_inputs_in_their_dtype_and_refuses_negating_bool():
    # PyTorch's backward computes other * other in other's integer dtype (uint8 255 * 255 wraps to 1)
    assert_same(lambda t: _grads(t, lambda t, x: t.atan2(x, t.tensor(255, dtype=t.uint8)), [[1.0, 0.0, 100.0]]))
    assert_same(lambda t: _grads(t, lambda t, x: t.atan2(x, t.tensor([255, 7, 100000], dtype=t.int32)),
                                 [[1.0, 0.0, 100.0]]))
    assert_same(lambda t: _grads(t, lambda t, x: t.atan2(x, t.tensor([True, False, True])), [[1.0, 0.0, 100.0]]))
    # atan2(bool, x).backward() negates the bool input: RuntimeError
    assert_same(lambda t: _grads(t, lambda t, x: t.atan2(t.tensor([True, False, True]), x), [[1.0, 0.0, 100.0]]),
                error=RuntimeError)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_hypot_gradient_is_input_over_output(dtype):
    # nan at the origin, exact where one input is 0, as PyTorch (not through sqrt's slope at 0)
    a = [0.0, 1e-30, float("inf"), 1.0, 3e38, -0.0, 1e-30, 300.0]
    b = [0.0, 0.0, float("inf"), 0.0, 3e38, 0.0, 1e-30, 1.0]
    assert_same(lambda t: _grads(t, lambda t, x, y: t.hypot(x, y), a, b, dtype=getattr(t, dtype)))


def test_atan2_backward_negates_an_unsigned_input_in_its_dtype():
    assert_same(lambda t: _grads(t, lambda t, x: t.atan2(t.tensor([[255, 255, 3, 0]], dtype=t.uint8), x),
                                 [[0.0, 1.0, 7.0, 2.0]], dtype=t.float64))


def test_atan2_backward_squares_a_narrower_float_input_in_its_dtype():
    # float16 with float32: PyTorch's backward computes the float16 input's square in float16
    assert_same(lambda t: _grads2(t, [[0.3, -0.2], [1.7, 2.5]], [[0.9, -0.4], [3.1, 0.7]]))


def _grads2(t, a, b):
    x = t.tensor(a, dtype=t.float16, requires_grad=True)
    y = t.tensor(b, requires_grad=True)
    t.atan2(x, y).sum().backward()
    return x.grad, y.grad


def test_atan2_of_integers_casts_each_straight_to_float32():
    # an int64 0-d -8 with a uint8 tensor is -8.0, not -8 wrapped to uint8 248
    assert_same(lambda t: t.atan2(t.tensor(-8), t.tensor([0, 1, 255], dtype=t.uint8)))
    assert_same(lambda t: t.atan2(t.tensor([True, False]), t.tensor([0, 1], dtype=t.uint8)))


@pytest.mark.parametrize("call", [
    lambda t: t.atan2(t.tensor([1.0, 2.0]), 2.0), lambda t: t.tensor([1.0]).atan2(2),
    lambda t: t.atan2(1.0, t.tensor([1.0])), lambda t: t.hypot(t.tensor([1.0, 2.0]), 2.0),
    lambda t: t.tensor([3.0]).hypot(4.0), lambda t: t.hypot(3.0, t.tensor([4.0])),
], ids=["atan2-other", "atan2-method", "atan2-input", "hypot-other", "hypot-method", "hypot-input"])
def test_two_input_functions_refuse_python_numbers(call):
    # torch: "atan2(): argument 'other' (position 2) must be Tensor, not float"
    assert_same(call, error=TypeError)
