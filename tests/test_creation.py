"""Creation functions vs PyTorch (dtypes, shapes, values) and random reproducibility."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close


def _same(e, t):
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} != torch {tuple(t.shape)}"
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"dtype {e.dtype} != torch {t.dtype}"


@pytest.mark.parametrize("data", [
    1, 2.5, True, [1, 2, 3], [1.0, 2], [[1, 2], [3, 4]], [True, False], [], [[]], [[1.5], [2.5]], (1, 2),
    np.float64(2.0), np.int32(3), [np.float32(1.0), 2.0],
], ids=repr)
def test_tensor_from_python(data):
    e, t = ember.tensor(data), torch.tensor(data)
    _same(e, t)
    assert_close(e, t)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_tensor_from_numpy_keeps_dtype(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    _same(ember.tensor(a), torch.tensor(a))
    _same(ember.from_numpy(a), torch.from_numpy(a))
    _same(ember.as_tensor(a), torch.as_tensor(a))
    _same(ember.tensor(a.tolist(), dtype=getattr(ember, dtype)), torch.tensor(a.tolist(), dtype=getattr(torch, dtype)))


def test_tensor_copies_from_numpy_shares():
    a = np.zeros(3, np.float32)
    t = ember.tensor(a)
    s = ember.from_numpy(a)
    v = ember.as_tensor(a)
    a[0] = 7
    assert t[0].item() == 0 and s[0].item() == 7 and v[0].item() == 7
    assert ember.as_tensor(a, dtype=ember.float64)[0].item() == 7
    x = ember.ones(2)
    assert ember.as_tensor(x) is x


def test_tensor_of_tensors_and_requires_grad():
    e = ember.tensor([ember.tensor(1.0), ember.tensor(2.0)])
    assert e.tolist() == [1.0, 2.0] and e.dtype == ember.float32
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)


def test_tensor_bad_data():
    with pytest.raises((TypeError, ValueError)):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="string"):
        ember.tensor(["a", "b"])


SIZES = [(), (0,), (3,), (2, 3), (2, 0, 4)]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", SIZES, ids=str)
def test_size_factories(name, size):
    e, t = getattr(ember, name)(size), getattr(torch, name)(size)
    if size:
        _same(getattr(ember, name)(*size), getattr(torch, name)(*size))
    _same(getattr(ember, name)(size), getattr(torch, name)(size))
    _same(getattr(ember, name)(list(size)), getattr(torch, name)(list(size)))
    _same(getattr(ember, name)(size, dtype=ember.float64), getattr(torch, name)(size, dtype=torch.float64))
    if name in ("zeros", "ones"):
        assert_close(e, t)
        _same(getattr(ember, name)(size, dtype=ember.int32), getattr(torch, name)(size, dtype=torch.int32))
    r = getattr(ember, name)(size, requires_grad=True)
    assert r.requires_grad and r.is_leaf


@pytest.mark.parametrize("value", [1.5, 2, True])
def test_full(value):
    _same(ember.full((2, 3), value), torch.full((2, 3), value))
    assert_close(ember.full((2, 3), value), torch.full((2, 3), value))
    _same(ember.full((2,), value, dtype=ember.float64), torch.full((2,), value, dtype=torch.float64))


@pytest.mark.parametrize("args,kw", [
    ((5,), {}), ((2, 7), {}), ((1, 2, 0.25), {}), ((0, 1, 0.1), {}), ((5.0,), {}), ((10, 0, -3), {}), ((3,), dict(dtype="f")),
    ((0,), {}), ((1, 4), dict(dtype="d")), ((-1.5, 1.5, 0.5), {}),
], ids=str)
def test_arange(args, kw):
    kd = {}
    if kw.get("dtype") == "f":
        kd = dict(dtype=(ember.float32, torch.float32))
    elif kw.get("dtype") == "d":
        kd = dict(dtype=(ember.float64, torch.float64))
    e = ember.arange(*args, **({"dtype": kd["dtype"][0]} if kd else {}))
    t = torch.arange(*args, **({"dtype": kd["dtype"][1]} if kd else {}))
    _same(e, t)
    assert_close(e, t)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 2, 1), (0, 10, 0), (3, -3, 4), (1, 2, 2)], ids=str)
def test_linspace(args):
    e, t = ember.linspace(*args), torch.linspace(*args)
    _same(e, t)
    assert_close(e, t)
    assert_close(ember.logspace(*args), torch.logspace(*args), rtol=1e-5)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)], ids=str)
def test_eye(args):
    _same(ember.eye(*args), torch.eye(*args))
    assert_close(ember.eye(*args), torch.eye(*args))
    assert_close(ember.eye(*args, dtype=ember.int64), torch.eye(*args, dtype=torch.int64))


@pytest.mark.parametrize("dtype", [None, "float64", "int32"])
def test_like_forms(dtype):
    x_e = ember.ones(2, 3, dtype=ember.float16)
    x_t = torch.ones(2, 3, dtype=torch.float16)
    de = getattr(ember, dtype) if dtype else None
    dt = getattr(torch, dtype) if dtype else None
    for name in ["zeros_like", "ones_like", "empty_like"]:
        _same(getattr(ember, name)(x_e, dtype=de), getattr(torch, name)(x_t, dtype=dt))
    _same(ember.full_like(x_e, 3, dtype=de), torch.full_like(x_t, 3, dtype=dt))
    if dtype != "int32":
        _same(ember.rand_like(x_e, dtype=de), torch.rand_like(x_t, dtype=dt))
        _same(ember.randn_like(x_e, dtype=de), torch.randn_like(x_t, dtype=dt))
    _same(ember.randint_like(x_e, 5, dtype=de), torch.randint_like(x_t, 5, dtype=dt))
    _same(ember.randint_like(x_e, 2, 5), torch.randint_like(x_t, 2, 5))


def test_random_ranges_and_dtypes():
    _same(ember.randint(0, 5, (3, 4)), torch.randint(0, 5, (3, 4)))
    _same(ember.randint(5, (3,)), torch.randint(5, (3,)))
    _same(ember.randint(5, (3,), dtype=ember.int32), torch.randint(5, (3,), dtype=torch.int32))
    _same(ember.randperm(7), torch.randperm(7))
    r = ember.randint(-3, 4, (2000,))
    assert r.min().item() == -3 and r.max().item() == 3
    assert sorted(ember.randperm(10).tolist()) == list(range(10))
    u = ember.rand(10000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.02
    n = ember.randn(10000)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05


def test_normal_forms():
    _same(ember.normal(0.0, 1.0, (3, 2)), torch.normal(0.0, 1.0, (3, 2)))
    m, s = ember.zeros(4), ember.ones(4)
    _same(ember.normal(m, s), torch.normal(torch.zeros(4), torch.ones(4)))
    big = ember.normal(5.0, 2.0, (20000,))
    assert abs(big.mean().item() - 5) < 0.1 and abs(big.std().item() - 2) < 0.1
    mt = ember.full((20000,), 3.0)
    assert abs(ember.normal(mt, 0.5).mean().item() - 3) < 0.05


@pytest.mark.parametrize("fn", [
    lambda g: ember.rand(5, generator=g), lambda g: ember.randn(2, 3, generator=g),
    lambda g: ember.randint(0, 100, (6,), generator=g), lambda g: ember.randperm(8, generator=g),
    lambda g: ember.normal(0.0, 1.0, (4,), generator=g), lambda g: ember.zeros(5).uniform_(generator=g),
    lambda g: ember.zeros(5).normal_(generator=g), lambda g: ember.rand_like(ember.zeros(3), generator=g),
])
def test_generator_reproducible(fn):
    a = fn(ember.Generator().manual_seed(42)).tolist()
    b = fn(ember.Generator().manual_seed(42)).tolist()
    c = fn(ember.Generator().manual_seed(43)).tolist()
    assert a == b and a != c


def test_manual_seed_global_stream():
    ember.manual_seed(0)
    a = (ember.rand(3).tolist(), ember.randn(2).tolist(), ember.randperm(5).tolist())
    ember.manual_seed(0)
    b = (ember.rand(3).tolist(), ember.randn(2).tolist(), ember.randperm(5).tolist())
    assert a == b
    assert ember.rand(3).tolist() != a[0]
    assert ember.initial_seed() == 0


def test_generator_independent_of_global_and_state_roundtrip():
    g = ember.Generator().manual_seed(1)
    ember.manual_seed(5)
    x = ember.rand(3, generator=g).tolist()
    g2 = ember.Generator().manual_seed(1)
    ember.rand(100)  # consuming the global stream does not affect g2
    assert ember.rand(3, generator=g2).tolist() == x
    state = g.get_state()
    y = ember.rand(4, generator=g).tolist()
    g.set_state(state)
    assert ember.rand(4, generator=g).tolist() == y
    s = ember.get_rng_state()
    z = ember.randn(3).tolist()
    ember.set_rng_state(s)
    assert ember.randn(3).tolist() == z
    assert g.initial_seed() == 1 and ember.Generator().manual_seed(3) is not None


def test_random_float_dtypes():
    assert ember.rand(3).dtype == ember.float32
    assert ember.randn(3, dtype=ember.float64).dtype == ember.float64
    assert ember.rand(3, dtype=ember.float16).dtype == ember.float16


def test_creation_errors():
    with pytest.raises((ValueError, RuntimeError)):
        ember.zeros(-1)
    with pytest.raises(RuntimeError, match="step"):
        ember.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="CPU only"):
        ember.zeros(2, device="cuda")
    with pytest.raises(TypeError, match="np.ndarray"):
        ember.from_numpy([1, 2])


def test_device_argument_accepted():
    for d in ["cpu", ember.device("cpu")]:
        assert ember.zeros(2, device=d).device == ember.device("cpu")
        assert ember.tensor([1.0], device=d).device.type == "cpu"
    assert not ember.cuda.is_available()
