"""Second derivatives of the elementwise ops (arithmetic, math functions, clamp/where, fill, dtype
casts) against PyTorch (first derivatives with create_graph=True, then Hessian-vector products),
and gradgradcheck in float64; third derivatives of a few of them; dtypes kept in float32.

Inputs stay inside each function's domain and away from kinks and jumps (clamp bounds, ties of
maximum, the jumps of remainder), where finite differences are meaningless. Piecewise-linear ops
are also checked squared (``f(x) * f(x)``): alone their second derivative is zero, squared it checks
that their first derivative still carries the graph of the incoming gradient.
"""
import numpy as np
import pytest
import torch

import ember
from tests.autograd.second_order import check_second_order


def _a(*shape, lo=-1.5, hi=1.5, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


X = _a(2, 3)                       # anywhere
POS = _a(2, 3, lo=0.3, hi=2.0)     # log, sqrt, ... and pow's base
UNIT = _a(2, 3, lo=-0.9, hi=0.9)   # asin, acos


# name: (ember function, torch function, input); each function takes the input tensor
UNARY = {
    "exp": (ember.exp, torch.exp, X),
    "exp2": (ember.exp2, torch.exp2, X),
    "log": (ember.log, torch.log, POS),
    "log2": (ember.log2, torch.log2, POS),
    "log10": (ember.log10, torch.log10, POS),
    "log1p": (ember.log1p, torch.log1p, POS - 0.25),
    "expm1": (ember.expm1, torch.expm1, X),
    "sqrt": (ember.sqrt, torch.sqrt, POS),
    "rsqrt": (ember.rsqrt, torch.rsqrt, POS),
    "sin": (ember.sin, torch.sin, X),
    "cos": (ember.cos, torch.cos, X),
    "tan": (ember.tan, torch.tan, UNIT),
    "asin": (ember.asin, torch.asin, UNIT),
    "acos": (ember.acos, torch.acos, UNIT),
    "atan": (ember.atan, torch.atan, X),
    "sinh": (ember.sinh, torch.sinh, X),
    "cosh": (ember.cosh, torch.cosh, X),
    "tanh": (ember.tanh, torch.tanh, X),
    "sigmoid": (ember.sigmoid, torch.sigmoid, X),
    "reciprocal": (ember.reciprocal, torch.reciprocal, POS),
    "erf": (ember.erf, torch.erf, X),
    "abs": (ember.abs, lambda x: torch.where(x >= 0, x, -x), X),  # torch.abs's second derivative is a ZeroTensor
    "square": (ember.square, torch.square, X),
    "neg": (ember.neg, torch.neg, X),
    "frac": (ember.frac, torch.frac, X),
    "nan_to_num": (ember.nan_to_num, torch.nan_to_num, X),
    "pow_2": (lambda x: x ** 2, lambda x: x ** 2, X),
    "pow_3": (lambda x: x ** 3, lambda x: x ** 3, X),
    "pow_0": (lambda x: x ** 0, lambda x: x ** 0, X),
    "pow_half": (lambda x: x ** 0.5, lambda x: x ** 0.5, POS),
    "pow_neg": (lambda x: x ** -1.5, lambda x: x ** -1.5, POS),
    "pow_scalar_base": (lambda x: 2.5 ** x, lambda x: 2.5 ** x, X),
    "pow_fn": (lambda x: ember.pow(x, 3.5), lambda x: torch.pow(x, 3.5), POS),
    "float_power": (lambda x: ember.float_power(x, 2.5), lambda x: torch.float_power(x, 2.5), POS),
    "float_power_base": (lambda x: ember.float_power(1.5, x), lambda x: torch.float_power(1.5, x), X),
    "clamp": (lambda x: ember.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), X),
    "clamp_min": (lambda x: ember.clamp(x, min=-0.5), lambda x: torch.clamp(x, min=-0.5), X),
    "clamp_max": (lambda x: ember.clamp(x, max=0.7), lambda x: torch.clamp(x, max=0.7), X),
    "clip": (lambda x: ember.clip(x, -0.5, 0.7), lambda x: torch.clip(x, -0.5, 0.7), X),
    "floor": (ember.floor, torch.floor, X),
    "ceil": (ember.ceil, torch.ceil, X),
    "round": (ember.round, torch.round, X),
    "trunc": (ember.trunc, torch.trunc, X),
    "sign": (ember.sign, torch.sign, X),
}
# piecewise linear (or constant): the second derivative alone is zero, so they are checked squared too
PIECEWISE = ["abs", "frac", "nan_to_num", "clamp", "clamp_min", "clamp_max", "clip", "floor", "ceil", "round",
             "trunc", "sign", "neg"]


