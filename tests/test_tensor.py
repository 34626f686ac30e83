"""Tensor attributes, conversions, Python protocols and __repr__ vs PyTorch."""
import warnings

import numpy as np
import pytest
import torch

import ember

R = np.random.default_rng(7)

REPR_CASES = [
    np.array([1.0, 2.0], np.float32), np.array([1.5, 2.25, -3.0], np.float32), np.float32(3.0), np.float32(3.5),
    np.float32(-0.0001234), np.zeros((0,), np.float32), np.zeros((2, 0), np.float32), np.zeros((2, 3), np.float32),
    R.standard_normal((3, 4)).astype(np.float32), R.standard_normal((2, 3, 2)).astype(np.float32),
    np.array([1e-5, 1.0, 1000.0], np.float32), np.array([1e10, 1.0], np.float32), np.array([123456.0, 1.5], np.float32),
    np.array([0.001, 0.1], np.float32), np.array([1e-8, 2e-8], np.float32), np.array([100.0, 2000.0], np.float32),
    np.array([np.nan, 1.0, np.inf, -np.inf], np.float32), np.array([np.nan, np.inf], np.float32),
    np.array([1, -2, 300]), np.int64(7), np.array([True, False]), np.bool_(True), np.array([[1, 2], [3, 4]], np.int32),
    np.array([1.5, 2.0]), np.float64(2.0), np.array([1.0, 2.5], np.float16), np.array([1, 2], np.uint8),
    np.array([1, 2], np.int8), np.array([1, 2], np.int16), np.arange(30, dtype=np.float32) / 7,
    np.arange(2000, dtype=np.float32), np.arange(2000).reshape(40, 50), R.standard_normal((40, 40)).astype(np.float32),
    np.arange(12, dtype=np.float32).reshape(2, 2, 3), np.array([0.0, -0.0, 5.0], np.float32),
    np.array([[1e-3, 5.5], [12.25, 0.5]], np.float32), np.zeros((0, 2, 3), np.int64), np.float32(1e20),
    np.array([1.123456789, 22.5, 333.0], np.float64), np.array([-1.0, 0.5], np.float32),
]


@pytest.mark.parametrize("arr", REPR_CASES, ids=[str(i) for i in range(len(REPR_CASES))])
def test_repr_matches_torch(arr):
    e, t = ember.tensor(arr), torch.tensor(arr)
    assert repr(e) == repr(t).replace("torch.", "ember."), f"\nember: {e!r}\ntorch: {t!r}"
    assert str(e) == str(t).replace("torch.", "ember.")


def test_repr_autograd_suffixes():
    x = np.array([1.0, 2.0], np.float32)
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pairs = [(e, t), (e * 2, t * 2), (e + 1, t + 1), (e.sum(), t.sum()), (e.double(), t.double()),
             (e.exp().mean(), t.exp().mean())]
    for a, b in pairs:
        assert repr(a) == repr(b).replace("torch.", "ember."), f"\nember: {a!r}\ntorch: {b!r}"


def test_repr_default_dtype_float64_hides_float64_suffix():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for arr in [np.array([1.5], np.float64), np.array([1.5], np.float32)]:
            assert repr(ember.tensor(arr)) == repr(torch.tensor(arr)).replace("torch.", "ember.")
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("fn", [lambda m, x: x.max(1), lambda m, x: m.min(x, 0, keepdim=True), lambda m, x: x.sort(1),
                                lambda m, x: x.topk(1), lambda m, x: x.median(1), lambda m, x: m.aminmax(x)])
def test_return_types_repr(fn):
    arr = np.array([[1.0, 3.0, 2.0], [0.5, -1.0, 4.0]], np.float32)
    e, t = fn(ember, ember.tensor(arr)), fn(torch, torch.tensor(arr))
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert e._fields == t._fields if hasattr(t, "_fields") else len(e) == len(t)


