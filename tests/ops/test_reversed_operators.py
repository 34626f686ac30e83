"""``number - tensor`` and ``number / tensor`` as PyTorch computes them: ``rsub`` (grad_fn
``RsubBackward1``) and ``tensor.reciprocal() * number`` (its rounding, grad_fn ``MulBackward0``,
``ReciprocalBackward0``'s ``-g * (out * out)``), compared bit for bit with torch."""
import numpy as np
import pytest
import torch

import ember

X = np.random.default_rng(0).random(20000).astype(np.float32) + 0.05


def _pair(requires_grad=False):
    return (torch.tensor(X, requires_grad=requires_grad), ember.tensor(X, requires_grad=requires_grad))


@pytest.mark.parametrize("number", [3, 0.1, 7.3, 1, np.float32(2.9)])
def test_number_over_tensor_rounds_as_torch(number):
    t, e = _pair()
    np.testing.assert_array_equal((number / e).numpy(), (number / t).numpy())   # bitwise, not close


def test_number_over_tensor_gradient_and_name():
    t, e = _pair(requires_grad=True)
    rt, re = 3.7 / t, 3.7 / e
    assert type(re.grad_fn).__name__ == type(rt.grad_fn).__name__ == "MulBackward0"
    rt.sum().backward()
    re.sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_number_over_int_tensor():
    t, e = torch.arange(1, 9), ember.arange(1, 9)
    r = 3 / e
    assert r.dtype == ember.float32 and (3 / t).dtype == torch.float32
    np.testing.assert_array_equal(r.numpy(), (3 / t).numpy())
    np.testing.assert_array_equal((2.5 / ember.arange(0, 4)).numpy(), (2.5 / torch.arange(0, 4)).numpy())


@pytest.mark.parametrize("expr", ["1 - x", "4.2 - x", "np.float32(0.5) - x", "torch.rsub(x, 2)"])
def test_number_minus_tensor_is_rsub(expr):
    t, e = _pair(requires_grad=True)
    rt = eval(expr, {"torch": torch, "x": t, "np": np})
    re = eval(expr, {"torch": ember, "x": e, "np": np})
    assert type(re.grad_fn).__name__ == type(rt.grad_fn).__name__ == "RsubBackward1"
    np.testing.assert_array_equal(re.detach().numpy(), rt.detach().numpy())
    re.sum().backward()
    rt.sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("expr", ["x - 1", "torch.tensor(1.) - x"])
def test_tensor_minus_is_still_sub(expr):
    t, e = _pair(requires_grad=True)
    rt = eval(expr, {"torch": torch, "x": t, "np": np})
    re = eval(expr, {"torch": ember, "x": e, "np": np})
    assert type(re.grad_fn).__name__ == type(rt.grad_fn).__name__ == "SubBackward0"


def test_number_minus_bool_tensor_refused_as_torch():
    with pytest.raises(RuntimeError):
        2 - torch.tensor([True])
    with pytest.raises(RuntimeError, match="bool"):
        2 - ember.tensor([True])


def test_one_minus_and_number_over_are_twice_differentiable():
    hess = []
    for m in (ember, torch):
        x = m.tensor([0.3, 0.7], requires_grad=True)
        y = ((1 - x) ** 3 * (2.5 / x)).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x)
        hess.append(h.numpy())
    np.testing.assert_allclose(hess[0], hess[1], rtol=1e-6)