@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name):
    fe, ft, x = UNARY[name]
    check_second_order(fe, ft, x)


@pytest.mark.parametrize("name", PIECEWISE)
def test_unary_squared(name):
    fe, ft, x = UNARY[name]
    check_second_order(lambda t: fe(t) * fe(t) * t, lambda t: ft(t) * ft(t) * t, x)


# remainder/fmod: a / b stays away from integers (the jumps)
A_MOD = np.array([[2.3, -3.1, 5.4], [0.7, -0.4, 4.6]])
B_MOD = np.array([[1.7, 1.3, -2.1], [0.9, 1.1, 1.9]])

# name: (ember function, torch function, inputs)
BINARY = {
    "add": (lambda a, b: ember.add(a, b, alpha=2.0), lambda a, b: torch.add(a, b, alpha=2.0), (X, POS)),
    "sub": (lambda a, b: ember.sub(a, b, alpha=0.5), lambda a, b: torch.sub(a, b, alpha=0.5), (X, POS)),
    "mul": (ember.mul, torch.mul, (X, POS)),
    "div": (ember.div, torch.div, (X, POS)),
    "pow": (ember.pow, torch.pow, (POS, X)),
    "pow_broadcast": (ember.pow, torch.pow, (POS, X[0])),
    "float_power": (ember.float_power, torch.float_power, (POS, X)),
    "remainder": (ember.remainder, torch.remainder, (A_MOD, B_MOD)),
    "remainder_scalar": (lambda a, b: ember.remainder(a, 1.7) * b, lambda a, b: torch.remainder(a, 1.7) * b,
                         (A_MOD, B_MOD)),
    "fmod": (ember.fmod, torch.fmod, (A_MOD, B_MOD)),
    "atan2": (ember.atan2, torch.atan2, (X, POS - 1.1)),
    "hypot": (ember.hypot, torch.hypot, (X, POS)),
    "xlogy": (ember.xlogy, torch.xlogy, (X, POS)),
    "maximum": (ember.maximum, torch.maximum, (X, _a(2, 3, seed=1))),
    "minimum": (ember.minimum, torch.minimum, (X, _a(2, 3, seed=1))),
    "fmax": (ember.fmax, torch.fmax, (X, _a(2, 3, seed=1))),
    "fmin": (ember.fmin, torch.fmin, (X, _a(2, 3, seed=1))),
    "maximum_sq": (lambda a, b: ember.maximum(a * a, b) * b, lambda a, b: torch.maximum(a * a, b) * b,
                   (X, _a(2, 3, seed=1))),
    "minimum_sq": (lambda a, b: ember.minimum(a, b * b) * a, lambda a, b: torch.minimum(a, b * b) * a,
                   (X, _a(2, 3, seed=1))),
    "where": (lambda a, b: ember.where(a > b, a * a, b * a), lambda a, b: torch.where(a > b, a * a, b * a),
              (X, _a(2, 3, seed=1))),
    "where_broadcast": (lambda a, b: ember.where(a > 0, a.sin(), b * b), lambda a, b: torch.where(a > 0, a.sin(), b * b),
                        (X, _a(3, seed=1))),
    "lerp_scalar": (lambda a, b: ember.lerp(a * a, b, 0.3), lambda a, b: torch.lerp(a * a, b, 0.3), (X, POS)),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary(name):
    fe, ft, arrays = BINARY[name]
    check_second_order(fe, ft, *arrays)


# name: (ember function, torch function, inputs)
TERNARY = {
    "lerp": (ember.lerp, torch.lerp, (X, POS, _a(2, 3, lo=0, hi=1, seed=2))),
    "addcmul": (lambda a, b, c: ember.addcmul(a, b, c, value=0.5), lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
                (X, POS, _a(2, 3, seed=2))),
    "addcdiv": (lambda a, b, c: ember.addcdiv(a, b, c, value=0.5), lambda a, b, c: torch.addcdiv(a, b, c, value=0.5),
                (X, _a(2, 3, seed=2), POS)),
    "clamp_tensor": (lambda x, lo, hi: ember.clamp(x * x, lo, hi) * x, lambda x, lo, hi: torch.clamp(x * x, lo, hi) * x,
                     (X, _a(2, 3, lo=0, hi=0.5, seed=3), _a(2, 3, lo=0.6, hi=1.5, seed=4))),
}


@pytest.mark.parametrize("name", list(TERNARY))
def test_ternary(name):
    fe, ft, arrays = TERNARY[name]
    check_second_order(fe, ft, *arrays)


def test_clamp_tensor_bound_one_side():
    lo = _a(2, 3, lo=-0.5, hi=0.5, seed=3)
    check_second_order(lambda x, m: ember.clamp(x, min=m) ** 2, lambda x, m: torch.clamp(x, min=m) ** 2, X, lo)
    check_second_order(lambda x, m: ember.clamp(x, max=m) ** 2, lambda x, m: torch.clamp(x, max=m) ** 2, X, lo)


def test_nan_to_num_non_finite():
    """The gradient passes only where the input is finite (gradgradcheck cannot perturb inf)."""
    x = np.array([[1.5, np.nan, -0.5], [np.inf, 2.0, -np.inf]])
    check_second_order(lambda t: ember.nan_to_num(t, posinf=3.0) ** 3, lambda t: torch.nan_to_num(t, posinf=3.0) ** 3,
                       x, gradgrad=False)


def test_to_dtype():
    """A cast to float32 and back: the second derivative flows through both casts (ToCopyBackward)."""
    check_second_order(lambda t: t.to(ember.float32).sin().to(ember.float64) * t,
                       lambda t: t.to(torch.float32).sin().to(torch.float64) * t, X, atol=1e-5, gradgrad=False)
    check_second_order(lambda t: t.double() ** 3, lambda t: t.double() ** 3, X)


def test_fill_and_zero():
    """``fill_``/``zero_`` on a non-leaf: the overwritten values contribute nothing, at any order."""
    def f(lib):
        def fn(t):
            y = t * t
            z = t.cos()
            return y.fill_(2.0) * t * t + z.zero_() + t.sin() * t
        return fn
    check_second_order(f(ember), f(torch), X)


# -- third derivatives ----------------------------------------------------------------------------
def _third(lib, fn, x):
    t = (ember if lib is ember else torch).tensor(x, dtype=lib.float64, requires_grad=True)
    g1, = lib.autograd.grad(fn(t).sum(), t, create_graph=True)
    g2, = lib.autograd.grad(g1.sum(), t, create_graph=True)
    g3, = lib.autograd.grad(g2.sum(), t)
    return [g.detach().numpy() for g in (g1, g2, g3)]


THIRD = {
    "sin": (ember.sin, torch.sin, X),
    "exp": (ember.exp, torch.exp, X),
    "tanh": (ember.tanh, torch.tanh, X),
    "sigmoid": (ember.sigmoid, torch.sigmoid, X),
    "log": (ember.log, torch.log, POS),
    "erf": (ember.erf, torch.erf, X),
    "pow": (lambda x: x ** 3.5, lambda x: x ** 3.5, POS),
    "atan2": (lambda x: ember.atan2(x, x * x + 1), lambda x: torch.atan2(x, x * x + 1), X),
}


@pytest.mark.parametrize("name", list(THIRD))
def test_third_derivative(name):
    fe, ft, x = THIRD[name]
    for k, (e, t) in enumerate(zip(_third(ember, fe, x), _third(torch, ft, x))):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-9, err_msg=f"derivative {k + 1}")


