"""ONNX translations of layers' ops: convolutions, pools, padding, normalizations, embedding."""
import numpy as np

from .._tensor import Tensor
from ..ops import conv as C, embedding as E, interpolate as IP, normalization as N, padding as P, pool as PL
from ._registry import translates


def _geo_attrs(c, geo):
    """Conv attributes from a Geometry: 2-D, or 1-D (a rank-3 input: the geometry's width part)."""
    if c.rank(0) == 3:
        return dict(kernel_shape=[geo.kw], strides=[geo.sw], dilations=[geo.dw], pads=[geo.pl, geo.pr])
    return dict(kernel_shape=[geo.kh, geo.kw], strides=[geo.sh, geo.sw], dilations=[geo.dh, geo.dw],
                pads=[geo.pt, geo.pl, geo.pb, geo.pr])


@translates(C.Convolution)
def _conv(g, c):
    geo = c.a(3)
    ins = [c.x(0), c.x(1)] + ([c.x(2)] if c.a(2) is not None else [])
    return g.node("Conv", ins, group=geo.g, **_geo_attrs(c, geo))


@translates(C.ConvTranspose)
def _conv_transpose(g, c):
    geo = c.a(3)                     # the geometry of the conv this op is the transpose of
    attrs = _geo_attrs(c, geo)
    ins_hw = [geo.Ho, geo.Wo] if c.rank(0) == 4 else [geo.Wo]
    out_hw = [geo.H, geo.W] if c.rank(0) == 4 else [geo.W]
    k, s, d = attrs["kernel_shape"], attrs["strides"], attrs["dilations"]
    n = len(k)
    pads = attrs["pads"]
    extra = [out_hw[i] - ((ins_hw[i] - 1) * s[i] - pads[i] - pads[i + n] + d[i] * (k[i] - 1) + 1)
             for i in range(n)]
    ins = [c.x(0), c.x(1)] + ([c.x(2)] if c.a(2) is not None else [])
    return g.node("ConvTranspose", ins, group=geo.g, output_padding=extra, **attrs)


# -- padding -------------------------------------------------------------------------------------------
def _pads(pairs):
    return [int(p[0]) for p in pairs] + [int(p[1]) for p in pairs]


@translates(P.PadConstant)
def _pad_constant(g, c):
    return g.node("Pad", [c.x(0), g.i64(_pads(c.a(1))), g.scalar(c.a(2), c.out_dtype())], mode="constant")


@translates(P.PadIndex)
def _pad_index(g, c):
    mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(c.a(2))
    if mode is None:
        c.fail(f"padding mode {c.a(2)!r}")
    if mode == "wrap" and g.opset < 19:
        c.fail("circular padding before opset 19 (use opset_version >= 19)")
    return g.node("Pad", [c.x(0), g.i64(_pads(c.a(1)))], mode=mode)


# -- pools -------------------------------------------------------------------------------------------------
def _floor_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _pool_attrs(c, geo):
    ceil = c.step.caller.get("ceil_mode")            # as given; else seen from the output size
    if ceil is None:
        ceil = (geo.Ho != _floor_out(geo.H, geo.kh, geo.sh, geo.ph, geo.dh)
                or geo.Wo != _floor_out(geo.W, geo.kw, geo.sw, geo.pw, geo.dw))
    ceil = int(bool(ceil))
    if c.rank(0) == 3:
        return dict(kernel_shape=[geo.kw], strides=[geo.sw], pads=[geo.pw, geo.pw], ceil_mode=ceil), [geo.dw]
    return (dict(kernel_shape=[geo.kh, geo.kw], strides=[geo.sh, geo.sw], pads=[geo.ph, geo.pw, geo.ph, geo.pw],
                 ceil_mode=ceil), [geo.dh, geo.dw])


