"""Arithmetic vs PyTorch: + - * / ** and their names, rounding, integer-style division, lerp/addcmul/addcdiv;
forward, gradients, broadcasting, 0-d/empty shapes, integer inputs, gradcheck in float64."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import (binary_gradcheck_inputs, check_binary_broadcast, check_unary, gradcheck_unary, leaf64,
                             BCAST, SHAPES, pos, rnd)
from tests.both import assert_same

BINARY = {
    "add": lambda m: m.add,
    "sub": lambda m: m.sub,
    "mul": lambda m: m.mul,
    "div": lambda m: m.div,
    "remainder": lambda m: m.remainder,
    "fmod": lambda m: m.fmod,
}

# name -> input generator
UNARY = {"square": rnd, "floor": rnd, "ceil": rnd, "round": rnd, "trunc": rnd, "neg": rnd, "frac": rnd, "sign": rnd}
NO_GRADCHECK = {"sign", "floor", "ceil", "round", "trunc"}  # piecewise constant: zero gradient


def _fn(mod, name):
    return getattr(mod, name)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_binary_broadcast(name, shapes):
    check_binary_broadcast(BINARY, name, shapes)


@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_pow_broadcast(shapes):
    sa, sb = shapes
    check(lambda a, b: a ** b, None, pos(*sa), rnd(*sb))
    check(ember.pow, torch.pow, pos(*sa), rnd(*sb))


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, shape):
    check_unary(UNARY, name, shape)


@pytest.mark.parametrize("expr", [
    lambda x: x + 2, lambda x: 2 + x, lambda x: x - 2.5, lambda x: 2.5 - x, lambda x: x * 3,
    lambda x: 3 * x, lambda x: x / 2, lambda x: 2 / x, lambda x: x ** 2, lambda x: x ** 3,
    lambda x: x ** 0.5, lambda x: x ** 0, lambda x: x ** -1, lambda x: 2 ** x, lambda x: -x,
    lambda x: +x, lambda x: abs(x), lambda x: x % 0.7,
    lambda x: x + True, lambda x: x * x, lambda x: x / x.sum(),
])
def test_operators_with_scalars(expr):
    check(expr, None, pos(3, 4))


def test_floor_divide_and_reversed_mod_forward():
    # torch marks these outputs as requiring grad with a NotImplemented backward; ember returns
    # a tensor that does not require grad (documented difference).
    check(lambda x: x // 0.7, None, rnd(3, 4), grad=False)
    check(lambda x: 3 % x, None, pos(3, 4), grad=False)
    check(lambda x, y: x // y, None, rnd(3, 4), pos(4), grad=False)
    assert not (ember.tensor([1.5], requires_grad=True) // 0.7).requires_grad


def test_pow_negative_base_integer_exponent():
    check(lambda x: x ** 2, None, rnd(5))
    check(lambda x: x ** 3, None, rnd(5))
    check(lambda x: x.pow(2.0), None, rnd(2, 3))


def test_pow_zero_base():
    # d/dx x**2 at 0 is 0; d/dy 0**y is 0 for y > 0 (torch masks the log)
    check(lambda a, b: a ** b, None, np.array([0.0, 1.0, 2.0], np.float32), np.array([2.0, 2.0, 0.5], np.float32))


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_rounding_no_gradient(name):
    x = rnd(3, 4)
    e = ember.tensor(x, requires_grad=True)
    getattr(e, name)().sum().backward()
    t = torch.tensor(x, requires_grad=True)
    getattr(t, name)().sum().backward()
    assert_close(e.grad, t.grad)


def test_round_half_to_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345], np.float32)
    check(ember.round, torch.round, x)
    check(lambda t: ember.round(t, decimals=2), lambda t: torch.round(t, decimals=2), x)


def test_integer_unary_and_division():
    i = np.array([-7, -3, 0, 4, 9])
    j = np.array([2, -3, 5, 3, -4])
    for name in ["abs", "neg", "sign", "square"]:
        check(_fn(ember, name), _fn(torch, name), i, grad=False)
    check(lambda a, b: a / b, None, i, j, grad=False)         # true division gives float32
    check(lambda a, b: a // b, None, i, j, grad=False)
    check(lambda a, b: a % b, None, i, j, grad=False)
    check(lambda a, b: ember.fmod(a, b), lambda a, b: torch.fmod(a, b), i, j, grad=False)
    check(lambda a, b: ember.div(a, b, rounding_mode="trunc"), lambda a, b: torch.div(a, b, rounding_mode="trunc"),
          i, j, grad=False)
    check(lambda a, b: ember.div(a, b, rounding_mode="floor"), lambda a, b: torch.div(a, b, rounding_mode="floor"),
          i, j, grad=False)
    check(lambda a: a ** 2, None, i, grad=False)
    check(lambda a: ember.exp(a), lambda a: torch.exp(a), i, grad=False)     # int -> float32
    check(lambda a: ember.sqrt(a.abs()), lambda a: torch.sqrt(a.abs()), i, grad=False)


def test_div_rounding_mode_float_grad():
    check(lambda a, b: ember.div(a, b, rounding_mode="floor"), lambda a, b: torch.div(a, b, rounding_mode="floor"),
          rnd(3, 4), pos(4))
    check(lambda a, b: ember.div(a, b, rounding_mode="trunc"), lambda a, b: torch.div(a, b, rounding_mode="trunc"),
          rnd(3, 4), pos(4))


def test_lerp_addcmul_addcdiv():
    check(lambda a, b: ember.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3), rnd(3, 4), rnd(4))
    check(lambda a, b, c: ember.addcmul(a, b, c, value=0.5), lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
          rnd(3, 4), rnd(4), rnd(3, 1))
    check(lambda a, b, c: ember.addcdiv(a, b, c, value=2), lambda a, b, c: torch.addcdiv(a, b, c, value=2),
          rnd(3, 4), rnd(4), pos(3, 1))


def test_add_sub_alpha():
    check(lambda a, b: ember.add(a, b, alpha=2), lambda a, b: torch.add(a, b, alpha=2), rnd(3), rnd(3))
    check(lambda a, b: ember.sub(a, b, alpha=0.5), lambda a, b: torch.sub(a, b, alpha=0.5), rnd(3), rnd(3))


def test_bool_negation_error():
    with pytest.raises(RuntimeError, match="logical_not"):
        -ember.tensor([True, False])


# -- gradcheck in float64 ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(set(UNARY) - NO_GRADCHECK))
def test_gradcheck_unary(name):
    gradcheck_unary(UNARY, name)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    a, b = binary_gradcheck_inputs()
    if name in ("remainder", "fmod"):  # keep away from the jumps
        a = ember.tensor(np.array([[0.3, 1.1, -0.4], [2.2, -1.3, 0.7]]), requires_grad=True)
        b = ember.tensor(np.array([0.9, -0.8, 0.65]), requires_grad=True)
    assert ember.autograd.gradcheck(BINARY[name](ember), (a, b))


def test_gradcheck_misc():
    gc = ember.autograd.gradcheck
    assert gc(lambda a, b: a ** b, (leaf64(2, 3, positive=True), leaf64(3)))
    assert gc(lambda a: a ** 3, (leaf64(4),))
    assert gc(lambda a: 2.0 ** a, (leaf64(4),))
    assert gc(lambda a: a.square(), (leaf64(3),))
    assert gc(lambda a, b, c: ember.lerp(a, b, c), (leaf64(3), leaf64(3), leaf64(3)))


def test_gradcheck_composites():
    gc = ember.autograd.gradcheck
    assert gc(lambda a, b, c: ember.addcdiv(a, b, c, value=0.5), (leaf64(3), leaf64(3), leaf64(3, positive=True)))
    assert gc(lambda a, b, c: ember.addcmul(a, b, c, value=2), (leaf64(3), leaf64(2, 3), leaf64(3)))
    assert gc(lambda a: ember.div(a, 2.0) - 3.0 / a, (leaf64(3, positive=True),))
    assert gc(lambda a: a.double() * a, (leaf64(3),))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

def _grads(t, f, *values, dtype=None):
    xs = [t.tensor(v, dtype=dtype or t.float32, requires_grad=True) for v in values]
    f(t, *xs).sum().backward()
    return [x.grad for x in xs]


@pytest.mark.parametrize("a, b", [(True, 1.0), (1.0, True), (True, 1), (1, True)])
def test_sub_with_a_bool_tensor_raises(a, b):
    assert_same(lambda t: t.sub(t.tensor([a]), t.tensor([b])), error=RuntimeError)
    assert_same(lambda t: t.sub(t.tensor([a]), b), error=RuntimeError)


@pytest.mark.parametrize("fn", ["floor", "ceil", "trunc", "round"])
@pytest.mark.parametrize("shape", [(2,), (0,)])
def test_rounding_of_bool_raises_not_implemented(fn, shape):
    assert_same(lambda t: getattr(t, fn)(t.ones(shape, dtype=t.bool)), error=NotImplementedError)


@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("uint8", "int32"), ("int32", "int32"), ("bool", "int64")])
def test_integer_pow_with_negative_tensor_exponents(dtypes):
    assert_same(lambda t: t.pow(t.tensor([0, 1, -1, 2, -2, 3, -1], dtype=getattr(t, dtypes[0])),
                                t.tensor([-1, -3, -3, -1, -2, 2, -4], dtype=getattr(t, dtypes[1]))))
    assert_same(lambda t: t.pow(t.tensor([[3]], dtype=getattr(t, dtypes[0])), t.tensor([[-1, 0], [2, -8]])))


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_floor_division_of_floats_at_inf_zero_and_overflow(dtype):
    a = [0.0, 1.0, -1.0, float("inf"), 5.0, 3.0, 6e4, -0.0, float("nan"), 1.0]
    b = [float("inf"), float("-inf"), float("inf"), 2.0, 1e-30, 1e-38, -7.0, 0.0, 2.0, -0.0]
    assert_same(lambda t: t.div(t.tensor(a, dtype=getattr(t, dtype)), t.tensor(b, dtype=getattr(t, dtype)),
                                rounding_mode="floor"))
    assert_same(lambda t: t.div(t.tensor(a, dtype=getattr(t, dtype)), -7, rounding_mode="floor"))
    assert_same(lambda t: t.div(7, t.tensor(b, dtype=getattr(t, dtype)), rounding_mode="floor"))
    assert_same(lambda t: _grads(t, lambda t, x, y: t.div(x, y, rounding_mode="floor"), a[:4], b[:4]))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_div_gradient_of_the_divisor_divides_twice(dtype):
    # -g * (a / b) / b, as PyTorch: b * b underflows to 0 for b = 1e-30
    assert_same(lambda t: _grads(t, lambda t, x, y: t.div(x, y), [1e38, 1e-30, 1.0, 0.0, 3.0],
                                 [1e-30, 1e-30, 0.0, 0.0, 1e-20], dtype=getattr(t, dtype)))


@pytest.mark.parametrize("fn, scalar", [("mul", 1e5), ("mul", ("int32", -2**31)), ("mul", ("float32", 1e5)),
                                        ("div", 1e-8), ("mul", 0.1), ("mul", 3)])
def test_float16_with_a_scalar_float16_cannot_hold_computes_in_float32(fn, scalar):
    # as PyTorch: x * 1e5 is 100.06 for x = 1e-3, not inf (the scalar is not first rounded to float16)
    def f(t):
        s = t.tensor(scalar[1], dtype=getattr(t, scalar[0])) if isinstance(scalar, tuple) else scalar
        return getattr(t, fn)(t.tensor([1e-3, 0.0, 1.0, -2.0], dtype=t.float16), s)
    assert_same(f)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_pow_with_a_0d_tensor_exponent_is_pow_not_sqrt(shape):
    # pow(-inf, 0.5) is inf (a Python 0.5 exponent is sqrt: nan, in both libraries)
    assert_same(lambda t: (t.pow(t.full(shape, float("-inf")), t.tensor(0.5)),
                           t.pow(t.full(shape, -0.0), t.tensor(0.5, dtype=t.float16)),
                           t.full(shape, float("-inf")) ** 0.5))


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_a_zero_remainder_has_the_dividends_sign(dtype):
    # PyTorch: -3 % 3 is -0.0 and 3 % -3 is 0.0 (NumPy's remainder gives the divisor's sign)
    a = [-3.0, 3.0, -0.0, 0.0, 5.0, -5.0, 6.0, float("nan"), 1.5]
    b = [3.0, -3.0, 2.0, -2.0, 2.5, 2.5, -3.0, 1.0, -0.5]
    for make in (lambda t: t.remainder(t.tensor(a, dtype=getattr(t, dtype)), t.tensor(b, dtype=getattr(t, dtype))),
                 lambda t: t.tensor(a, dtype=getattr(t, dtype)) % -3,
                 lambda t: t.remainder(6.0, t.tensor(b, dtype=getattr(t, dtype)))):
        got, want = make(ember), make(torch)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        np.testing.assert_array_equal(np.signbit(got.numpy()), np.signbit(want.numpy()))
