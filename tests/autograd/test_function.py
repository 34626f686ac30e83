"""Custom ``ember.autograd.Function``: tensor-in/tensor-out like PyTorch's."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close


def _lib_square(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 2 * x * grad
    return Square


def test_square_matches_torch():
    arr = np.array([1.0, -2.0, 0.5], np.float32)
    e = ember.tensor(arr, requires_grad=True)
    t = torch.tensor(arr, requires_grad=True)
    ye, yt = _lib_square(ember).apply(e), _lib_square(torch).apply(t)
    assert_close(ye, yt)
    assert ye.grad_fn.name() == "SquareBackward" == type(yt.grad_fn).__name__
    (ye * 3).sum().backward()
    (yt * 3).sum().backward()
    assert_close(e.grad, t.grad)


def test_forward_gets_tensors_and_runs_without_grad():
    seen = {}

    class Probe(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            seen["type"] = type(x)
            seen["grad_enabled"] = ember.is_grad_enabled()
            ctx.scale = scale
            return x * scale

        @staticmethod
        def backward(ctx, grad):
            seen["grad_type"] = type(grad)
            return grad * ctx.scale, None

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = Probe.apply(x, 3.0)
    assert seen["type"] is ember.Tensor and seen["grad_enabled"] is False
    assert y.requires_grad and ember.is_grad_enabled()
    y.sum().backward()
    assert seen["grad_type"] is ember.Tensor and x.grad.tolist() == [3.0, 3.0]


def test_needs_input_grad_and_two_inputs():
    flags = []

    class MulAdd(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            ctx.save_for_backward(a, b)
            return a * b + c

        @staticmethod
        def backward(ctx, grad):
            flags.append(ctx.needs_input_grad)
            a, b = ctx.saved_tensors
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None,
                    grad if ctx.needs_input_grad[2] else None)

    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0])
    c = ember.tensor([0.5, 0.5], requires_grad=True)
    MulAdd.apply(a, b, c).sum().backward()
    assert flags == [(True, False, True)]
    assert a.grad.tolist() == [3.0, 4.0] and c.grad.tolist() == [1.0, 1.0] and b.grad is None


def test_multiple_outputs_and_non_differentiable():
    class SplitMax(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.save_for_backward(x)
            ctx.mark_non_differentiable(idx)
            return x * 2, x.exp(), idx

        @staticmethod
        def backward(ctx, g_double, g_exp, g_idx):
            x, = ctx.saved_tensors
            return 2 * g_double + x.exp() * g_exp

    x = ember.tensor([0.5, 1.5], requires_grad=True)
    d, e, i = SplitMax.apply(x)
    assert not i.requires_grad and i.item() == 1
    e.sum().backward()  # g_double is materialised as zeros
    np.testing.assert_allclose(x.grad._data, np.exp([0.5, 1.5]), rtol=1e-6)


def test_no_record_without_requires_grad_or_under_no_grad():
    Square = _lib_square(ember)
    y = Square.apply(ember.tensor([2.0]))
    assert not y.requires_grad and y.grad_fn is None
    with ember.no_grad():
        z = Square.apply(ember.tensor([2.0], requires_grad=True))
    assert not z.requires_grad


def test_custom_function_gradcheck():
    Square = _lib_square(ember)
    x = ember.tensor([0.3, -1.2, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(Square.apply, (x,))


def test_backward_returning_wrong_number_is_tolerated_for_non_tensors():
    class Scale(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k   # no entry for k, as torch allows for trailing non-tensors

    x = ember.tensor([1.0], requires_grad=True)
    Scale.apply(x, 4).sum().backward()
    assert x.grad.tolist() == [4.0]


def test_saved_tensor_modified_in_place_errors():
    Square = _lib_square(ember)
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Square.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_custom_function_in_a_chain_with_ops_and_hooks():
    Square = _lib_square(ember)
    arr = np.array([0.5, -1.0], np.float32)
    e = ember.tensor(arr, requires_grad=True)
    t = torch.tensor(arr, requires_grad=True)
    (Square.apply(e.sin()) * e).exp().sum().backward()
    (_lib_square(torch).apply(t.sin()) * t).exp().sum().backward()
    assert_close(e.grad, t.grad)


def test_freed_graph_for_custom_function():
    Square = _lib_square(ember)
    x = ember.tensor([1.0], requires_grad=True)
    y = Square.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
