"""Idioms real PyTorch programs use, each checked against torch itself: NumPy's axis=/keepdims=,
Python types as dtypes, the factories' overloads, indexing with ranges/lists/tuples, and a lazy
RandomSampler with replacement."""
import time
import tracemalloc

import numpy as np
import pytest
import torch

import ember
from ember.utils.data import BatchSampler, RandomSampler


def _pair(shape=(3, 4), seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _values(out):
    if isinstance(out, (tuple, list)):
        return [_values(o) for o in out]
    return out.detach().numpy() if hasattr(out, "detach") else out


def _close(e, t):
    e, t = _values(e), _values(t)
    if isinstance(e, list):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            _close(a, b)
        return
    np.testing.assert_allclose(np.asarray(e, dtype=np.float64), np.asarray(t, dtype=np.float64), rtol=1e-5, atol=1e-6)
    assert np.shape(e) == np.shape(t)


# -- 1. axis= / keepdims= ------------------------------------------------------------------
KEEPDIM_FNS = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
               "logsumexp", "all", "any", "median", "nansum", "aminmax"]
AXIS_ONLY_FNS = ["cumsum", "cumprod", "sort", "argsort", "count_nonzero"]


@pytest.mark.parametrize("name", KEEPDIM_FNS)
@pytest.mark.parametrize("kw", [dict(axis=1), dict(dim=1, keepdims=True), dict(axis=1, keepdims=True),
                                dict(axis=0, keepdims=False)])
@pytest.mark.parametrize("method", [False, True])
def test_axis_keepdims(name, kw, method):
    e, t = _pair()
    if name in ("all", "any"):
        e, t = e.detach() > 0, t.detach() > 0
    fe = getattr(e, name) if method else (lambda **k: getattr(ember, name)(e, **k))
    ft = getattr(t, name) if method else (lambda **k: getattr(torch, name)(t, **k))
    _close(fe(**kw), ft(**kw))


@pytest.mark.parametrize("name", AXIS_ONLY_FNS)
@pytest.mark.parametrize("method", [False, True])
def test_axis_only(name, method):
    e, t = _pair()
    fe = getattr(e, name) if method else (lambda **k: getattr(ember, name)(e, **k))
    ft = getattr(t, name) if method else (lambda **k: getattr(torch, name)(t, **k))
    _close(fe(axis=1), ft(axis=1))
    _close(fe(axis=0), ft(axis=0))


def test_topk_axis():
    e, t = _pair()
    _close(e.topk(2, axis=0), t.topk(2, axis=0))
    _close(ember.topk(e, 2, axis=1), torch.topk(t, 2, axis=1))


def test_var_mean_axis():
    e, t = _pair()
    _close(ember.var_mean(e, axis=1, keepdims=True), torch.var_mean(t, axis=1, keepdims=True))
    _close(ember.std_mean(e, axis=0), torch.std_mean(t, axis=0))


def test_axis_gradients():
    e, t = _pair()
    (e.sum(axis=1, keepdims=True) * e.mean(axis=0, keepdims=True)).sum().backward()
    (t.sum(axis=1, keepdims=True) * t.mean(axis=0, keepdims=True)).sum().backward()
    _close(e.grad, t.grad)


def test_axis_and_dim_together_is_a_type_error():
    e, t = _pair()
    for f in (lambda x: x.sum(dim=1, axis=1), lambda x: x.mean(keepdim=True, keepdims=True, dim=0),
              lambda x: x.cumsum(1, axis=1)):
        with pytest.raises(TypeError):
            f(t)
        with pytest.raises(TypeError):
            f(e)


def test_required_dim_still_required():
    e, t = _pair()
    for name in ("cumsum", "cumprod", "logsumexp"):
        with pytest.raises(TypeError):
            getattr(torch, name)(t)
        with pytest.raises(TypeError):
            getattr(ember, name)(e)


# -- 2. Python types as dtypes -------------------------------------------------------------
@pytest.mark.parametrize("py, name", [(float, "float64"), (int, "int64"), (bool, "bool")])
def test_python_types_as_dtypes(py, name):
    pairs = [
        (ember.tensor([1, 0], dtype=py), torch.tensor([1, 0], dtype=py)),
        (ember.zeros(2, dtype=py), torch.zeros(2, dtype=py)),
        (ember.ones((2,), dtype=py), torch.ones((2,), dtype=py)),
        (ember.full((2,), 1, dtype=py), torch.full((2,), 1, dtype=py)),
        (ember.empty(2, dtype=py).zero_(), torch.empty(2, dtype=py).zero_()),
        (ember.ones(2).to(dtype=py), torch.ones(2).to(dtype=py)),
        (ember.zeros_like(ember.ones(2), dtype=py), torch.zeros_like(torch.ones(2), dtype=py)),
    ]
    if py is not bool:
        pairs.append((ember.arange(3, dtype=py), torch.arange(3, dtype=py)))
        pairs.append((ember.ones(3).sum(dtype=py), torch.ones(3).sum(dtype=py)))
    for e, t in pairs:
        assert str(t.dtype) == f"torch.{name}"
        assert e.dtype.name == name
        _close(e, t)


def test_python_float_ignores_the_default_dtype():
    assert torch.tensor([1.0], dtype=float).dtype == torch.float64
    assert ember.tensor([1.0], dtype=float).dtype == ember.float64
    assert ember.tensor([1.0]).dtype == ember.float32


