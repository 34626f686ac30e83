"""ONNX translation of ``scatter_reduce`` (and ``index_reduce``, the same op): ``ScatterElements`` with a ``reduction`` (opset 18 has
add, mul, max and min; ember exports opset 18 to 20).

- sum / prod / amax / amin: one ScatterElements with reduction add / mul / max / min.
- ``include_self=False``: the written positions first get the reduction's identity (0, 1, -inf, +inf or
  the integer type's extreme) by a plain ScatterElements, then the reduction runs on top.
- mean: the sum as above divided by the count of values reduced into each position (ScatterElements
  add of ones onto ones, or onto zeros without include_self; at least 1), as PyTorch. Integer means
  are refused at export time (PyTorch floors the quotient; ONNX's integer Div truncates toward zero).
- a ``src`` larger than ``index`` is sliced to the index's shape (PyTorch reads only that part).
"""
import numpy as np

from ..ops import index_extra as IE
from ._registry import translates

_REDUCTION = {"sum": "add", "mean": "add", "prod": "mul", "amax": "max", "amin": "min"}


def _filled(g, value, dtype, like):
    """A tensor of ``like``'s run-time shape full of ``value``."""
    return g.node("Expand", [g.scalar(value, dtype), g.node("Shape", [like])])


@translates(IE.ScatterReduce, IE.ScatterReduceProd, IE.IndexReduce, IE.IndexReduceProd)
def _scatter_reduce(g, c):
    if c.rank(0) == 0:
        c.fail("scatter_reduce of a 0-d tensor (ONNX's ScatterElements needs at least one dimension); "
               "reshape the input to 1-D first")
    axis = int(c.a(2)) % c.rank(0)
    reduce, include_self = c.a(4), c.a(5)
    dt = np.dtype(c.out_dtype())
    if reduce == "mean" and dt.kind != "f":
        c.fail(f"scatter_reduce(reduce='mean') of a {dt} tensor (PyTorch floors the integer mean, ONNX's "
               "integer Div truncates toward zero); compute the mean in floating point and cast back")
    x, idx, src = c.x(0), c.x(3), c.x(1)
    if c.shape(1) != c.shape(3) or c.shape2(1) != c.shape2(3):
        src = g.node("Slice", [src, g.i64([0] * c.rank(1)), g.node("Shape", [idx])])
    if not include_self:
        x = g.node("ScatterElements", [x, idx, _filled(g, IE._identity(reduce, dt), dt, idx)], axis=axis)
    out = g.node("ScatterElements", [x, idx, src], axis=axis, reduction=_REDUCTION[reduce])
    if reduce == "mean":
        count = g.node("ScatterElements", [_filled(g, 1 if include_self else 0, dt, c.x(0)), idx,
                                           _filled(g, 1, dt, idx)], axis=axis, reduction="add")
        out = g.node("Div", [out, g.node("Max", [count, g.scalar(1, dt)])])
    return out
