"""ONNX translations of views, indexing, joins and rearrangements."""
import numpy as np
from onnx import helper

from ..ops import index as I, join_split as J, rearrange as RA, views as V
from ._registry import translates
from ._trace import Arange

BIG = np.iinfo(np.int64).max


def reshape_target(g, c, j=0):
    """The output shape as Reshape's shape input: static, or with the one entry that follows the
    dynamic axes as -1, or read at run time."""
    s1, s2 = c.out_shape(j), c.out_shape2(j)
    if s1 == s2:
        return g.i64(list(s1))
    diff = [i for i, (a, b) in enumerate(zip(s1, s2)) if a != b]
    if len(diff) == 1:
        v = list(s1)
        v[diff[0]] = -1
        return g.i64(v)
    return c.out_shape_vector(j)


@translates(V.Reshape, V.Squeeze, V.SqueezeDim, V.Unsqueeze)
def _reshape(g, c):
    return g.node("Reshape", [c.x(0), reshape_target(g, c)])


@translates(V.Expand)
def _expand(g, c):
    return g.node("Expand", [c.x(0), c.out_shape_vector()])


@translates(V.Permute, V.Transpose)
def _permute(g, c):
    return g.node("Transpose", [c.x(0)], perm=[int(a) for a in c.a(1)])


@translates(V.T)
def _t(g, c):
    return g.node("Transpose", [c.x(0)], perm=list(range(c.rank(0)))[::-1])


@translates(RA._Clone)
def _clone(g, c):
    return g.node("Identity", [c.x(0)])


# -- indexing --------------------------------------------------------------------------------------
def _slice_bounds(s):
    """ONNX Slice's (start, end, step) for a Python slice: ONNX reads negative and out-of-range
    bounds as Python does, so they hold at any size of a dynamic axis."""
    step = 1 if s.step is None else int(s.step)
    if step > 0:
        return (0 if s.start is None else int(s.start)), (BIG if s.stop is None else int(s.stop)), step
    return (BIG if s.start is None else int(s.start)), (-BIG - 1 if s.stop is None else int(s.stop)), step


def _expand_key(key, rank):
    key = key if isinstance(key, tuple) else (key,)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (rank - used))
        else:
            out.append(k)
    if not any(k is Ellipsis for k in key):
        out.extend([slice(None)] * (rank - used))
    return out


def basic_index(g, c, x, key):
    """``x[key]`` for ints, slices, None and Ellipsis: Slice, then Squeeze (ints), then Unsqueeze (None)."""
    shape = c.shape(0)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_dim = 0
    for k in _expand_key(key, len(shape)):
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, slice):
            if k != slice(None):
                b = _slice_bounds(k)
                starts.append(b[0]), ends.append(b[1]), steps.append(b[2]), axes.append(dim)
            out_dim += 1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            k = int(k)
            starts.append(k), ends.append(k + 1 if k != -1 else BIG), steps.append(1), axes.append(dim)
            squeeze.append(dim)
        else:
            c.fail(f"an index of type {type(k).__name__} mixed with others")
        dim += 1
    if axes:
        x = g.node("Slice", [x, g.i64(starts), g.i64(ends), g.i64(axes), g.i64(steps)])
    if squeeze:
        x = g.node("Squeeze", [x, g.i64(squeeze)])
    if unsqueeze:
        x = g.node("Unsqueeze", [x, g.i64(unsqueeze)])
    if not (axes or squeeze or unsqueeze):
        x = g.node("Identity", [x])
    return x


@translates(V.Slice)
def _slice(g, c):
    return basic_index(g, c, c.x(0), c.a(1))


@translates(I.Index, I._BasicIndex, I._SelectIndex, I._UnsqueezeIndex, I._AdvancedIndex)
def _index(g, c):
    key = c.a(1)
    items = key if isinstance(key, tuple) else (key,)
    arrays = [i for i, k in enumerate(items) if isinstance(k, np.ndarray) or hasattr(k, "_data")]
    if not arrays:
        return basic_index(g, c, c.x(0), key)
    full = _expand_key(key, c.rank(0))
    pos = [i for i, k in enumerate(full) if isinstance(k, np.ndarray) or hasattr(k, "_data")]
    rest = [k for i, k in enumerate(full) if i != pos[0]]
    idx = full[pos[0]]
    integer = np.asarray(getattr(idx, "_data", idx)).dtype.kind in "iu"
    if len(pos) != 1 or any(k != slice(None) for k in rest) or not integer:
        c.fail("advanced indexing other than one integer index array with full slices elsewhere")
    arr = getattr(idx, "_data", idx)
    idx_name = c.ex.value(idx) if c.ex.is_live(idx) else g.const(np.asarray(arr, np.int64))
    return g.node("Gather", [c.x(0), idx_name], axis=pos[0])


@translates(I.IndexSelect)
def _index_select(g, c):
    return g.node("Gather", [c.x(0), c.x(2)], axis=int(c.a(1)) % c.rank(0))


@translates(I.Gather)
def _gather(g, c):
    return g.node("GatherElements", [c.x(0), c.x(2)], axis=int(c.a(1)) % c.rank(0))


@translates(I.MaskedFill)
def _masked_fill(g, c):
    value = c.operand(2, c.out_dtype())
    mask = c.x(1) if c.ex.is_live(c.a(1)) else g.const(np.asarray(c.value_of(1), bool))
    return g.node("Where", [mask, value, c.x(0)])


# -- joins and rearrangements ------------------------------------------------------------------------
@translates(J.Cat)
def _cat(g, c):
    rank = len(c.out_shape())
    return g.node("Concat", [c.x(i) for i in range(1, c.nargs)], axis=int(c.a(0)) % rank)


@translates(J.Stack)
def _stack(g, c):
    axis = int(c.a(0)) % len(c.out_shape())
    parts = [g.node("Unsqueeze", [c.x(i), g.i64([axis])]) for i in range(1, c.nargs)]
    return parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=axis)


@translates(RA.Flip)
def _flip(g, c):
    axes = [int(a) % c.rank(0) for a in (c.a(1) if isinstance(c.a(1), (tuple, list)) else (c.a(1),))]
    n = len(axes)
    return g.node("Slice", [c.x(0), g.i64([-1] * n), g.i64([-BIG - 1] * n), g.i64(axes), g.i64([-1] * n)])


@translates(RA.Repeat)
def _repeat(g, c):
    reps = list(c.a(1))
    x = c.x(0)
    lead = len(reps) - c.rank(0)
    if lead:
        x = g.node("Unsqueeze", [x, g.i64(list(range(lead)))])
    return g.node("Tile", [x, g.i64(reps)])


@translates(Arange)
def _arange(g, c):
    """Range(start, end, step); a bound that follows a dynamic axis is read from the input's shape."""
    dt = c.out_dtype()
    bounds = []
    for i in range(3):
        v, v2 = c.a(i), c.a2(i)
        if v == v2:
            bounds.append(g.scalar(v, dt))
        else:
            entry = g.shape_vector([v], [v2], "an arange bound")
            if np.dtype(dt) != np.int64:
                entry = g.node("Cast", [entry], to=helper.np_dtype_to_tensor_dtype(np.dtype(dt)))
            bounds.append(g.node("Squeeze", [entry, g.i64([0])]))
    return g.node("Range", bounds)