def test_size_repr_and_ops():
    s = ember.zeros(2, 3).shape
    assert repr(s) == "ember.Size([2, 3])" and s == (2, 3) and s[1] == 3 and s.numel() == 6
    assert isinstance(s, tuple)


def test_attributes():
    x = ember.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.ndimension() == 3 and x.numel() == 24 and x.nelement() == 24
    assert x.dtype == ember.float32 and x.device == ember.device("cpu") and str(x.device) == "cpu"
    assert repr(x.device) == "device(type='cpu')" and not x.is_cuda
    assert x.is_floating_point() and not ember.zeros(2, dtype=ember.int64).is_floating_point()
    assert x.is_contiguous() and not x.transpose(0, 1).is_contiguous()
    assert x.transpose(0, 1).contiguous().is_contiguous()
    assert x.stride() == torch.zeros(2, 3, 4).stride()
    assert x.element_size() == 4 and len(x) == 2
    assert ember.numel(x) == 24 and ember.is_tensor(x) and not ember.is_tensor(np.zeros(2))
    with pytest.raises(IndexError):
        x.size(3)


def test_numpy_item_tolist():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0, 0] = 9.0          # shares memory, as torch
    assert x[0, 0].item() == 9.0
    assert x.tolist() == [[9.0, 2.0], [3.0, 4.0]]
    assert ember.tensor(2.5).item() == 2.5 and isinstance(ember.tensor(3).item(), int)
    assert isinstance(ember.tensor(True).item(), bool)
    assert ember.tensor([[5]]).item() == 5
    assert ember.tensor(1.5).tolist() == 1.5
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        ember.zeros(2).item()
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    assert w.detach().numpy().shape == (2,)
    assert np.asarray(ember.ones(2)).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("method,dtype", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                          ("long", "int64"), ("int", "int32"), ("short", "int16"), ("bool", "bool"),
                                          ("byte", "uint8")])
def test_conversion_methods(method, dtype):
    arr = np.array([-1.7, 0.0, 2.5, 300.2], np.float32)
    e, t = getattr(ember.tensor(arr), method)(), getattr(torch.tensor(arr), method)()
    assert e.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(e._data, t.numpy())


def test_to():
    x = ember.tensor([1.5, -2.5])
    assert x.to(ember.float32) is x
    assert x.to(ember.float64).dtype == ember.float64
    assert x.to("cpu") is x and x.to(ember.device("cpu")) is x
    assert x.to("cpu", ember.int64).tolist() == [1, -2]
    assert x.to(device="cpu", dtype=ember.float16).dtype == ember.float16
    assert x.to(ember.zeros(1, dtype=ember.int32)).dtype == ember.int32
    assert x.to(ember.float32, copy=True) is not x
    assert x.cpu() is x and x.type(ember.float64).dtype == ember.float64 and x.type() == "ember.FloatTensor"
    assert x.type_as(ember.zeros(1, dtype=ember.int64)).dtype == ember.int64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_to_is_differentiable():
    x = ember.tensor([1.5, -2.5], requires_grad=True)
    y = x.double() * 2
    assert y.dtype == ember.float64 and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.dtype == ember.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.long().grad_fn is None and not x.long().requires_grad


def test_clone_contiguous_detach():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and c._data is not x._data
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d._data, x._data)
    d.add_(1)  # shares data and version counter with x
    assert x.tolist() == [2.0, 3.0] and x._version == d._version


def test_python_number_protocols():
    assert float(ember.tensor([2.5])) == 2.5 and int(ember.tensor(3.9)) == 3
    assert bool(ember.tensor([1])) and not bool(ember.tensor(0.0))
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.zeros(2))
    with pytest.raises((TypeError, RuntimeError)):
        [1, 2][ember.tensor(1.0)]
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert round(float(ember.tensor(1 / 3)), 3) == 0.333


def test_len_and_iteration():
    x = ember.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]
    assert [v.item() for v in ember.tensor([4, 5])] == [4, 5]
    with pytest.raises(TypeError):
        len(ember.tensor(1.0))
    with pytest.raises(TypeError):
        iter(ember.tensor(1.0))


