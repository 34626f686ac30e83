"""A tensor hook's result is checked as PyTorch does: a non-Tensor is a TypeError, a changed size
or dtype a RuntimeError naming the hook; None or a matching Tensor replaces the gradient."""
import numpy as np
import pytest

from tests.both import assert_same

RESULTS = {
    "wrong shape": (lambda t, g: t.zeros(5), RuntimeError),
    "broadcastable shape": (lambda t, g: t.zeros(1), RuntimeError),
    "str": (lambda t, g: "abc", TypeError),
    "ndarray": (lambda t, g: np.zeros(3, np.float32), TypeError),
    "list": (lambda t, g: [1.0, 2.0, 3.0], TypeError),
    "float": (lambda t, g: 1.0, TypeError),
    "float64": (lambda t, g: g.double(), RuntimeError),
    "int64": (lambda t, g: g.long(), RuntimeError),
    "doubled": (lambda t, g: g * 2, None),
    "None": (lambda t, g: None, None),
}


def _backward_through_hook(result, leaf):
    def f(t):
        x = t.ones(3, requires_grad=True)

        def my_hook(g):
            return result(t, g)
        if leaf:
            x.register_hook(my_hook)
            (x * 2).sum().backward()
        else:
            y = x * 2
            y.register_hook(my_hook)
            (y * 3).sum().backward()
        return x.grad
    return f


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "non-leaf"])
@pytest.mark.parametrize("name", list(RESULTS))
def test_hook_result(name, leaf):
    result, error = RESULTS[name]
    err = assert_same(_backward_through_hook(result, leaf), error=error)
    if error is not None:
        assert "hook" in str(err)
    if error is RuntimeError:
        assert "my_hook" in str(err)
