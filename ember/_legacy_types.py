"""PyTorch's legacy tensor types: ``ember.FloatTensor``, ``DoubleTensor``, ``LongTensor``, ...

Each is a constructor for its dtype (``ember.FloatTensor([1, 2])``, ``ember.LongTensor(3)``) and an
``isinstance`` test for a tensor of that dtype, as in PyTorch (``isinstance(x, ember.FloatTensor)``
is True only for a float32 tensor).

Example:
    >>> ember.DoubleTensor([1, 2]).dtype
    ember.float64
"""
from . import _dtype
from ._tensor import Tensor


class tensortype(type):
    """The metaclass: ``isinstance(x, ember.FloatTensor)`` compares x's dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __call__(cls, *args, **kwargs):
        if "dtype" in kwargs:
            raise TypeError(f"{cls.__name__}() takes no dtype= (its dtype is {cls.dtype}); use ember.tensor(..., dtype=)")
        return Tensor(*(args or (0,)), dtype=cls.dtype, **kwargs)      # no arguments: an empty tensor

    def __repr__(cls):
        return f"<class '{_dtype.DISPLAY_NAMESPACE}.{cls.__name__}'>"


def _make(name, d):
    return tensortype(name, (), {"dtype": d, "__doc__": f"Legacy constructor and isinstance test for {d} tensors.",
                                 "__module__": "ember"})


TYPES = {name: _make(name, getattr(_dtype, d)) for name, d in [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"), ("ByteTensor", "uint8"),
    ("CharTensor", "int8"), ("ShortTensor", "int16"), ("IntTensor", "int32"), ("LongTensor", "int64"),
    ("BoolTensor", "bool_")]}

FloatTensor, DoubleTensor, HalfTensor = TYPES["FloatTensor"], TYPES["DoubleTensor"], TYPES["HalfTensor"]
ByteTensor, CharTensor, ShortTensor = TYPES["ByteTensor"], TYPES["CharTensor"], TYPES["ShortTensor"]
IntTensor, LongTensor, BoolTensor = TYPES["IntTensor"], TYPES["LongTensor"], TYPES["BoolTensor"]
