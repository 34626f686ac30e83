"""ember.autograd.gradcheck: passes on correct gradients, fails on wrong ones."""
import numpy as np
import pytest

import ember
from ember.autograd import Op, gradcheck


def _d(*shape, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


class WrongSin(Op):
    """sin with a deliberately wrong derivative (+cos instead of cos... scaled)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * np.cos(a) * 1.01


class WrongBroadcastMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * b  # second one should be grad * a


def test_passes_on_correct_ops():
    assert gradcheck(lambda a, b: (a * b).sin() + a.exp() / (b * b + 1), (_d(2, 3), _d(3, seed=1)))
    assert gradcheck(ember.tanh, _d(4))


def test_fails_on_wrong_backward():
    with pytest.raises(ember.autograd.GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongSin.apply, (_d(3),))
    assert gradcheck(WrongSin.apply, (_d(3),), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="input 1"):
        gradcheck(WrongBroadcastMul.apply, (_d(2, 3), _d(3, seed=2)))


def test_fails_on_wrong_custom_function():
    class BadCube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 2 * x * x * grad

    assert not gradcheck(BadCube.apply, (_d(3),), raise_exception=False)


def test_multiple_outputs_and_non_tensor_args():
    assert gradcheck(lambda x, k: (x * k, x.exp()), (_d(3), 2.5))
    assert gradcheck(lambda x: x.max(1), (ember.tensor([[1.0, 3.0], [2.0, -1.0]], dtype=ember.float64,
                                                      requires_grad=True),))


def test_only_inputs_requiring_grad_are_checked():
    fixed = ember.tensor(np.array([1.0, 2.0]))
    assert gradcheck(lambda a, b: a * b, (_d(2), fixed))


def test_warns_on_float32():
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda a: a * 2, (x,), raise_exception=False)


def test_tolerances_and_eps_arguments():
    x = _d(3)
    assert gradcheck(WrongSin.apply, (x,), atol=0.1, rtol=0.1)
    assert gradcheck(ember.exp, (x,), eps=1e-4, atol=1e-4, rtol=1e-3)


def test_inputs_unchanged_after_check():
    x = _d(4)
    before = x._data.copy()
    gradcheck(lambda a: a.sin(), (x,))
    np.testing.assert_array_equal(x._data, before)
    assert x.grad is None


def test_non_contiguous_and_0d_inputs():
    x = ember.tensor(np.random.default_rng(4).standard_normal((3, 2))).t().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda a: (a * a).sum(1), (x,))
    assert gradcheck(lambda a: a.exp() * 3, (ember.tensor(0.7, dtype=ember.float64, requires_grad=True),))
    assert not gradcheck(WrongSin.apply, (x,), raise_exception=False)