@translates(PL.MaxPool2d)
def _max_pool(g, c):
    if c.a(2):
        c.fail("max pooling with return_indices=True")
    attrs, dil = _pool_attrs(c, c.a(1))
    return g.node("MaxPool", [c.x(0)], dilations=dil, **attrs)


@translates(PL.AvgPool2d)
def _avg_pool(g, c):
    if c.a(3) is not None:
        c.fail("average pooling with divisor_override")
    attrs, dil = _pool_attrs(c, c.a(1))
    return g.node("AveragePool", [c.x(0)], count_include_pad=int(bool(c.a(2))), **attrs)


def _bins(n, out):
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


def _adaptive(g, c, x, out_hw, reduce_op):
    """Adaptive pooling as PyTorch's bins: one reduction per bin along each spatial axis
    (a mean or max over a rectangle is one over its rows of one over its columns)."""
    rank = c.rank(0)
    sizes, sizes2 = c.shape(0)[-len(out_hw):], c.shape2(0)[-len(out_hw):]
    for k, (n, out) in enumerate(zip(sizes, out_hw)):
        axis = rank - len(out_hw) + k
        if out != 1 and n != sizes2[k]:
            c.fail("adaptive pooling to a size other than 1 along a dynamic axis (the bins are fixed)")
        if out == 1:
            x = g.node(reduce_op, [x, g.i64([axis])], keepdims=1)
        else:
            parts = [g.node(reduce_op, [g.node("Slice", [x, g.i64([lo]), g.i64([hi]), g.i64([axis])]),
                                        g.i64([axis])], keepdims=1) for lo, hi in _bins(n, out)]
            x = parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=axis)
    return x


@translates(PL.AdaptiveAvgPool2d)
def _adaptive_avg(g, c):
    out_hw = c.a(1)
    out_hw = list(out_hw[-1:]) if c.rank(0) == 3 else list(out_hw)
    return _adaptive(g, c, c.x(0), out_hw, "ReduceMean")


@translates(PL.AdaptiveMaxPool2d)
def _adaptive_max(g, c):
    if c.a(2):
        c.fail("adaptive max pooling with return_indices=True")
    out_hw = c.a(1)
    out_hw = list(out_hw[-1:]) if c.rank(0) == 3 else list(out_hw)
    return _adaptive(g, c, c.x(0), out_hw, "ReduceMax")


# -- normalization ------------------------------------------------------------------------------------------
def _param_or(g, c, i, fill, shape):
    return c.x(i) if c.a(i) is not None else g.const(np.full(shape, fill, c.out_dtype()))


@translates(N.BatchNormEval)
def _batch_norm(g, c):
    C_ = c.shape(0)[1]
    return g.node("BatchNormalization", [c.x(0), _param_or(g, c, 1, 1, C_), _param_or(g, c, 2, 0, C_),
                                         c.x(3), c.x(4)], epsilon=float(c.a(5)))


@translates(N.BatchNormTrain)
def _batch_norm_batch_stats(g, c):
    """Batch statistics (a layer with track_running_stats=False, in eval too): the running
    buffers are not updated by the exported graph."""
    x, dt, rank = c.x(0), c.out_dtype(), c.rank(0)
    axes = [0] + list(range(2, rank))
    mean = g.node("ReduceMean", [x, g.i64(axes)], keepdims=1)
    d = g.node("Sub", [x, mean])
    var = g.node("ReduceMean", [g.node("Mul", [d, d]), g.i64(axes)], keepdims=1)
    y = g.node("Div", [d, g.node("Sqrt", [g.node("Add", [var, g.scalar(float(c.a(6)), dt)])])])
    per_channel = [c.shape(0)[1]] + [1] * (rank - 2)
    if c.a(1) is not None:
        y = g.node("Mul", [y, g.node("Reshape", [c.x(1), g.i64(per_channel)])])
    if c.a(2) is not None:
        y = g.node("Add", [y, g.node("Reshape", [c.x(2), g.i64(per_channel)])])
    return y