# -- 3. factory overloads ------------------------------------------------------------------
def test_randint_overloads():
    for args, kw in [((5, (2, 3)), {}), ((2, 5, (4,)), {}), ((5,), dict(size=(3,))),
                     ((2, 5), dict(size=(3,))), ((), dict(high=5, size=(2,))),
                     ((), dict(low=1, high=3, size=(2, 2))), ((3,), dict(size=[2]))]:
        e = ember.randint(*args, **kw)
        t = torch.randint(*args, **kw)
        assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == str(t.dtype)[6:]
        lo = kw.get("low", args[0] if len(args) == 2 and isinstance(args[1], int) else 0)
        hi = kw.get("high", args[1] if len(args) >= 2 and isinstance(args[1], int) else (args[0] if args else None))
        assert (e.numpy() >= lo).all() and (e.numpy() < hi).all()
    with pytest.raises(TypeError):
        torch.randint(5)
    with pytest.raises(TypeError):
        ember.randint(5)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_overloads(name):
    for args, kw in [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((), dict(size=(2, 3))),
                     ((), dict(size=[2, 3])), ((torch.Size([2, 3]),), {}), ((), dict(size=torch.Size([2, 3])))]:
        eargs = tuple(ember.Size(a) if isinstance(a, torch.Size) else a for a in args)
        ekw = {k: (ember.Size(v) if isinstance(v, torch.Size) else v) for k, v in kw.items()}
        e = getattr(ember, name)(*eargs, **ekw)
        t = getattr(torch, name)(*args, **kw)
        assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == str(t.dtype)[6:]
    e = getattr(ember, name)(size=4)
    assert tuple(e.shape) == (4,)


def test_full_and_arange_dtypes():
    for e, t in [(ember.full((2,), 3), torch.full((2,), 3)), (ember.full((2,), 3.0), torch.full((2,), 3.0)),
                 (ember.full((2,), True), torch.full((2,), True)), (ember.full([2, 1], 1), torch.full([2, 1], 1)),
                 (ember.arange(5.), torch.arange(5.)), (ember.arange(5), torch.arange(5)),
                 (ember.arange(1, 4, 0.5), torch.arange(1, 4, 0.5))]:
        assert e.dtype.name == str(t.dtype)[6:]
        _close(e, t)


# -- 4. indexing with range / list / tuple -------------------------------------------------
KEYS = [
    lambda m: (range(3), m.tensor([0, 2, 1])),
    lambda m: (range(3), [0, 2, 1]),
    lambda m: [0, 2],
    lambda m: [2, 0, 2],
    lambda m: (0, 1),
    lambda m: ([0, 1], [1, 2]),
    lambda m: range(2),
    lambda m: range(1, 3),
    lambda m: (slice(None), range(1, 4, 2)),
    lambda m: (Ellipsis, [0, 3]),
    lambda m: ([[0, 1], [2, 2]],),
    lambda m: ([0, 2], slice(1, 3)),
    lambda m: [],
]


@pytest.mark.parametrize("key", range(len(KEYS)))
def test_getitem_values_and_gradients(key):
    e, t = _pair()
    oe, ot = e[KEYS[key](ember)], t[KEYS[key](torch)]
    _close(oe, ot)
    w = np.random.default_rng(1).standard_normal(tuple(ot.shape)).astype(np.float32)
    (oe * ember.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    _close(e.grad, t.grad)


@pytest.mark.parametrize("key", [0, 1, 2, 5, 6, 8])
def test_setitem_with_range_and_lists(key):
    e, t = _pair()
    e, t = e.detach().clone(), t.detach().clone()
    shape = tuple(t[KEYS[key](torch)].shape)
    v = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    e[KEYS[key](ember)] = ember.tensor(v)
    t[KEYS[key](torch)] = torch.tensor(v)
    _close(e, t)


def test_setitem_gradient_through_range_index():
    e, t = _pair()
    outs = []
    for m, x in ((ember, e), (torch, t)):
        y = x * 2
        y[range(2), [1, 3]] = x[0, :2] * 3
        y.sum().backward()
        outs.append(x.grad)
    _close(*outs)


# -- 5. a lazy RandomSampler ---------------------------------------------------------------
def test_random_sampler_with_replacement_is_lazy():
    data = list(range(7))
    s = RandomSampler(data, replacement=True, num_samples=10 ** 10)
    assert len(s) == 10 ** 10
    tracemalloc.start()
    t0 = time.perf_counter()
    it = iter(s)
    first = [next(it) for _ in range(5)]
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10 * 2 ** 20 and elapsed < 1.0
    assert all(0 <= i < 7 for i in first)
    b = iter(BatchSampler(s, batch_size=4, drop_last=False))
    assert len(next(b)) == 4
    ts = torch.utils.data.RandomSampler(data, replacement=True, num_samples=10 ** 10)
    assert len(ts) == len(s)


def test_random_sampler_reproducible_and_complete():
    g = ember.Generator().manual_seed(3)
    s = RandomSampler(range(10), replacement=True, num_samples=100, generator=g)
    a = list(s)
    assert len(a) == 100 and all(0 <= i < 10 for i in a)
    ember.manual_seed(0)
    x = list(RandomSampler(range(10), replacement=True, num_samples=70))
    ember.manual_seed(0)
    y = [i for b in BatchSampler(RandomSampler(range(10), replacement=True, num_samples=70), 8, False) for i in b]
    assert x == y and len(x) == 70
    ember.manual_seed(0)
    p = list(RandomSampler(range(10), num_samples=25))
    assert len(p) == 25 and sorted(p[:10]) == list(range(10)) and sorted(p[10:20]) == list(range(10))
