"""asarray, frombuffer, empty_strided, scalar_tensor and the deprecated range, against torch."""
import array
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.both import assert_same


def test_asarray_shares_numpy_memory_unless_a_copy_is_needed():
    for m in (torch, ember):
        a = np.arange(4, dtype=np.float32)
        m.asarray(a)[0] = 9                                  # shared
        m.asarray(a, dtype=m.float64)[1] = 9                 # converted: a copy
        m.asarray(a, copy=True)[2] = 9                       # forced copy
        assert a.tolist() == [9, 1, 2, 3], m.__name__


def test_asarray_copy_false_raises_where_a_copy_is_needed():
    a = np.arange(4, dtype=np.float32)
    with pytest.raises(ValueError):
        torch.asarray(a, dtype=torch.float64, copy=False)
    with pytest.raises(ValueError):
        ember.asarray(a, dtype=ember.float64, copy=False)
    with pytest.raises(ValueError):
        ember.asarray(ember.ones(2), dtype=ember.float64, copy=False)


@pytest.mark.parametrize("data", [[1, 2], [1.0, 2.0], 3.0, [True], np.float64(3), np.arange(3.0), [[1, 2], [3, 4]]])
def test_asarray_dtypes_match_torch(data):
    assert_same(lambda t: t.asarray(data))


def test_asarray_of_a_tensor_is_the_tensor_and_warns_about_requires_grad():
    for m in (torch, ember):
        x = m.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="requires_grad"):
            y = m.asarray(x)
        assert y is x
        z = m.asarray(x, copy=True, requires_grad=False)
        assert z is not x and not z.requires_grad and z.grad_fn is None
        z[0] = 5.0
        assert x[0].item() == 1.0
        y = m.asarray(x, dtype=m.float64, requires_grad=False)
        assert y.dtype == m.float64 and not y.requires_grad


def test_asarray_requires_grad_on_integers_raises():
    assert_same(lambda t: t.asarray([1, 2], requires_grad=True), error=RuntimeError)
    assert ember.asarray([1.0, 2.0], requires_grad=True).requires_grad


def test_frombuffer_shares_the_buffer():
    for m in (torch, ember):
        b = bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00")
        f = m.frombuffer(b, dtype=m.int32)
        assert f.tolist() == [1, 2]
        f[0] = 7
        assert b[:4] == b"\x07\x00\x00\x00"
        assert m.frombuffer(b, dtype=m.int32, count=1, offset=4).tolist() == [2]
        assert m.frombuffer(array.array("f", [1.5, 2.5]), dtype=m.float32).tolist() == [1.5, 2.5]


@pytest.mark.parametrize("kwargs", [dict(offset=2), dict(count=5), dict(count=1, offset=8)])
def test_frombuffer_bad_sizes_raise_value_error(kwargs):
    assert_same(lambda t: t.frombuffer(bytearray(8), dtype=t.int32, **kwargs), error=ValueError)


def test_frombuffer_empty_buffer_raises():
    assert_same(lambda t: t.frombuffer(bytearray(b""), dtype=t.int32), error=ValueError)


def test_frombuffer_of_bytes_warns_it_is_read_only():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        e = ember.frombuffer(b"\x01\x02", dtype=ember.uint8)
    assert e.tolist() == [1, 2] and any("not writable" in str(x.message) for x in w)


def test_empty_strided():
    for m in (torch, ember):
        e = m.empty_strided((2, 3), (1, 2))
        assert e.stride() == (1, 2) and tuple(e.shape) == (2, 3) and e.dtype == m.float32
        assert m.empty_strided((2, 3), (3, 1), dtype=m.int64).dtype == m.int64
    assert_same(lambda t: t.empty_strided((2, 3), (1,)), error=RuntimeError)
    e = ember.empty_strided((2, 3), (1, 2))
    e.fill_(1.0)
    assert e.sum().item() == 6.0


@pytest.mark.parametrize("args,kwargs", [((3,), {}), ((True,), {}), ((2,), dict(dtype="int64")),
                                         ((1.5,), dict(dtype="float64", requires_grad=True))])
def test_scalar_tensor(args, kwargs):
    def run(t):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(t, kw["dtype"])
        out = t.scalar_tensor(*args, **kw)
        assert out.requires_grad == kw.get("requires_grad", False)
        return out
    assert_same(run)
    assert_same(lambda t: t.scalar_tensor([1]), error=TypeError)


@pytest.mark.parametrize("args,kwargs", [((1, 4), {}), ((0, 1, 0.3), {}), ((0, 5, 2), {}), ((0.5, 2.5), {}),
                                         ((4, 1, -1), {}), ((0, 0), {}), ((1, 4), dict(dtype="int64")),
                                         ((1, 3), dict(dtype="float64")), ((0, 1, 0.1), {})])
def test_range_is_end_inclusive_and_warns(args, kwargs):
    def run(t):
        kw = {k: getattr(t, v) for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="deprecated"):
            return t.range(*args, **kw)
    assert_same(run)


@pytest.mark.parametrize("args", [(1, 4, 0), (4, 1)])
def test_range_bad_steps_raise_like_torch(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(lambda t: t.range(*args), error=RuntimeError)
