"""dtypes and type promotion vs PyTorch: tensor x tensor, tensor x Python scalar, 0-d vs n-d."""
import itertools

import numpy as np
import pytest
import torch

import ember

NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _e(name, shape=(2,)):
    return ember.ones(shape, dtype=getattr(ember, name))


def _t(name, shape=(2,)):
    return torch.ones(shape, dtype=getattr(torch, name))


def _name(t):
    return str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_tensor_tensor_promotion(a, b):
    assert _name(_e(a) + _e(b)) == _name(_t(a) + _t(b))
    assert _name(_e(a) * _e(b)) == _name(_t(a) * _t(b))


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_zero_dim_vs_n_dim(a, b):
    # a 0-d tensor only matters when it is of a higher category (bool < int < float)
    assert _name(_e(a, ()) + _e(b)) == _name(_t(a, ()) + _t(b)), "0-d + n-d"
    assert _name(_e(b) - _e(a, ()) if b != "bool" and a != "bool" else _e(b) * _e(a, ())) == \
        _name(_t(b) - _t(a, ()) if b != "bool" and a != "bool" else _t(b) * _t(a, ())), "n-d op 0-d"


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=["int", "float", "bool"])
def test_tensor_scalar_promotion(a, scalar):
    assert _name(_e(a) * scalar) == _name(_t(a) * scalar)
    assert _name(scalar * _e(a)) == _name(scalar * _t(a))
    assert _name(_e(a, ()) + scalar) == _name(_t(a, ()) + scalar)


@pytest.mark.parametrize("a", NAMES)
def test_true_division_and_unary_float_results(a):
    assert _name(_e(a) / _e(a)) == _name(_t(a) / _t(a))
    assert _name(_e(a) / 2) == _name(_t(a) / 2)
    assert _name(ember.exp(_e(a))) == _name(torch.exp(_t(a)))
    assert _name(ember.sqrt(_e(a))) == _name(torch.sqrt(_t(a)))


@pytest.mark.parametrize("a", NAMES)
def test_reduction_dtypes(a):
    assert _name(_e(a).sum()) == _name(_t(a).sum())
    assert _name(_e(a).prod()) == _name(_t(a).prod())
    assert _name(_e(a).cumsum(0)) == _name(_t(a).cumsum(0))
    if a != "bool":   # torch: argmax does not support bool
        assert _name(_e(a).argmax()) == _name(_t(a).argmax())
    if a != "bool":
        assert _name(_e(a).amax()) == _name(_t(a).amax())
        assert _name(_e(a).max(0).values) == _name(_t(a).max(0).values)


def test_scalar_does_not_promote_float32():
    x = ember.ones(3)
    assert (x * 2.5).dtype == ember.float32
    assert (x + np.float64(2.5)).dtype == ember.float32
    assert (x * ember.tensor(2.5, dtype=ember.float64)).dtype == ember.float32   # 0-d of same category
    assert (ember.ones(3, dtype=ember.int32) * 2).dtype == ember.int32
    assert (ember.ones(3, dtype=ember.uint8) + 300).dtype == ember.uint8   # wraps, as torch
    assert (ember.ones(3, dtype=ember.uint8) + 300).tolist() == (torch.ones(3, dtype=torch.uint8) + 300).tolist()
    assert (ember.ones(3, dtype=ember.int8) * -200).tolist() == (torch.ones(3, dtype=torch.int8) * -200).tolist()


def test_int_tensor_with_float_scalar_uses_default_dtype():
    assert (ember.arange(3) * 0.5).dtype == ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert (ember.arange(3) * 0.5).dtype == ember.float64
        assert ember.tensor([1.0]).dtype == ember.float64
        assert ember.zeros(2).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.get_default_dtype() == ember.float32


def test_set_default_dtype_rejects_ints():
    with pytest.raises(TypeError, match="floating"):
        ember.set_default_dtype(ember.int64)


def test_dtype_objects():
    assert ember.float is ember.float32 and ember.double is ember.float64 and ember.long is ember.int64
    assert ember.half is ember.float16 and ember.int is ember.int32 and ember.short is ember.int16
    assert repr(ember.float32) == "ember.float32"
    assert str(ember.bool) == "ember.bool"
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.int8.is_signed and not ember.uint8.is_signed
    assert ember.float64.itemsize == 8
    for n in NAMES:
        assert ember.tensor([1], dtype=getattr(ember, n)).dtype is getattr(ember, n)
        assert ember.tensor([1], dtype=getattr(ember, n)).element_size() == getattr(torch, n).itemsize


def test_dtype_pickles():
    import pickle
    assert pickle.loads(pickle.dumps(ember.float16)) is ember.float16


def test_comparison_result_and_mixed_compare():
    assert (ember.ones(2) == ember.ones(2, dtype=ember.int64)).dtype == ember.bool
    assert (ember.arange(3) < 1.5).tolist() == [True, True, False]


def test_unsupported_numpy_dtype_errors():
    with pytest.raises(TypeError, match="no ember equivalent"):
        ember.from_numpy(np.zeros(2, dtype=np.uint16))
    with pytest.raises(TypeError):
        ember.tensor([1 + 2j])
