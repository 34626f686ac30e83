"""ember.testing.assert_close / make_tensor against torch.testing (messages, errors, random streams)."""
import numpy as np
import pytest
import torch

import ember

NAN = float("nan")
CASES = [
    ([1., 2., 3.], [1., 2.1, 3.], "float32", {}),
    ([1., 2., 3.], [1., 2. + 1e-6, 3.], "float32", {}),
    ([1, 2, 3], [1, 5, 3], "int64", {}),
    ([True, False], [True, True], "bool", {}),
    ([[1., NAN]], [[1., NAN]], "float32", {}),
    ([[1., NAN]], [[1., NAN]], "float32", {"equal_nan": True}),
    ([0., 1.], [1., 1.], "float32", {}),
    ([1., 2.], [1., 3.], "float32", {"msg": "custom"}),
    ([1., 2.], [1., 2.5], "float32", {"rtol": 0.0, "atol": 0.6}),
    ([1., 2.], [1., 2.5], "float64", {}),
    (1.0, 2.0, "float32", {}),
    ([1., float("inf")], [1., float("inf")], "float32", {}),
]


def _run(mod, a, b, **kw):
    try:
        mod.testing.assert_close(a, b, **kw)
        return None
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e), str(e)


@pytest.mark.parametrize("a,b,dt,kw", CASES)
def test_assert_close_tensors_as_torch(a, b, dt, kw):
    t = _run(torch, torch.tensor(a, dtype=getattr(torch, dt)), torch.tensor(b, dtype=getattr(torch, dt)), **kw)
    e = _run(ember, ember.tensor(a, dtype=getattr(ember, dt)), ember.tensor(b, dtype=getattr(ember, dt)), **kw)
    assert e == t


@pytest.mark.parametrize("a,b,kw", [
    (1.0, 1.1, {}), (1, 2, {}), (1, 1, {}), ([1.0, 2.0], [1.0, 2.0], {}), (1.0, 1, {}), (1.0, 1, {"check_dtype": False}),
    ({"a": 1.0, "b": [2.0]}, {"a": 1.0, "b": [2.5]}, {}), ([1.0], [1.0, 2.0], {}), (None, None, {}),
])
def test_assert_close_python_values_as_torch(a, b, kw):
    assert _run(ember, a, b, **kw) == _run(torch, a, b, **kw)


def test_assert_close_nested_tensors_and_attributes():
    for mod in (torch, ember):
        pass
    t = _run(torch, [torch.tensor(1.)], [torch.tensor(2.)])
    e = _run(ember, [ember.tensor(1.)], [ember.tensor(2.)])
    assert e == t
    t = _run(torch, {"a": torch.tensor([1., 2.])}, {"a": torch.tensor([1., 2.5])})
    e = _run(ember, {"a": ember.tensor([1., 2.])}, {"a": ember.tensor([1., 2.5])})
    assert e == t
    # dtype / shape mismatch: the attribute is named (torch prints torch.float32, ember ember.float32)
    e = _run(ember, ember.tensor([1., 2.]), ember.tensor([1., 2.], dtype=ember.float64))
    assert e[0] is AssertionError and "attribute 'dtype' do not match" in e[1]
    assert _run(ember, ember.tensor([1., 2.]), ember.tensor([1., 2.], dtype=ember.float64), check_dtype=False) is None
    e = _run(ember, ember.tensor([1., 2.]), ember.tensor([1., 2., 3.]))
    assert e[0] is AssertionError and "attribute 'shape' do not match" in e[1]
    # a tensor against a number: TypeError as torch
    assert _run(ember, ember.tensor(1.), 1.0)[0] is _run(torch, torch.tensor(1.), 1.0)[0] is TypeError
    # only one of rtol/atol
    assert _run(ember, 1.0, 1.0, rtol=1e-3) == _run(torch, 1.0, 1.0, rtol=1e-3)
    # callable msg gets the generated message
    e = _run(ember, ember.tensor([1.]), ember.tensor([2.]), msg=lambda m: "X" + m.splitlines()[0])
    assert e == (AssertionError, "XTensor-likes are not close!")
    # numpy arrays are tensor-likes
    assert _run(ember, np.array([1.0]), np.array([1.0])) is None


@pytest.mark.parametrize("dt", ["float32", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("kw", [{}, {"low": 0, "high": 3}, {"noncontiguous": True}, {"exclude_zero": True, "low": 0, "high": 2}])
def test_make_tensor_same_stream_as_torch(dt, kw):
    torch.manual_seed(3)
    ember.manual_seed(3)
    t = torch.testing.make_tensor(4, 5, dtype=getattr(torch, dt), device="cpu", **kw)
    e = ember.testing.make_tensor(4, 5, dtype=getattr(ember, dt), device="cpu", **kw)
    assert e.dtype == getattr(ember, dt) and e.shape == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_make_tensor_float64_and_errors():
    torch.manual_seed(0)
    ember.manual_seed(0)
    t = torch.testing.make_tensor((3, 3), dtype=torch.float64, device="cpu", requires_grad=True)
    e = ember.testing.make_tensor((3, 3), dtype=ember.float64, device="cpu", requires_grad=True)
    assert e.requires_grad
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=0, atol=1e-14)
    for kw in ({"low": 3, "high": 1}, {"low": NAN}):
        with pytest.raises(ValueError):
            torch.testing.make_tensor(2, dtype=torch.float32, device="cpu", **kw)
        with pytest.raises(ValueError):
            ember.testing.make_tensor(2, dtype=ember.float32, device="cpu", **kw)
    with pytest.raises(ValueError):
        ember.testing.make_tensor(2, dtype=ember.int64, device="cpu", requires_grad=True)