def test_iteration_is_differentiable():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    sum(r.sum() * i for i, r in enumerate(x)).backward()
    assert x.grad.tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_tensor_constructor_class():
    assert ember.Tensor([1, 2]).dtype == ember.float32     # torch.Tensor(data) is float
    assert ember.Tensor(2, 3).shape == (2, 3)
    assert torch.Tensor([1, 2]).dtype == torch.float32


def test_new_factories():
    x = ember.zeros(2, dtype=ember.float64)
    assert x.new_zeros(3).dtype == ember.float64 and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == ember.float64
    assert x.new_empty(4).shape == (4,)


def test_hash_and_eq_semantics():
    a, b = ember.ones(2), ember.ones(2)
    assert len({a, b}) == 2           # hashed by identity, as torch
    assert (a == b).tolist() == [True, True]
    d = {a: 1}
    assert d[a] == 1


def test_pickle_roundtrip():
    import pickle
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [1.0, 2.0] and y.requires_grad


def test_set_printoptions():
    try:
        ember.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        arr = np.array([1.23456, 2.5], np.float32)
        assert repr(ember.tensor(arr)) == repr(torch.tensor(arr)).replace("torch.", "ember.")
    finally:
        ember.set_printoptions(precision=4)
        torch.set_printoptions(precision=4)


def test_no_numpy_warnings_for_ordinary_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(ember.tensor([np.nan, 1.0]))
        repr(ember.zeros(0))


def test_numpy_interop_data_update_pattern():
    # the classic manual SGD step: w._data -= lr * w.grad keeps ._data a NumPy array, updated in place
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    buf = w._data
    (w * w).sum().backward()
    w._data -= 0.1 * w.grad
    assert isinstance(w._data, np.ndarray) and w._data is buf
    assert w.tolist() == pytest.approx([0.8, 1.6])
    with ember.no_grad():
        w -= 0.1 * w.grad
    assert w.tolist() == pytest.approx([0.6, 1.2]) and w.is_leaf


def test_numpy_array_with_tensor_operands():
    a = np.array([1.0, 2.0], np.float32)
    x = ember.tensor([3.0, 4.0], requires_grad=True)
    for r, expected in [(a * x, [3.0, 8.0]), (a + x, [4.0, 6.0]), (a - x, [-2.0, -2.0]), (a / x, [1 / 3, 0.5]),
                        (np.float32(2.0) * x, [6.0, 8.0])]:
        assert isinstance(r, ember.Tensor) and r.requires_grad
        assert r.tolist() == pytest.approx(expected)
    assert isinstance(a < x, ember.Tensor) and (a < x).tolist() == [True, True]
    assert (a @ ember.ones(2, 2)).tolist() == [3.0, 3.0]


def test_numpy_unary_ufuncs_return_tensors():
    x = ember.tensor([0.5, 2.0], requires_grad=True)
    for f in [np.exp, np.log, np.sqrt, np.sin, np.tanh, np.abs, np.negative, np.square]:
        r = f(x)
        assert isinstance(r, ember.Tensor) and r.requires_grad
        np.testing.assert_allclose(r._data, f(np.array([0.5, 2.0], np.float32)), rtol=1e-6)
        assert isinstance(f(torch.tensor([0.5, 2.0])), torch.Tensor)
    assert isinstance(np.cbrt(x.detach()), np.ndarray)  # others fall back to NumPy arrays


@pytest.mark.parametrize("options", [dict(profile="short"), dict(sci_mode=True), dict(profile="full"),
                                     dict(precision=2, sci_mode=False)])
def test_set_printoptions_profile_and_sci_mode_match_torch(options):
    values = [[1.23456, 200.5, 0.001], [3.0, -4.5, 1e-3]]
    try:
        ember.set_printoptions(**options)
        torch.set_printoptions(**options)
        assert repr(ember.tensor(values)).replace("ember", "torch") == repr(torch.tensor(values))
        assert repr(ember.arange(2000.0)) == repr(torch.arange(2000.0))
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_set_printoptions_rejects_unknown_profile():
    with pytest.raises(ValueError, match="profile"):
        ember.set_printoptions(profile="tiny")


