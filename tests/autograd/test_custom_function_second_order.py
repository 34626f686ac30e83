"""A custom ``autograd.Function`` that saves its own output differentiates twice as PyTorch's does:
under ``create_graph=True`` the saved output unpacks as the output itself (with this node as its
grad_fn), not as a constant; saved inputs unpack as the inputs."""
import numpy as np
import torch

import ember


def _second_derivatives(L):
    class MyExp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    class MyMul(L.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

    x = L.tensor([0.5, 1.0, -0.3], requires_grad=True)
    w = L.tensor([2.0, -1.0, 0.7], requires_grad=True)
    y = MyMul.apply(MyExp.apply(x * 2), w).sum()
    gx, gw = L.autograd.grad(y, (x, w), create_graph=True)
    hx, hw = L.autograd.grad((gx ** 2).sum() + gw.sum(), (x, w))
    return [t.detach().numpy() for t in (gx, gw, hx, hw)]


def test_saved_output_is_differentiated_through():
    for got, want in zip(_second_derivatives(ember), _second_derivatives(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_first_order_backward_still_sees_plain_saved_tensors():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            assert not x.requires_grad or x.grad_fn is None   # the leaf itself, no new graph
            return 2 * x * g

    x = ember.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0
