"""Elementwise ops vs PyTorch: forward, gradients, broadcasting, 0-d/empty shapes, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import BCAST, SHAPES, pos, rnd

BINARY = {
    "add": lambda m: m.add,
    "sub": lambda m: m.sub,
    "mul": lambda m: m.mul,
    "div": lambda m: m.div,
    "maximum": lambda m: m.maximum,
    "minimum": lambda m: m.minimum,
    "atan2": lambda m: m.atan2,
    "remainder": lambda m: m.remainder,
    "fmod": lambda m: m.fmod,
}

# name -> (input generator, ember fn, torch fn)
UNARY = {
    "exp": rnd, "log": pos, "log2": pos, "log10": pos, "log1p": pos, "expm1": rnd, "sqrt": pos,
    "rsqrt": pos, "abs": rnd, "sign": rnd, "sin": rnd, "cos": rnd, "tan": rnd, "tanh": rnd,
    "sigmoid": rnd, "relu": rnd, "reciprocal": pos, "square": rnd, "floor": rnd, "ceil": rnd,
    "round": rnd, "trunc": rnd, "neg": rnd, "exp2": rnd, "sinh": rnd, "cosh": rnd, "atan": rnd,
    "frac": rnd, "erf": rnd,
}
NO_GRADCHECK = {"sign", "floor", "ceil", "round", "trunc"}  # piecewise constant: zero gradient


def _fn(mod, name):
    return getattr(mod, name)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_binary_broadcast(name, shapes):
    sa, sb = shapes
    a = rnd(*sa)
    b = pos(*sb) * np.where(rnd(*sb) > 0, 1, -1).astype(np.float32)  # away from zero for div/mod
    check(BINARY[name](ember), BINARY[name](torch), a, b)


@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_pow_broadcast(shapes):
    sa, sb = shapes
    check(lambda a, b: a ** b, None, pos(*sa), rnd(*sb))
    check(ember.pow, torch.pow, pos(*sa), rnd(*sb))


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, shape):
    x = UNARY[name](*shape)
    check(_fn(ember, name), _fn(torch, name), x)
    check(lambda t: getattr(t, name)(), None, x)


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


def test_lerp_addcmul_addcdiv_hypot_xlogy():
    check(lambda a, b: ember.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3), rnd(3, 4), rnd(4))
    check(lambda a, b, c: ember.addcmul(a, b, c, value=0.5), lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
          rnd(3, 4), rnd(4), rnd(3, 1))
    check(lambda a, b, c: ember.addcdiv(a, b, c, value=2), lambda a, b, c: torch.addcdiv(a, b, c, value=2),
          rnd(3, 4), rnd(4), pos(3, 1))
    check(ember.hypot, torch.hypot, rnd(3, 4), rnd(4))
    check(ember.xlogy, torch.xlogy, np.array([0.0, 1.0, 2.0], np.float32), pos(3))


def test_add_sub_alpha():
    check(lambda a, b: ember.add(a, b, alpha=2), lambda a, b: torch.add(a, b, alpha=2), rnd(3), rnd(3))
    check(lambda a, b: ember.sub(a, b, alpha=0.5), lambda a, b: torch.sub(a, b, alpha=0.5), rnd(3), rnd(3))


def test_sigmoid_and_exp_extremes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)
    check(ember.sigmoid, torch.sigmoid, x)
    check(ember.tanh, torch.tanh, x)


def test_bool_negation_error():
    with pytest.raises(RuntimeError, match="logical_not"):
        -ember.tensor([True, False])


# -- in-place forms ----------------------------------------------------------------------------
INPLACE = [
    ("add_", lambda x, o: x.add_(o)), ("sub_", lambda x, o: x.sub_(o)), ("mul_", lambda x, o: x.mul_(o)),
    ("div_", lambda x, o: x.div_(o)), ("iadd", lambda x, o: x.__iadd__(o)), ("isub", lambda x, o: x.__isub__(o)),
    ("imul", lambda x, o: x.__imul__(o)), ("idiv", lambda x, o: x.__itruediv__(o)),
    ("pow_", lambda x, o: x.pow_(o)), ("remainder_", lambda x, o: x.remainder_(o)),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_binary_on_nonleaf(name, op):
    def f(a, b):
        y = a * 1.5
        r = op(y, b)
        assert r is y
        return y * 2
    check(f, None, rnd(3, 4), pos(4))


@pytest.mark.parametrize("expr", [
    lambda y: y.pow_(2), lambda y: y.clamp_(-0.5, 0.5), lambda y: y.clamp_(min=0.0), lambda y: y.exp_(),
    lambda y: y.zero_(), lambda y: y.fill_(3.0), lambda y: y.sigmoid_(), lambda y: y.tanh_(),
    lambda y: y.relu_(), lambda y: y.abs_(), lambda y: y.neg_(), lambda y: y.square_(), lambda y: y.floor_(),
    lambda y: y.mul_(2).add_(1), lambda y: y.clip_(-0.1, 0.1), lambda y: y.__ipow__(3),
])
def test_inplace_unary_on_nonleaf(expr):
    def f(a):
        y = a + 0.25
        out = expr(y)
        assert out is y
        return y * a
    check(f, None, rnd(3, 4))


def test_copy_is_differentiable():
    def f(a, b):
        y = a * 2
        y.copy_(b)
        return y * a
    check(f, None, rnd(3, 4), rnd(4))


def test_inplace_integer_result_cast_error():
    x = ember.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.div_(2)
    tx = torch.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):
        tx.div_(2)


def test_inplace_version_counter_increments():
    x = ember.zeros(3)
    v = x._version
    x.add_(1)
    x.mul_(2)
    x[0] = 5
    assert x._version == v + 3
    assert x.tolist() == [5.0, 2.0, 2.0]


# -- gradcheck in float64 ------------------------------------------------------------------------
def _d(*shape, positive=False):
    arr = pos(*shape, dtype=np.float64) if positive else rnd(*shape, dtype=np.float64)
    return ember.tensor(arr, requires_grad=True)


@pytest.mark.parametrize("name", sorted(set(UNARY) - NO_GRADCHECK))
def test_gradcheck_unary(name):
    positive = UNARY[name] is pos
    assert ember.autograd.gradcheck(_fn(ember, name), (_d(2, 3, positive=positive),))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    a = _d(2, 3)
    b = ember.tensor(pos(3, dtype=np.float64) * np.array([1, -1, 1]), requires_grad=True)
    if name in ("remainder", "fmod"):  # keep away from the jumps
        a = ember.tensor(np.array([[0.3, 1.1, -0.4], [2.2, -1.3, 0.7]]), requires_grad=True)
        b = ember.tensor(np.array([0.9, -0.8, 0.65]), requires_grad=True)
    assert ember.autograd.gradcheck(BINARY[name](ember), (a, b))


def test_gradcheck_misc():
    gc = ember.autograd.gradcheck
    assert gc(lambda a, b: a ** b, (_d(2, 3, positive=True), _d(3)))
    assert gc(lambda a: a ** 3, (_d(4),))
    assert gc(lambda a: 2.0 ** a, (_d(4),))
    assert gc(lambda a: ember.clamp(a, -0.5, 0.5), (ember.tensor([-0.9, -0.2, 0.3, 0.8], dtype=ember.float64,
                                                                 requires_grad=True),))
    cond = ember.tensor([True, False, True])
    assert gc(lambda a, b: ember.where(cond, a, b), (_d(2, 3), _d(3)))
    assert gc(lambda a, b: ember.maximum(a, b), (_d(2, 3), _d(3)))
    assert gc(lambda a: a.square(), (_d(3),))
    assert gc(lambda a, b, c: ember.lerp(a, b, c), (_d(3), _d(3), _d(3)))


def test_gradcheck_composites_and_tensor_bounds():
    gc = ember.autograd.gradcheck
    assert gc(lambda a, lo, hi: ember.clamp(a, lo, hi), (_d(2, 3), _d(3) - 1.5, _d(2, 1) + 1.5))
    assert gc(ember.hypot, (_d(2, 3), _d(3)))
    assert gc(ember.xlogy, (_d(2, 3), _d(3, positive=True)))
    assert gc(lambda a, b, c: ember.addcdiv(a, b, c, value=0.5), (_d(3), _d(3), _d(3, positive=True)))
    assert gc(lambda a, b, c: ember.addcmul(a, b, c, value=2), (_d(3), _d(2, 3), _d(3)))
    assert gc(lambda a: ember.div(a, 2.0) - 3.0 / a, (_d(3, positive=True),))
    assert gc(lambda a, b: ember.minimum(a, b), (_d(2, 3), _d(3)))
    assert gc(lambda a: a.double() * a, (_d(3),))


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
