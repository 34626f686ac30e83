"""Tensor methods and Python operators, forwarding to the functions in ember.ops."""
import numbers

import numpy as np

from . import ops
from ._tensor import Tensor, _wrap
from .ops import arithmetic, comparison, math_functions
from .ops.index import getitem, setitem

# Methods whose signature is the function's with ``self`` as the first argument.
_SAME = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative", "pow",
    "float_power", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "abs",
    "absolute", "sign", "sgn", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "sigmoid", "relu", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin",
    "reciprocal", "square", "floor", "ceil", "round", "trunc", "frac", "floor_divide", "remainder",
    "fmod", "lerp", "addcmul", "addcdiv", "atan2", "hypot", "erf", "eq", "ne", "lt", "le", "gt", "ge",
    "greater", "less", "greater_equal", "less_equal", "not_equal", "equal", "isnan", "isinf",
    "isfinite", "logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "allclose", "isclose", "nan_to_num", "signbit", "xlogy",
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
    "logsumexp", "norm", "cumsum", "cumprod", "all", "any", "count_nonzero", "median", "nansum",
    "aminmax", "reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
    "swapaxes", "swapdims", "t", "expand", "expand_as", "repeat", "tile", "flip", "fliplr", "flipud",
    "roll", "narrow", "split", "chunk", "unbind", "movedim", "moveaxis", "view_as", "reshape_as",
    "ravel", "broadcast_to", "repeat_interleave", "select", "tensor_split", "tril", "triu", "diag", "diagonal", "trace",
    "sort", "argsort", "topk", "unique", "nonzero", "masked_select", "clone", "gather", "scatter",
    "scatter_add", "index_select", "masked_fill", "take_along_dim", "take", "index_add", "index_put",
    "matmul", "mm", "bmm", "dot", "vdot", "outer", "ger", "mv", "inner", "kron", "cross",
    "softmax", "log_softmax", "softmin",
]

for _name in _SAME:
    setattr(Tensor, _name, getattr(ops, _name))


def _contiguous(self, memory_format=None):
    return self if self._data.flags.c_contiguous else ops.clone(self)


def _where(self, condition, y):
    return ops.where(condition, self, y)


def _type_as(self, other):
    return self.to(other.dtype)


def _dim_order(self):
    return tuple(range(self._data.ndim))


Tensor.contiguous = _contiguous
Tensor.where = _where
Tensor.type_as = _type_as
Tensor.dim_order = _dim_order
Tensor.T = property(lambda self: ops.permute(self, *reversed(range(self._data.ndim))))
Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
Tensor.H = Tensor.T
Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


def _binary(fn, reverse=False):
    def method(self, other):
        if not isinstance(other, (Tensor, numbers.Number, np.ndarray, list, tuple, np.generic)):
            return NotImplemented
        return fn(other, self) if reverse else fn(self, other)
    return method


def _fast_binary(op, fn, reverse=False):
    """Operator with a fast path for the common case: same-dtype float tensors, or a float
    tensor with a Python number (no promotion needed)."""
    slow = _binary(fn, reverse)

    def method(self, other):
        if self._data.dtype.kind == "f":
            if isinstance(other, Tensor):
                if other._data.dtype is self._data.dtype:
                    return op.apply(other, self) if reverse else op.apply(self, other)
            elif type(other) is float or type(other) is int:
                return op.apply(other, self) if reverse else op.apply(self, other)
        return slow(self, other)
    method.__name__ = fn.__name__
    return method


Tensor.__add__ = _fast_binary(arithmetic.Add, arithmetic.add)
Tensor.__radd__ = _fast_binary(arithmetic.Add, arithmetic.add, True)
Tensor.__sub__ = _fast_binary(arithmetic.Sub, arithmetic.sub)
Tensor.__rsub__ = _fast_binary(arithmetic.Sub, arithmetic.sub, True)
Tensor.__mul__ = _fast_binary(arithmetic.Mul, arithmetic.mul)
Tensor.__rmul__ = _fast_binary(arithmetic.Mul, arithmetic.mul, True)
Tensor.__truediv__ = _fast_binary(arithmetic.Div, arithmetic.div)
Tensor.__rtruediv__ = _fast_binary(arithmetic.Div, arithmetic.div, True)
Tensor.__floordiv__ = _binary(arithmetic.floor_divide)
Tensor.__rfloordiv__ = _binary(arithmetic.floor_divide, True)
Tensor.__mod__ = _binary(arithmetic.remainder)
Tensor.__rmod__ = _binary(arithmetic.remainder, True)
Tensor.__pow__ = _binary(arithmetic.pow)
Tensor.__rpow__ = _binary(arithmetic.pow, True)
Tensor.__matmul__ = _binary(ops.matmul)
Tensor.__rmatmul__ = _binary(ops.matmul, True)
Tensor.__eq__ = _binary(comparison.eq)
Tensor.__ne__ = _binary(comparison.ne)
Tensor.__lt__ = _binary(comparison.lt)
Tensor.__le__ = _binary(comparison.le)
Tensor.__gt__ = _binary(comparison.gt)
Tensor.__ge__ = _binary(comparison.ge)
Tensor.__and__ = _binary(comparison.bitwise_and)
Tensor.__rand__ = _binary(comparison.bitwise_and, True)
Tensor.__or__ = _binary(comparison.bitwise_or)
Tensor.__ror__ = _binary(comparison.bitwise_or, True)
Tensor.__xor__ = _binary(comparison.bitwise_xor)
Tensor.__rxor__ = _binary(comparison.bitwise_xor, True)
Tensor.__neg__ = arithmetic.neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = math_functions.abs
Tensor.__invert__ = comparison.bitwise_not
Tensor.__hash__ = lambda self: id(self)


# -- in-place forms: compute out of place, then write into self's buffer ---------------------
def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._inplace_apply(fn, *args, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place form of ``{fn.__name__}``."
    return method


for _name in ["add", "sub", "mul", "div", "pow", "clamp", "clip", "clamp_min", "clamp_max", "exp",
              "log", "log1p", "sqrt", "rsqrt", "abs", "neg", "sigmoid", "tanh", "relu", "floor",
              "ceil", "round", "trunc", "sign", "reciprocal", "square", "sin", "cos", "remainder",
              "fmod", "lerp", "addcmul", "addcdiv", "masked_fill", "scatter", "scatter_add",
              "index_add", "maximum", "minimum", "exp2", "expm1", "log2", "log10", "frac", "atan2",
              "index_put", "nan_to_num", "erf", "subtract", "multiply", "divide", "true_divide",
              "negative", "absolute", "floor_divide"]:
    setattr(Tensor, _name + "_", _inplace(getattr(ops, _name)))

Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_
Tensor.__ipow__ = Tensor.pow_
Tensor.__imod__ = Tensor.remainder_
Tensor.__ifloordiv__ = Tensor.floor_divide_
