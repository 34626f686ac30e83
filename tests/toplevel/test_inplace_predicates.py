"""Top-level in-place forms (torch.abs_(x)), detach/fill/zero_, predicates and real-tensor identities."""
import numpy as np
import pytest
import torch

import ember
from tests.both import assert_same

UNARY = ["abs_", "ceil_", "exp_", "floor_", "log_", "neg_", "round_", "rsqrt_", "sigmoid_", "sqrt_", "tanh_",
         "trunc_", "frac_", "reciprocal_", "nan_to_num_", "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "sinh_",
         "cosh_", "asinh_", "erf_", "erfc_", "exp2_", "expm1_", "log10_", "log1p_", "log2_", "square_", "negative_",
         "fix_", "deg2rad_", "rad2deg_", "sinc_", "i0_", "logit_", "arctan_", "arcsinh_", "zero_", "detach_"]


@pytest.mark.parametrize("name", UNARY)
def test_top_level_in_place_unary(name):
    data = [0.3, 0.7, 0.2]

    def run(t):
        x = t.tensor(data)
        r = getattr(t, name)(x)
        assert r is x
        return x
    assert_same(run)


@pytest.mark.parametrize("call", [lambda t, x: t.clamp_(x, 0.25, 0.5), lambda t, x: t.clamp_min_(x, 0.4),
                                  lambda t, x: t.clamp_max_(x, 0.4), lambda t, x: t.clip_(x, max=0.5),
                                  lambda t, x: t.fill_(x, 2.5), lambda t, x: t.xlogy_(x, 2.0),
                                  lambda t, x: t.ldexp_(x, t.tensor([1.0, 2.0, 3.0]))])
def test_top_level_in_place_with_arguments(call):
    def run(t):
        x = t.tensor([0.1, 0.45, 0.9])
        assert call(t, x) is x
        return x
    assert_same(run)


def test_top_level_in_place_integer_ops():
    def run(t):
        x = t.tensor([4, 6, 9])
        t.gcd_(x, t.tensor([6, 4, 3]))
        y = t.tensor([4, 6, 9])
        t.lcm_(y, t.tensor([6, 4, 3]))
        return x, y
    assert_same(run)


def test_top_level_in_place_keeps_autograd_rules():
    for m in (torch, ember):
        leaf = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            m.exp_(leaf)
        y = leaf * 2
        v = y._version
        m.exp_(y)
        assert y._version > v
        y.sum().backward()
        np.testing.assert_allclose(leaf.grad.numpy(), 2 * np.exp(2.0) * np.ones(2), rtol=1e-6)


def test_detach_and_fill():
    for m in (torch, ember):
        x = m.ones(2, requires_grad=True)
        d = m.detach(x)
        assert not d.requires_grad and d.grad_fn is None
        f = m.fill(x * 1, 3.0)
        assert f.tolist() == [3.0, 3.0] and f.requires_grad
        f.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]
    assert_same(lambda t: t.fill(t.ones(2, dtype=t.int64), 2.7))
    assert_same(lambda t: t.fill(t.ones(2), t.tensor(5.0)))
    assert_same(lambda t: t.fill(t.ones(2), t.tensor([5.0, 1.0])), error=RuntimeError)


@pytest.mark.parametrize("data", [[], [1, 2], [0.0], 3, 0, [[1.5]], [False]])
def test_is_nonzero(data):
    assert_same(lambda t: t.is_nonzero(t.tensor(data)))
    if not isinstance(data, list) or len(data) == 1:
        assert_same(lambda t: t.tensor(data).is_nonzero())


def test_predicates():
    assert_same(lambda t: [t.is_same_size(t.ones(2), t.ones(2, 1)), t.is_same_size(t.ones(2), t.zeros(2))])
    for dt in ("uint8", "int8", "int64", "float32", "bool", "float16"):
        assert_same(lambda t: [t.is_signed(t.ones(2, dtype=getattr(t, dt))), t.ones(1, dtype=getattr(t, dt)).is_signed()])
    assert_same(lambda t: [t.is_complex(t.ones(2)), t.is_conj(t.ones(2)), t.is_neg(t.ones(2)),
                           t.ones(2).is_complex(), t.ones(2).is_conj(), t.ones(2).is_neg()])


@pytest.mark.parametrize("name", ["conj", "resolve_conj", "resolve_neg", "conj_physical"])
def test_real_identities_return_the_input(name):
    for m in (torch, ember):
        x = m.ones(2, requires_grad=True)
        assert getattr(m, name)(x) is x
        assert getattr(x, name)() is x
