"""``Tensor.to`` / ``Tensor.type`` / ``Tensor.new_*`` with every argument form PyTorch takes
(Python types as dtypes, type names, another tensor, device and dtype together, positional
non_blocking/copy), each compared with torch itself: same dtype, values, identity (self returned
when nothing changes) and requires_grad, or the same exception type."""
import warnings

import numpy as np
import pytest
import torch

import ember

CASES = [
    # to(dtype): Python types are float64 / int64 / bool
    "x.to(float)", "x.to(int)", "x.to(bool)", "i.to(float)", "i.to(bool)", "x.to(dtype=float)",
    "x.to(dtype=int)", "x.to(m.float64)", "x.to(m.float32) is x", "x.to(m.float32, copy=True) is x",
    "x.to(m.float64, True, True)", "x.to(m.float32, False, True) is x", "x.to(m.float64, copy=True)",
    "x.to(None)", "x.to(dtype=None) is x", "x.to()", "x.to(m.float64, m.float32)", "x.to(np.float64)",
    "x.to(m.float64, 'cpu')", "x.to(dtype=m.float64, device='cpu')",
    # to(other)
    "x.to(i)", "i.to(x)", "x.to(x) is x", "x.to(x, non_blocking=True)", "x.to(other=i)", "x.to(i, True, True) is x",
    # to(device, dtype)
    "x.to('cpu') is x", "x.to('cpu', m.float64)", "x.to('cpu', float)", "x.to('cpu', int)",
    "x.to(m.device('cpu'), m.int64)", "x.to(device='cpu', dtype=m.float64)", "x.to(device='cpu', dtype=int)",
    "x.to('cpu', m.float64, True)", "x.to('cpu', m.float64, False, True)", "x.to('cpu', dtype=m.int64)",
    "x.to('cpu', copy=True) is x", "x.to(None, m.float64)", "x.to('cpu', None)", "x.to(1)", "x.to('float64')",
    "x.to('cpu', m.float64, dtype=m.float32)", "x.to('cpu', device='cpu')",
    # gradients flow through a cast
    "xg.to(float).requires_grad", "xg.to('cpu', m.float64).requires_grad", "xg.to(int).requires_grad",
    # type()
    "x.type()", "i.type()", "b.type()", "x.double().type()", "x.half().type()", "x.to(m.uint8).type()",
    "x.to(m.int8).type()", "x.to(m.int16).type()", "x.to(m.int32).type()",
    "x.type(m.float64)", "x.type(m.int32, non_blocking=True)", "x.type(m.float32) is x",
    "x.type('torch.DoubleTensor')", "x.type('torch.LongTensor')", "x.type('torch.FloatTensor') is x",
    "x.type('torch.IntTensor')", "x.type('torch.BoolTensor')", "x.type('torch.HalfTensor')",
    "x.type('torch.ByteTensor')", "x.type('torch.CharTensor')", "x.type('torch.ShortTensor')",
    "x.type(dtype='torch.DoubleTensor')", "x.type(float)", "x.type(int)", "x.type('float')",
    "x.type('torch.cuda.FloatTensor')", "x.type('torch.NoSuchTensor')", "x.type(m.float64, bogus=1)",
    # new_tensor / new_zeros / new_ones / new_full / new_empty: self's dtype unless dtype=
    "x.new_tensor([1, 2])", "x.new_tensor([1.5])", "i.new_tensor([1.5])", "x.new_tensor([1, 2], dtype=int)",
    "x.new_tensor([1, 2], dtype=float)", "x.new_tensor([True])", "x.new_tensor(3)", "x.new_tensor(np.array([1, 2]))",
    "x.new_tensor([1.0], requires_grad=True)", "x.new_tensor([1], device='cpu')", "x.new_tensor(x)",
    "xg.new_tensor(xg).requires_grad",
    "x.new_zeros(2, 3)", "x.new_zeros((2, 3))", "x.new_zeros([2], dtype=int)", "x.new_zeros(2, dtype=bool)",
    "x.new_zeros(size=(2,))", "x.new_zeros(2, device='cpu')", "x.new_zeros(2, layout=None)",
    "x.new_zeros(2, pin_memory=False)", "x.new_zeros(m.Size([2, 1]))", "x.new_zeros(2, 3, dtype=m.int16)",
    "i.new_zeros(2)", "x.new_zeros(())", "x.new_zeros(0)",
    "x.new_ones(2, dtype=float)", "i.new_ones(2)", "x.new_ones(2, requires_grad=True)", "x.new_ones(size=[1, 2])",
    "b.new_ones(2)", "x.new_ones(())",
    "x.new_full((2,), 7)", "i.new_full((2,), 7.5)", "x.new_full((2,), 7, dtype=int)",
    "x.new_full((2,), True, dtype=bool)", "x.new_full(size=(2,), fill_value=3)", "x.new_full([2, 2], 1.5, dtype=float)",
    "x.new_full((2,), 1, requires_grad=True)",
    "x.new_empty(2, 3).shape", "x.new_empty((2,), dtype=int).dtype", "x.new_empty(2, dtype=float).dtype",
    "i.new_empty(3).dtype", "x.new_empty(size=(0, 2)).shape", "x.new_empty(2, requires_grad=True).requires_grad",
    # Module.to takes the same forms (floating dtypes only)
    "lin.to(float).weight", "lin.to('cpu', float).bias", "lin.to(dtype=float).weight", "lin.to(int)",
    "lin.to(m.tensor([1.0], dtype=m.float64)).weight", "lin.to(bool)", "lin.to('cpu', m.float64, True).weight",
]


