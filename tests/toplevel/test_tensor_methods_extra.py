"""Tensor methods PyTorch has that a learner meets: unfold, mH/adjoint, itemsize/nbytes, predicates,
sum_to_size, new, shifts, in-place comparisons/logical/bitwise/shape forms, apply_/map_."""
import numpy as np
import pytest
import torch

import ember
from tests.autograd.second_order import check_second_order
from tests.both import assert_same
from tests.toplevel._grads import check

R = np.random.default_rng(2)


@pytest.mark.parametrize("shape,args", [((7,), (0, 3, 2)), ((7,), (0, 2, 3)), ((3, 8), (1, 4, 1)),
                                        ((2, 6, 3), (1, 2, 2)), ((2, 6, 3), (-2, 6, 1)), ((4, 5), (0, 1, 1)),
                                        ((5,), (0, 0, 1))])
def test_unfold_values_and_gradients(shape, args):
    check(lambda t, x: x.unfold(*args), R.standard_normal(shape), tol=1e-12)
    check(lambda t, x: x.unfold(*args), R.standard_normal(shape).astype(np.float32))


def test_unfold_twice_differentiable_against_torch():
    check_second_order(lambda x: (x.unfold(1, 3, 2) ** 3).sum(), lambda x: (x.unfold(1, 3, 2) ** 3).sum(),
                       R.standard_normal((2, 7)))


def test_unfold_errors_and_0d():
    assert_same(lambda t: t.ones(3).unfold(0, 4, 1), error=RuntimeError)
    assert_same(lambda t: t.ones(3).unfold(0, 2, 0), error=RuntimeError)
    assert_same(lambda t: t.tensor(2.0).unfold(0, 1, 1))
    assert_same(lambda t: t.arange(10).unfold(0, 3, 3))


def test_unfold_is_a_view_of_its_input():
    x = ember.arange(6.0)
    u = x.unfold(0, 2, 2)
    x[0] = 9.0
    assert u[0, 0].item() == 9.0


def test_matrix_views_and_sizes():
    assert_same(lambda t: [t.ones(2, 3).mH, t.ones(4, 2, 3).adjoint(), t.ones(2, 3, dtype=t.float64).mH])
    for dt in ("float32", "float64", "int8", "int64", "bool", "float16"):
        assert_same(lambda t: [t.ones(3, 2, dtype=getattr(t, dt)).itemsize, t.ones(3, 2, dtype=getattr(t, dt)).nbytes])
    assert ember.ones(2).is_cpu is True
    assert_same(lambda t: [t.ones(3)[1:].storage_offset(), t.ones(3, 4)[1:, 2:].storage_offset(),
                           t.ones(3, 4).t()[1].storage_offset(), t.ones(2).storage_offset()])


@pytest.mark.parametrize("size", [(1, 3), (3,), (2, 3), (1, 1), (2, 1)])
def test_sum_to_size(size):
    check(lambda t, x: x.sum_to_size(*size), R.standard_normal((2, 3)), tol=1e-12)
    check(lambda t, x: x.sum_to_size(size), R.standard_normal((2, 3)), tol=1e-12)


def test_sum_to_size_error():
    assert_same(lambda t: t.ones(2, 3).sum_to_size(4), error=RuntimeError)
    assert_same(lambda t: t.ones(2, 3).sum_to_size(1, 2, 3))


def test_legacy_new_and_char():
    assert_same(lambda t: [t.ones(2, dtype=t.float64).new(2, 3).shape, t.ones(2).new().shape,
                           t.ones(2, dtype=t.int64).new([1, 2]), t.ones(2, dtype=t.float64).new([1, 2])])
    assert_same(lambda t: t.tensor([1.7, -2.2, 300.0]).char())


def test_hardshrink_frexp_matrix_exp_methods():
    check(lambda t, x: x.hardshrink(0.3), R.standard_normal((3, 4)), tol=1e-12)
    assert_same(lambda t: t.tensor([8.0, 0.3]).frexp())


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8"])
def test_bit_shifts(dtype):
    def run(t):
        d = getattr(t, dtype)
        x = t.tensor([1, 2, 3, 100], dtype=d)
        s = t.tensor([0, 1, 7, 9], dtype=d)
        return [x << 1, x >> 1, x.bitwise_left_shift(s), x.bitwise_right_shift(s), t.bitwise_left_shift(x, 2),
                t.bitwise_right_shift(x, 65), 1 << t.tensor([1, 2], dtype=d)]
    assert_same(run)


def test_bit_shifts_of_negatives_and_in_place():
    def run(t):
        x = t.tensor([-8, -1, 5])
        y = t.tensor([-8, -1, 5])
        y <<= 2
        z = t.tensor([-8, -1, 5])
        z.bitwise_right_shift_(1)
        return [x >> 1, x >> 70, x << 64, y, z]
    assert_same(run)
    assert_same(lambda t: t.tensor([1.0, 2.0]) << 1, error=NotImplementedError)


COMPARE = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_", "greater_equal_", "less_equal_",
           "not_equal_"]


@pytest.mark.parametrize("name", COMPARE)
def test_in_place_comparisons(name):
    def run(t):
        x = t.tensor([1.0, 2.0, 3.0])
        assert getattr(x, name)(2.0) is x
        y = t.tensor([1, 2, 3])
        getattr(y, name)(t.tensor([2, 2, 2]))
        return x, y
    assert_same(run)