# -- float32 stays float32 -------------------------------------------------------------------------
FLOAT32 = {
    "exp2": lambda x: ember.exp2(x), "log2": lambda x: ember.log2(x.abs() + 1), "log10": lambda x: ember.log10(x * x + 1),
    "erf": ember.erf, "rsqrt": lambda x: ember.rsqrt(x * x + 1), "pow": lambda x: x ** 2.5 + 1.5 ** x,
    "maximum": lambda x: ember.maximum(x, x.sin()), "clamp": lambda x: ember.clamp(x, -0.5, 0.5) * x,
    "where": lambda x: ember.where(x > 0, x, x * x), "atan2": lambda x: ember.atan2(x, x.cos()),
    "xlogy": lambda x: ember.xlogy(x, x * x + 1), "remainder": lambda x: ember.remainder(x, x.cos() + 2),
}


@pytest.mark.parametrize("name", list(FLOAT32))
def test_float32_kept(name):
    x = ember.tensor(_a(2, 3).astype(np.float32), requires_grad=True)
    g, = ember.autograd.grad(FLOAT32[name](x).sum(), x, create_graph=True)
    h, = ember.autograd.grad(g.sum(), x, allow_unused=True)
    assert g.dtype == ember.float32
    assert h is None or h.dtype == ember.float32


def test_extremum_nan_gradient():
    """A NaN passes the whole gradient to both inputs of maximum/minimum; ties share it (as torch)."""
    a = np.array([1.0, np.nan, 2.0, 3.0, 0.5])
    b = np.array([1.0, 1.0, np.nan, 4.0, 0.2])
    for name in ["maximum", "minimum"]:
        got, want = [], []
        for lib, out in ((ember, got), (torch, want)):
            ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            getattr(lib, name)(ta, tb).sum().backward()
            out += [ta.grad.numpy(), tb.grad.numpy()]
        np.testing.assert_array_equal(got, want, err_msg=name)