def _env(m):
    return {"m": m, "np": np, "x": m.tensor([[1.5, -2.0], [0.0, 3.25]]), "i": m.tensor([1, 2]),
            "b": m.tensor([True, False]), "xg": m.tensor([1.5, -2.0], requires_grad=True), "lin": _linear(m)}


def _linear(m):
    lin = m.nn.Linear(2, 1)
    with m.no_grad():
        lin.weight.copy_(m.tensor([[0.5, -1.0]]))
        lin.bias.fill_(0.25)
    return lin


def _outcome(m, expr):
    env = _env(m)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # torch's new_tensor(tensor) copy-construct warning
            r = eval(expr, env)
    except Exception as e:  # noqa: BLE001 - the exception type is the outcome compared with torch
        return ("raised", type(e).__name__)
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return ("tensor", str(r.dtype).split(".")[-1], tuple(r.shape), r.detach().numpy().tolist(), r.requires_grad)
    if isinstance(r, (torch.dtype, ember.dtype)):
        return ("dtype", str(r).split(".")[-1])
    if isinstance(r, (torch.Size, ember.Size)):
        return ("shape", tuple(r))
    if isinstance(r, str):
        return ("str", r.replace("ember.", "torch."))
    return ("value", r)


@pytest.mark.parametrize("expr", CASES)
def test_same_outcome_as_torch(expr):
    t, e = _outcome(torch, expr), _outcome(ember, expr)
    assert e == t, f"{expr}: torch {t}, ember {e}"


def test_sweep_covers_results_and_errors():
    kinds = {_outcome(torch, c)[0] for c in CASES}
    assert {"tensor", "raised", "str", "value"} <= kinds


def test_type_name_uses_embers_prefix():
    # ember's names (as str(dtype)) are 'ember.*'; .type() accepts both prefixes
    x = ember.ones(2)
    assert x.type() == "ember.FloatTensor"
    assert x.type("ember.DoubleTensor").dtype == ember.float64
    assert x.type(x.type()) is x


def test_cast_gradient_matches_torch():
    grads = []
    for m in (torch, ember):
        x = m.tensor([1.5, -2.0, 0.25], requires_grad=True)
        (x.to(float) ** 2).sum().backward()
        y = m.tensor([0.5, 1.0], requires_grad=True)
        (y.type(m.float64) * 3).sum().backward()
        grads.append((x.grad.numpy(), str(x.grad.dtype).split(".")[-1], y.grad.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0])
    assert grads[1][1] == grads[0][1] == "float32"
    np.testing.assert_allclose(grads[1][2], grads[0][2])


def test_errors_say_what_to_pass():
    x = ember.ones(2)
    with pytest.raises(TypeError, match="two dtypes"):
        x.to("cpu", ember.float64, dtype=ember.float32)
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to(1)
    with pytest.raises(ValueError, match="torch.FloatTensor"):
        x.type("float")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.type("torch.cuda.FloatTensor")
    with pytest.raises(NotImplementedError, match="pin_memory"):
        x.new_zeros(2, pin_memory=True)
