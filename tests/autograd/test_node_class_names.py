"""A built-in op's grad_fn class prints as PyTorch's (``<class 'AddBackward0'>``: no module path),
so tutorials printing ``type(y.grad_fn)`` show the same line; a user's ``autograd.Function`` keeps
its own module path, as in PyTorch."""
import torch

import ember


def test_builtin_node_class_repr_matches_torch():
    for m in (torch, ember):
        x = m.ones(2, requires_grad=True)
        y = (x + 2) * 3
        assert repr(type(y.grad_fn)) == "<class 'MulBackward0'>"
        assert repr(type(y.grad_fn.next_functions[0][0])) == "<class 'AddBackward0'>"
        assert type(y.sum().grad_fn).__name__ == "SumBackward0"


def test_custom_function_node_keeps_its_module():
    class Twice(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Twice.apply(ember.ones(1, requires_grad=True))
    assert type(y.grad_fn).__name__ == "TwiceBackward"
    assert type(y.grad_fn).__module__ != "builtins"
