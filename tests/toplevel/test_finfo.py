"""ember.finfo / ember.iinfo against torch's."""
import pytest
import torch

import ember

FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
        assert type(getattr(e, attr)) is type(getattr(t, attr)), attr
    assert repr(e) == repr(t)


def test_finfo_default_is_the_default_dtype():
    assert ember.finfo().dtype == "float32"
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.finfo().dtype == "float64" == torch.finfo(torch.float64).dtype
    finally:
        ember.set_default_dtype(ember.float32)


def test_finfo_of_a_tensor_dtype_in_an_attention_mask():
    x = ember.zeros(2, 2)
    mask = ember.tensor([[False, True], [False, False]])
    y = x.masked_fill(mask, ember.finfo(x.dtype).min)
    assert y[0, 1].item() == torch.finfo(torch.float32).min


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
        assert type(getattr(e, attr)) is type(getattr(t, attr)), attr
    assert repr(e) == repr(t)


@pytest.mark.parametrize("call", [lambda m: m.iinfo(m.bool), lambda m: m.iinfo(m.float32),
                                  lambda m: m.finfo(m.int32), lambda m: m.finfo(m.bool),
                                  lambda m: m.finfo("float32"), lambda m: m.iinfo(3)])
def test_wrong_kinds_raise_type_error_like_torch(call):
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError):
        call(ember)