@pytest.mark.parametrize("name", ["logical_and_", "logical_or_", "logical_xor_", "bitwise_and_", "bitwise_or_",
                                  "bitwise_xor_"])
def test_in_place_logical_and_bitwise(name):
    def run(t):
        x = t.tensor([0, 1, 2, 3])
        getattr(x, name)(t.tensor([1, 1, 0, 2]))
        return x
    assert_same(run)
    if name.startswith("logical"):
        def run_float(t):
            x = t.tensor([0.0, 1.5, 2.0])
            getattr(x, name)(t.tensor([1.0, 0.0, 3.0]))
            return x
        assert_same(run_float)


def test_in_place_not_and_operators():
    def run(t):
        a = t.tensor([0.0, 2.0])
        a.logical_not_()
        b = t.tensor([1, 6])
        b.bitwise_not_()
        c = t.tensor([1, 6])
        c &= t.tensor([3, 3])
        d = t.tensor([1, 6])
        d |= 8
        e = t.tensor([True, False])
        e ^= t.tensor([True, True])
        return a, b, c, d, e
    assert_same(run)


def test_in_place_comparison_autograd():
    for m in (torch, ember):
        leaf = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf.eq_(1.0)
        y = leaf * 2
        v = y._version
        y.lt_(3.0)
        assert y._version > v and y.requires_grad
        (y * leaf).sum().backward()
        assert leaf.grad.tolist() == [1.0, 1.0, 1.0]       # d(y * leaf)/d leaf with y constant


@pytest.mark.parametrize("call", [lambda x: x.cumsum_(0), lambda x: x.cumprod_(1), lambda x: x.tril_(),
                                  lambda x: x.triu_(1), lambda x: x.hypot_(x * 0 + 2.0), lambda x: x.fill_diagonal_(5.0),
                                  lambda x: x.addmm_(x.detach() * 2, x.detach().t().clone(), beta=0.5)])
def test_in_place_forms_with_gradients(call):
    def fn(t, a):
        y = a * 1.0
        out = call(y)
        assert out is y
        return y
    check(fn, R.standard_normal((3, 3)), tol=1e-12)


def test_sgn_in_place():
    def run(t):
        x = t.tensor([-2.0, 0.0, 3.0])
        assert x.sgn_() is x
        return x
    assert_same(run)


def test_float_power_in_place_needs_double():
    def run(t):
        x = t.tensor([2.0, 3.0], dtype=t.float64)
        x.float_power_(2)
        return x
    assert_same(run)
    assert_same(lambda t: t.tensor([2.0, 3.0]).float_power_(2), error=RuntimeError)


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((5, 2), True), ((5, 2), False), ((2, 5), False),
                                        ((3, 3, 3), False)])
def test_fill_diagonal(shape, wrap):
    assert_same(lambda t: t.zeros(*shape).fill_diagonal_(2.0, wrap=wrap))
    assert_same(lambda t: t.zeros(*shape, dtype=t.int64).fill_diagonal_(7, wrap))


def test_fill_diagonal_errors():
    assert_same(lambda t: t.zeros(3).fill_diagonal_(1.0), error=RuntimeError)
    assert_same(lambda t: t.zeros(2, 3, 3).fill_diagonal_(1.0), error=RuntimeError)


@pytest.mark.parametrize("call", [lambda x: x.squeeze_(), lambda x: x.squeeze_(0), lambda x: x.unsqueeze_(1),
                                  lambda x: x.t_(), lambda x: x.transpose_(0, 1), lambda x: x.swapdims_(0, 1),
                                  lambda x: x.swapaxes_(1, 0)])
def test_shape_changing_in_place_forms(call):
    def fn(t, a):
        y = a * 1.0
        y = y[None] if call.__code__.co_names[0] == "squeeze_" else y
        v = y._version
        out = call(y)
        assert out is y and y._version == v + 1
        return y * 2
    check(fn, R.standard_normal((1, 3) if True else None), tol=1e-12)
    for m in (torch, ember):
        with pytest.raises(RuntimeError, match="leaf"):
            call(m.ones(1, 3, requires_grad=True))


def test_apply_and_map():
    def run(t):
        m = t.tensor([1.0, 2.0])
        m.apply_(lambda v: v * 3)
        m.map_(t.tensor([1.0, 1.0]), lambda a, b: a + b)
        q = t.tensor([[1.0, 2.0], [3.0, 4.0]])
        q.map2_(t.tensor([1.0, 1.0]), t.tensor([[2.0], [3.0]]), lambda a, b, c: a + b * c)
        i = t.tensor([1, 2])
        i.apply_(lambda v: v * 10)
        return m, q, i
    assert_same(run)
    assert_same(lambda t: t.ones(2, requires_grad=True).apply_(lambda v: v), error=RuntimeError)


def test_share_memory_and_pin_memory():
    for m in (torch, ember):
        y = m.ones(2)
        assert y.share_memory_() is y
        assert y.is_pinned() is False
    assert_same(lambda t: t.ones(2).pin_memory(), error=RuntimeError)
