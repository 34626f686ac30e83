"""The ONNX graph being built, and one traced op as its translation sees it.

``Graph`` collects nodes and initializers and makes the small helper values translations need
(int64 vectors, scalars of a dtype, a shape vector whose batch entry is read at run time).
``Call`` is one traced op: its tensor arguments as ONNX names, its constant arguments, and its
shapes in the trace at the exported sizes and, when ``dynamic_axes`` is given, in a second trace
at other sizes: an entry that differs between the two traces is computed at run time.
"""
import re

import numpy as np
from onnx import helper, numpy_helper

from .._tensor import Tensor
from ._registry import UnsupportedOperatorError


class Graph:
    def __init__(self, opset, dims):
        self.opset = opset
        self.dims = dims            # dynamic dims of the graph inputs: (input name, axis, size 1, size 2)
        self.nodes = []
        self.initializers = []
        self._count = 0
        self._cache = {}

    def fresh(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def node(self, op_type, inputs, n_out=1, **attrs):
        """Append one ONNX node; return its output name (or list of names if ``n_out > 1``)."""
        outs = [self.fresh(op_type) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, [i if i is not None else "" for i in inputs], outs,
                                           name=self.fresh(f"/{op_type}"), **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, array, hint="const"):
        """An initializer holding ``array`` (kept as is: dtype and shape)."""
        array = np.asarray(array)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 64 else None
        if key is not None and key in self._cache:
            return self._cache[key]
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(_contiguous(array), name))
        if key is not None:
            self._cache[key] = name
        return name

    def named_const(self, array, name):
        self.initializers.append(numpy_helper.from_array(_contiguous(array), name))
        return name

    def i64(self, values):
        return self.const(np.asarray(values, dtype=np.int64), "ints")

    def scalar(self, value, dtype):
        return self.const(np.asarray(value, dtype=dtype), "scalar")

    def shape_vector(self, s1, s2, what="a shape"):
        """An int64 vector equal to ``s1`` at the exported sizes and ``s2`` at the others: the
        entries that differ are read from the graph inputs' dynamic dims at run time (a dim, or a
        dim times a constant as in batch * heads)."""
        if s2 is None or tuple(s1) == tuple(s2):
            return self.i64(list(s1))
        pieces, run = [], []
        for a, b in zip(s1, s2):
            if a == b:
                run.append(a)
                continue
            if run:
                pieces.append(self.i64(run))
                run = []
            pieces.append(self._dynamic_entry(a, b, what))
        if run:
            pieces.append(self.i64(run))
        return pieces[0] if len(pieces) == 1 else self.node("Concat", pieces, axis=0)

    def _dynamic_entry(self, a, b, what):
        for name, axis, v1, v2 in self.dims:
            if v1 == a and v2 == b:
                return self.node("Shape", [name], start=axis, end=axis + 1)
        for name, axis, v1, v2 in self.dims:
            if v1 and a % v1 == 0 and a // v1 * v2 == b:
                dim = self.node("Shape", [name], start=axis, end=axis + 1)
                return self.node("Mul", [dim, self.i64([a // v1])])
        for name, axis, v1, v2 in self.dims:
            if a - v1 == b - v2:                           # a dim plus a constant (x.shape[1] + 1)
                dim = self.node("Shape", [name], start=axis, end=axis + 1)
                return self.node("Add", [dim, self.i64([a - v1])])
        raise UnsupportedOperatorError(f"ember.onnx.export: {what} has an entry that follows the dynamic axes "
                                       f"({a} at the exported sizes, {b} at others) in a way ember.onnx cannot "
                                       "compute at run time")


def op_name(cls):
    """``ScaledDotProductAttention`` -> ``scaled_dot_product_attention`` (for messages)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__.lstrip("_")).lower()


class Call:
    """One traced op, as a translation reads it."""

    def __init__(self, exporter, step, step2):
        self.ex, self.step, self.step2 = exporter, step, step2
        self.cls = step.cls
        self.nargs = len(step.args)

    # -- where -----------------------------------------------------------------------------------
    @property
    def where(self):
        return "model" + (f".{self.step.where}" if self.step.where else "")

    def fail(self, what):
        raise UnsupportedOperatorError(f"ember.onnx.export: {what}, in op '{op_name(self.cls)}' (in {self.where})")

    # -- arguments -------------------------------------------------------------------------------
    def is_tensor(self, i):
        return isinstance(self.step.args[i], (Tensor, np.ndarray))

    def x(self, i):
        """ONNX name of tensor argument ``i``."""
        a = self.step.args[i]
        return self.ex.value(a, None if self.step2 is None else self.step2.args[i])

    def a(self, i):
        """Constant argument ``i`` at the exported sizes."""
        return self.step.args[i]

    def a2(self, i):
        """Constant argument ``i`` in the second trace (the same when there is none)."""
        return self.step.args[i] if self.step2 is None else self.step2.args[i]

    @property
    def dynamic(self):
        return self.step2 is not None

    def _array(self, v):
        return v._data if isinstance(v, Tensor) else np.asarray(v)

    def shape(self, i):
        return tuple(self._array(self.step.args[i]).shape)

    def shape2(self, i):
        return self.shape(i) if self.step2 is None else tuple(self._array(self.step2.args[i]).shape)

    def dtype(self, i):
        return self._array(self.step.args[i]).dtype

    def rank(self, i):
        return len(self.shape(i))

    def out_shape(self, j=0):
        return tuple(self.step.outs[j]._data.shape)

    def out_shape2(self, j=0):
        return self.out_shape(j) if self.step2 is None else tuple(self.step2.outs[j]._data.shape)

    def out_dtype(self, j=0):
        return self.step.outs[j]._data.dtype

    def value_of(self, i):
        """The traced values of tensor argument ``i`` (for arguments that must be constant)."""
        return self._array(self.step.args[i])

    def operand(self, i, dtype):
        """Argument ``i`` as an ONNX value of ``dtype``: a tensor (cast if needed) or a Python number."""
        if self.is_tensor(i):
            name = self.x(i)
            if self.dtype(i) != dtype:
                name = self.ex.g.node("Cast", [name], to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))
            return name
        return self.ex.g.scalar(self.a(i), dtype)

    def out_shape_vector(self, j=0):
        return self.ex.g.shape_vector(self.out_shape(j), self.out_shape2(j), f"the output shape of {self.where}")


def _contiguous(array):
    return array if array.flags.c_contiguous else array.copy(order="C")   # (ascontiguousarray makes 0-d 1-d)
