"""Comparisons and logic, elementwise, with no gradient: eq/ne/lt/le/gt/ge (and their long names),
logical_and/or/xor/not and bitwise_and/or/xor/not, the tests isnan/isinf/isfinite/signbit and
isclose; and equal and allclose, which answer for the whole tensor with a Python bool.

Layer: beside arithmetic at the bottom of the op families (it uses none of them).
"""
import numpy as np

from .._dtype import result_type
from .._tensor import Tensor, _wrap
from ._util import as_tensor_arg, broadcast_error

__all__ = [
    "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "isnan", "isinf", "isfinite", "signbit", "isclose", "equal", "allclose",
]


def _cmp(name, f):
    def fn(input, other):
        a = input._data if isinstance(input, Tensor) else input
        o = as_tensor_arg(other)
        b = o._data if isinstance(o, Tensor) else o
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype != b.dtype:
            dt = result_type(a, b)  # compared in the promoted dtype, as PyTorch (float16 1e38 is inf)
            with np.errstate(over="ignore"):
                a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
        try:
            return _wrap(np.asarray(f(a, b)))
        except ValueError:
            raise broadcast_error(a, b) from None
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` comparison; a bool tensor."
    return fn


eq = _cmp("eq", np.equal)
ne = not_equal = _cmp("ne", np.not_equal)
lt = less = _cmp("lt", np.less)
le = less_equal = _cmp("le", np.less_equal)
gt = greater = _cmp("gt", np.greater)
ge = greater_equal = _cmp("ge", np.greater_equal)
logical_and = _cmp("logical_and", np.logical_and)
logical_or = _cmp("logical_or", np.logical_or)
logical_xor = _cmp("logical_xor", np.logical_xor)


def logical_not(input):
    return _wrap(np.logical_not(input._data))


def _bitwise(name, f):
    def fn(input, other):
        o = as_tensor_arg(other)
        b = o._data if isinstance(o, Tensor) else o
        return _wrap(np.asarray(f(input._data, b)))
    fn.__name__ = name
    return fn


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)


def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise TypeError("bitwise_not (~) is only defined for integer and bool tensors; "
                        "for a float mask compare first, e.g. ~(x > 0)")
    return _wrap(np.invert(input._data))


def isnan(input):
    return _wrap(np.isnan(input._data))


def isinf(input):
    return _wrap(np.isinf(input._data))


def isfinite(input):
    return _wrap(np.isfinite(input._data))


def signbit(input):
    return _wrap(np.signbit(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(input._data, as_tensor_arg(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(input._data, as_tensor_arg(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))