def test_to_and_contiguous_refuse_memory_format_instead_of_ignoring_it():
    x = ember.ones(2, 3)
    with pytest.raises(NotImplementedError, match="memory_format"):
        x.to(memory_format="channels_last")
    with pytest.raises(NotImplementedError, match="memory_format"):
        x.contiguous(memory_format="channels_last")
    with pytest.raises(TypeError):
        x.to(ember.float64, pin=True)
    assert x.to(device="cpu", dtype=ember.float64).dtype == ember.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to(device="cuda")


def test_to_refuses_a_numpy_dtype_like_torch_and_flip_takes_several_dims():
    with pytest.raises(TypeError):
        ember.ones(2).to(np.float64)
    with pytest.raises(TypeError):
        torch.ones(2).to(np.float64)
    x = np.arange(6.0).reshape(2, 3)
    assert ember.tensor(x).flip(0, 1).tolist() == torch.tensor(x).flip(0, 1).tolist()
    assert ember.tensor(x).flip((0, 1)).tolist() == torch.tensor(x).flip((0, 1)).tolist()


def test_data_is_pytorchs_shared_untracked_tensor():
    for lib in (ember, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        d = w.data
        assert isinstance(d, lib.Tensor) and not d.requires_grad and d.grad_fn is None
        y = (w * w).sum()
        w.data.add_(1.0)                       # not tracked, no version error (as torch)
        y.backward()
        assert w.tolist() == [2.0, 3.0] and w.grad.tolist() == [4.0, 6.0]   # grad from the saved new values
        w.grad.data.zero_()
        assert w.grad.tolist() == [0.0, 0.0]
        w.data = lib.zeros(3)                  # shape may change
        assert tuple(w.shape) == (3,) and w.requires_grad
        w.data.normal_(0, 0.02)
        assert w.data.size(0) == 3
    with pytest.raises(TypeError, match="assigned a Tensor"):
        ember.ones(2).data = np.zeros(2)


@pytest.mark.parametrize("spec", [("cpu:0",), ("cpu",), ("cpu:1",), ("cpu", 0)])
def test_device_with_an_index_as_pytorch(spec):
    for lib in (torch, ember):
        d = lib.device(*spec)
        ref = torch.device(*spec)
        assert (repr(d).replace("torch", ""), str(d), d.type, d.index) == (repr(ref), str(ref), ref.type, ref.index)
        assert (d == lib.device("cpu")) == (ref == torch.device("cpu"))
        assert str(lib.zeros(2, device=d).device) == "cpu"


@pytest.mark.parametrize("bad", ["cpu:-1", "cpu:x", "cpu:0:1", "cpu: 0"])
def test_malformed_device_strings_raise_as_pytorch(bad):
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Invalid device string"):
            lib.device(bad)


@pytest.mark.parametrize("make, spec", [
    (lambda t: t.tensor(0.5), ""), (lambda t: t.tensor(0.5), ".3f"), (lambda t: t.tensor(3), "d"),
    (lambda t: t.tensor(True), ""), (lambda t: t.tensor(2.5, requires_grad=True) * 2, ""),
    (lambda t: t.tensor([1.5]), ""), (lambda t: t.tensor([1.5]), ">20"),
    (lambda t: t.nn.Parameter(t.tensor(2.0)), ""), (lambda t: t.nn.Parameter(t.tensor(2.0)), ".2f"),
])
def test_format_as_torch(make, spec):
    # f"{loss}" on a 0-d tensor is its number; other tensors (and Parameters) print as str() and
    # refuse a format spec, as PyTorch
    results = []
    for lib in (torch, ember):
        try:
            results.append(format(make(lib), spec).replace("torch.", "").replace("ember.", ""))
        except TypeError as e:
            results.append(("TypeError", str(e)))
    assert results[0] == results[1]