@translates(N.LayerNorm)
def _layer_norm(g, c):
    n, shape = int(c.a(3)), c.shape(0)
    k, prod = 0, 1
    while prod < n and k < len(shape):
        k += 1
        prod *= shape[-k]
    if prod != n:
        c.fail(f"a layer norm over {n} elements that are not trailing dims of {shape}")
    norm_shape = shape[len(shape) - k:]
    return g.node("LayerNormalization", [c.x(0), _param_or(g, c, 1, 1, norm_shape), _param_or(g, c, 2, 0, norm_shape)],
                  axis=-k, epsilon=float(c.a(4)))


@translates(N.GroupNorm)
def _group_norm(g, c):
    x, groups, eps = c.x(0), int(c.a(3)), float(c.a(4))
    dt = c.out_dtype()
    xr = g.node("Reshape", [x, g.i64([0, groups, -1])])
    mean = g.node("ReduceMean", [xr, g.i64([2])], keepdims=1)
    d = g.node("Sub", [xr, mean])
    var = g.node("ReduceMean", [g.node("Mul", [d, d]), g.i64([2])], keepdims=1)
    y = g.node("Div", [d, g.node("Sqrt", [g.node("Add", [var, g.scalar(eps, dt)])])])
    y = g.node("Reshape", [y, g.node("Shape", [x])])
    per_channel = [c.shape(0)[1]] + [1] * (c.rank(0) - 2)
    if c.a(1) is not None:
        y = g.node("Mul", [y, g.node("Reshape", [c.x(1), g.i64(per_channel)])])
    if c.a(2) is not None:
        y = g.node("Add", [y, g.node("Reshape", [c.x(2), g.i64(per_channel)])])
    return y


# -- embedding ---------------------------------------------------------------------------------------------
@translates(E.Embedding)
def _embedding(g, c):
    if c.step.caller.get("max_norm") is not None:
        c.fail("an embedding with max_norm (it renormalizes the looked-up rows of the weight in place)")
    src = c.step.caller.get("input")
    if isinstance(src, Tensor) and src._data.shape == c.shape(0):
        idx = c.ex.value(src, c.step2.caller.get("input") if c.step2 is not None else None)
    elif c.ex.is_live(c.a(0)):
        idx = c.x(0)
    else:
        idx = g.const(np.asarray(c.value_of(0), np.int64))
    return g.node("Gather", [c.x(1), idx], axis=0)


# -- resampling (interpolate / Upsample) ---------------------------------------------------------------------
def _static_resampling(c):
    if c.shape(0)[2:] != c.shape2(0)[2:]:
        c.fail("resampling along a dynamic axis (the weights are fixed by the sizes)")


@translates(IP.Resample)
def _resample(g, c):
    """Each (axis, M) applies M (n_out, n_in) along that axis: a MatMul, exactly as ember computes it."""
    _static_resampling(c)
    x, rank = c.x(0), c.rank(0)
    for axis, m in c.a(1):
        m = np.asarray(m, c.out_dtype())
        if axis == rank - 1:
            x = g.node("MatMul", [x, g.const(np.ascontiguousarray(m.T), "resample")])
        elif axis == rank - 2:
            x = g.node("MatMul", [g.const(m, "resample"), x])
        else:
            perm = [d for d in range(rank) if d != axis] + [axis]
            back = list(np.argsort(perm))
            x = g.node("Transpose", [x], perm=perm)
            x = g.node("MatMul", [x, g.const(np.ascontiguousarray(m.T), "resample")])
            x = g.node("Transpose", [x], perm=[int(b) for b in back])
    return x if c.a(1) else g.node("Identity", [x])


@translates(IP.NearestGather)
def _nearest(g, c):
    _static_resampling(c)
    x = c.x(0)
    for axis, ix in c.a(1):
        x = g.node("Gather", [x, g.i64(np.asarray(ix).tolist())], axis=int(axis))
    return x if c.a(1) else g.node("Identity", [x])
