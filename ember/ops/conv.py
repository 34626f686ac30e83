"""Convolutions as fused ops: conv1d, conv2d, conv_transpose1d, conv_transpose2d.

A convolution is one GEMM over the im2col matrix of its zero-padded input, and a transposed
convolution is the input-gradient of a convolution, so both are written with the same pieces:
``_im2col`` (layout: padding to channels-last, im2col/col2im, the weight matrix, one GEMM) and
``_conv_fast`` (the same GEMMs in cache-sized batch chunks on worker threads, and the choice
among equivalent backward variants). conv1d is conv2d over a height of one.

Higher-order gradients: the three bilinear maps of one geometry (the conv ``conv(x, w)``, its
input gradient ``conv_transpose(g, w)`` and its weight gradient ``wgrad(x, g)``) are each
other's derivatives, so with ``create_graph=True`` each backward is made of the other two ops
(``ConvWeight`` is the third) and the result is differentiable to any order.
"""
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._empty import empty_result
from ._conv_fast import OutputGrad, bias_grad, conv_forward, input_grad, padded_input, uses_planes, weight_grad
from ._im2col import Geometry, col2im, gemm, im2col, padded_nhwc, rows, unrows, wmat, wmat_back
from ._norm_kernels import channel_sums
from ._util import ntuple, require_tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _operands(x, w, geo, shape4):
    """The input and weight of a conv or transposed conv in their 4-D shapes (``shape4[0]`` and
    ``shape4[1]`` when given: conv1d, or a recorded backward), and the weight's GEMM matrix."""
    if shape4 is not None:
        x = x.reshape(shape4[0])
        w = w.reshape(shape4[1])
    return x, w, wmat(w, geo.g)


class Convolution(Op):
    """conv2d (and conv1d through a size-1 height): x (N, C, H, W), w (Cout, C/g, kh, kw).

    Per group, with ``cols(x)`` the im2col matrix of the zero-padded input (a row per output
    pixel, a column per kernel tap and input channel), ``W`` the weight as a (Cout/g, kh*kw*C/g)
    matrix and ``G = dL/dY`` the output gradient as rows of output pixels::

        Y     = cols(x) @ W.T + b
        dL/db = sum of G over images and pixels
        dL/dW = G.T @ cols(x)                 (summed over images)
        dL/dx = col2im(G @ W)                 (col2im is the adjoint of im2col)

    Saves the padded NHWC input (not the im2col columns): the kernels rebuild the columns
    chunk by chunk, so the big buffers stay in cache.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, geo, shape4):
        x0, w0 = x, w
        xs, ws = x.shape, w.shape
        x, w, wm = _operands(x, w, geo, shape4)
        need = ctx.needs_input_grad
        xp = padded_input(x, geo, keep=bool(need) and need[1])
        nchw = uses_planes(geo)
        y = conv_forward(xp, wm, geo, x.dtype, b, nchw=nchw)
        if need:
            # The raw input rides along so that an in-place change to it (xp may share its
            # memory) is caught by the version check instead of giving wrong gradients.
            # The raw weight (not its 4-D view): create_graph unpacks it as the weight tensor.
            ctx.save_for_backward(xp if need[1] else None, w0 if need[0] else None, x0)
            ctx.geo, ctx.shapes, ctx.wm, ctx.nchw = geo, (xs, ws, w.shape), (wm if need[0] else None), nchw
        if shape4 is not None:
            y = y.reshape(shape4[2])
        return y

    @staticmethod
    def backward(ctx, grad):
        xp, w, x = ctx.saved_tensors
        geo = ctx.geo
        xs, ws, ws4 = ctx.shapes
        need = ctx.needs_input_grad
        if array_namespace(grad).graph:
            # dL/dx = conv_transpose(G, W), dL/dW = wgrad(x, G): ops, so differentiable again.
            n = array_namespace(grad)
            g4, x4 = (geo.N, geo.Cout, geo.Ho, geo.Wo), (geo.N, geo.C, geo.H, geo.W)
            gx = ConvTranspose.apply(grad, w, None, geo, (g4, ws4, xs)) if need[0] else None
            gw = ConvWeight.apply(x, grad, geo, (x4, g4, ws)) if need[1] else None
            gb = n.sum(n.reshape(grad, g4), axis=(0, 2, 3)) if need[2] else None
            return gx, gw, gb
        gy = OutputGrad(grad, geo)
        gb = bias_grad(gy) if need[2] else None
        gw = wmat_back(weight_grad(xp, gy, geo, ctx.nchw), ws4).reshape(ws) if need[1] else None
        gx = input_grad(gy, w.reshape(ws4), ctx.wm, geo).reshape(xs) if need[0] else None
        return gx, gw, gb


class ConvTranspose(Op):
    """conv_transpose2d: the input-gradient of a conv. x (N, Cin, H, W), w (Cin, Cout/g, kh, kw).

    In ``geo`` the roles are those of the underlying conv: its *input* is our output. Per
    group, with ``X`` the input as rows of pixels and ``G = dL/dY``::

        Y     = col2im(X @ W) + b
        dL/dX = cols(G) @ W.T
        dL/dW = X.T @ cols(G)
        dL/db = sum of G over images and pixels
    """
    backward_name = "ConvolutionBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, geo, shape4):
        x0, w0 = x, w
        xs, ws = x.shape, w.shape
        x, w, wm = _operands(x, w, geo, shape4)
        xr = rows(x, geo.g)
        y = col2im(gemm(xr, wm), geo, x.dtype)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(xr if need[1] else None, wm if need[0] else None,
                                  x0 if need[1] else None, w0 if need[0] else None)
            ctx.geo, ctx.shapes = geo, (xs, ws, w.shape)
        if shape4 is not None:
            y = y.reshape(shape4[2])
        return y

    @staticmethod
    def backward(ctx, grad):
        xr, wm, x, w = ctx.saved_tensors
        geo = ctx.geo
        xs, ws, ws4 = ctx.shapes
        gx = gw = gb = None
        need = ctx.needs_input_grad
        if array_namespace(grad).graph:
            # dL/dX = conv(G, W), dL/dW = wgrad(G, X) (G plays the conv's input): ops again.
            n = array_namespace(grad)
            g4, x4 = (geo.N, geo.C, geo.H, geo.W), (geo.N, geo.Cout, geo.Ho, geo.Wo)
            gx = Convolution.apply(grad, w, None, geo, (g4, ws4, xs)) if need[0] else None
            gw = ConvWeight.apply(grad, x, geo, (g4, x4, ws)) if need[1] else None
            gb = n.sum(n.reshape(grad, g4), axis=(0, 2, 3)) if need[2] else None
            return gx, gw, gb
        g4 = grad.reshape(geo.N, geo.C, geo.H, geo.W)
        if need[0] or need[1]:
            cols = im2col(padded_nhwc(g4, geo), geo)
            if need[0]:
                gx = unrows(gemm(cols, wm, tb=True), geo.N, geo.Ho, geo.Wo).reshape(xs)
            if need[1]:
                gw = wmat_back(gemm(xr, cols, ta=True), ws4).reshape(ws)
        if need[2]:
            gb = channel_sums(g4)
        return gx, gw, gb


class ConvWeight(Op):
    """The weight gradient of a convolution as an op (recorded by a ``create_graph`` backward).

    ``x`` is the conv's input, ``g`` its output gradient; per group, with ``cols`` and ``G`` as in
    ``Convolution`` and ``H = dL/d(gw)``::

        gw    = G.T @ cols(x)                 (summed over images)
        dL/dx = col2im(G @ H)                 = conv_transpose(g, H)
        dL/dg = cols(x) @ H.T                 = conv(x, H)
    """
    backward_name = "ConvolutionBackwardBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, g, geo, shapes):
        x4, g4 = x.reshape(shapes[0]), g.reshape(shapes[1])
        ws4 = (geo.Cout, geo.C // geo.g, geo.kh, geo.kw)
        gw = wmat_back(weight_grad(padded_nhwc(x4, geo), OutputGrad(g4, geo), geo), ws4)
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(x if need[1] else None, g if need[0] else None)
            ctx.geo, ctx.shapes = geo, shapes + (x.shape, g.shape, ws4)
        return gw.reshape(shapes[2])

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        geo = ctx.geo
        x4, g4, ws, xs, gs, ws4 = ctx.shapes
        need = ctx.needs_input_grad
        if array_namespace(grad).graph:
            return (ConvTranspose.apply(g, grad, None, geo, (g4, ws4, xs)) if need[0] else None,
                    Convolution.apply(x, grad, None, geo, (x4, ws4, gs)) if need[1] else None)
        h = grad.reshape(ws4)
        wm = wmat(h, geo.g)
        gx = input_grad(OutputGrad(g.reshape(g4), geo), h, wm, geo).reshape(xs) if need[0] else None
        gg = conv_forward(padded_nhwc(x.reshape(x4), geo), wm, geo, x.dtype).reshape(gs) if need[1] else None
        return gx, gg


# -- argument handling ------------------------------------------------------------------------
_TUPLE_ERROR = ("expected {name} to be a single integer value or a list of {n} values to match the "
                "convolution dimensions, but got {name}={value}")


def same_padding(dilation, kernel_size):
    """padding='same' as (before, after) per spatial dim: ``d * (k - 1)`` split in two, the odd
    one after (as PyTorch)."""
    pads = []
    for d, k in zip(dilation, kernel_size):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def _check_tensor(x, fname, what):
    require_tensor(fname, what, x)


def _check_operands(fname, input, weight, bias, nd):
    """The input and weight arrays, after checking types, ranks and dtypes."""
    _check_tensor(input, fname, "input")
    _check_tensor(weight, fname, "weight")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, "
                           f"but got input of size: {list(x.shape)}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"{fname}: expected a {nd + 2}-D weight (out_channels, in_channels/groups, "
                           f"{'kernel, ' * nd}), got weight of size {list(w.shape)}")
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        bt = "" if bias is None else f", bias type ({bias.dtype})"
        raise RuntimeError(f"{fname}: input type ({input.dtype}), weight type ({weight.dtype}){bt} should "
                           f"be the same; convert the input with .to({weight.dtype}) (e.g. .float())")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fname}: expected a floating point input, got {input.dtype}")
    return x, w


def _out_channels(fname, x, w, C, groups, transposed):
    """Output channels, after checking the input's channels and groups against the weight."""
    if transposed:
        if C != w.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                f"{w.shape[0]} channels, but got {C} channels instead")
        if w.shape[0] % groups:
            raise RuntimeError(f"{fname}: in_channels ({w.shape[0]}) must be divisible by groups ({groups})")
        return w.shape[1] * groups
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if C != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
            f"{w.shape[1] * groups} channels, but got {C} channels instead")
    return w.shape[0]


def _padding_pairs(fname, padding, stride, dilation, ksize, nd, transposed):
    """Padding as (before, after) per spatial dim."""
    if not isinstance(padding, str):
        p = ntuple(padding, nd, "padding", _TUPLE_ERROR)
        if any(v < 0 for v in p):
            raise RuntimeError(f"negative padding is not supported (got padding={list(p)})")
        return [(v, v) for v in p]
    if transposed:
        raise RuntimeError(f"{fname}: padding must be an int or a tuple of ints, got '{padding}'")
    if padding == "valid":
        return [(0, 0)] * nd
    if padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        return same_padding(dilation, ksize)
    raise RuntimeError(f"Invalid padding string '{padding}'; expected 'same' or 'valid' "
                       "(or an int / tuple of ints)")


def _transposed_geometry(fname, x, N, C, cout, spatial, ksize, stride, dilation, pads, groups, nd,
                         output_padding):
    """(geometry of the underlying conv, output shape) of a transposed convolution."""
    (H, W), (kh, kw) = spatial, ksize
    op = ntuple(output_padding, nd, "output_padding", _TUPLE_ERROR)
    if nd == 1:
        op = (0,) + op
    for o, s, d in zip(op, stride, dilation):
        if o >= s and o >= d:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={list(op[-nd:])}, stride={list(stride[-nd:])}, "
                               f"dilation={list(dilation[-nd:])}")
    Hy = (H - 1) * stride[0] - pads[0][0] - pads[0][1] + dilation[0] * (kh - 1) + op[0] + 1
    Wy = (W - 1) * stride[1] - pads[1][0] - pads[1][1] + dilation[1] * (kw - 1) + op[1] + 1
    if Hy <= 0 or Wy <= 0:
        raise RuntimeError(f"{fname}: output size is too small (computed {[Hy, Wy][-nd:]}) for input "
                           f"of size {list(x.shape)}")
    # The underlying conv maps our output (N, cout, Hy, Wy) to our input (N, C, H, W).
    flat_pads = (pads[0][0], pads[0][1], pads[1][0], pads[1][1])
    geo = Geometry(N, cout, Hy, Wy, C, kh, kw, stride, dilation, flat_pads, groups, H, W)
    return geo, (N, cout) + ((Hy, Wy) if nd == 2 else (Wy,))


def _geometry(N, C, cout, spatial, ksize, stride, dilation, pads, groups, nd):
    """(geometry, output shape) of a convolution."""
    (H, W), (kh, kw) = spatial, ksize
    flat_pads = (pads[0][0], pads[0][1], pads[1][0], pads[1][1])
    geo = Geometry(N, C, H, W, cout, kh, kw, stride, dilation, flat_pads, groups)
    if geo.Ho <= 0 or geo.Wo <= 0:
        eff = [d * (k - 1) + 1 for d, k in zip(dilation, ksize)][-nd:]
        padded = [s + a + b for s, (a, b) in zip(spatial, pads)][-nd:]
        raise RuntimeError(f"Calculated padded input size per channel: {tuple(padded)}. Kernel size: "
                           f"{tuple(eff)}. Kernel size can't be greater than actual input size")
    return geo, (N, cout) + ((geo.Ho, geo.Wo) if nd == 2 else (geo.Wo,))


def _conv_setup(fname, input, weight, bias, stride, padding, dilation, groups, nd, transposed,
                output_padding=0):
    """Validate the arguments and build the geometry; return (geo, shape4), ``shape4`` the
    (input, weight, output) shapes of a 1-D or unbatched call seen as batched 2-D, else None."""
    x, w = _check_operands(fname, input, weight, bias, nd)
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported (got groups={groups})")
    unbatched = x.ndim == nd + 1
    xshape = (1,) + x.shape if unbatched else x.shape
    N, C = xshape[0], xshape[1]
    spatial = xshape[2:]
    ksize = w.shape[2:]
    stride = ntuple(stride, nd, "stride", _TUPLE_ERROR)
    dilation = ntuple(dilation, nd, "dilation", _TUPLE_ERROR)
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"non-positive stride is not supported (got stride={list(stride)})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero (got dilation={list(dilation)})")
    cout = _out_channels(fname, x, w, C, groups, transposed)
    if bias is not None and tuple(bias._data.shape) != (cout,):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
                           f"{cout} elements, but got bias of size {list(bias._data.shape)} instead")
    pads = _padding_pairs(fname, padding, stride, dilation, ksize, nd, transposed)
    if nd == 1:
        spatial, ksize = (1,) + spatial, (1,) + ksize
        stride, dilation, pads = (1,) + stride, (1,) + dilation, [(0, 0)] + pads
    if transposed:
        geo, out_shape = _transposed_geometry(fname, x, N, C, cout, spatial, ksize, stride, dilation, pads,
                                              groups, nd, output_padding)
    else:
        geo, out_shape = _geometry(N, C, cout, spatial, ksize, stride, dilation, pads, groups, nd)
    if unbatched:
        out_shape = out_shape[1:]
    if N == 0 or 0 in out_shape:
        return geo, ("empty", out_shape)
    if nd == 1 or unbatched:
        return geo, ((N, C) + spatial, (w.shape[0], w.shape[1]) + ksize, out_shape)
    return geo, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)) input.

    Example:
        >>> y = ember.nn.functional.conv2d(ember.randn(8, 3, 32, 32), ember.randn(16, 3, 5, 5), padding=2)
        >>> y.shape
        ember.Size([8, 16, 32, 32])
    """
    geo, shape4 = _conv_setup("conv2d", input, weight, bias, stride, padding, dilation, groups, 2, False)
    if shape4 is not None and shape4[0] == "empty":       # an empty batch: an empty output
        return empty_result(shape4[1], input, weight, bias)
    return Convolution.apply(input, weight, bias, geo, shape4)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or unbatched (C, L)) input.

    Example:
        >>> ember.nn.functional.conv1d(ember.randn(4, 2, 10), ember.randn(6, 2, 3)).shape
        ember.Size([4, 6, 8])
    """
    geo, shape4 = _conv_setup("conv1d", input, weight, bias, stride, padding, dilation, groups, 1, False)
    if shape4 is not None and shape4[0] == "empty":       # an empty batch: an empty output
        return empty_result(shape4[1], input, weight, bias)
    return Convolution.apply(input, weight, bias, geo, shape4)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, kh, kw).

    Example:
        >>> ember.nn.functional.conv_transpose2d(ember.randn(1, 4, 5, 5), ember.randn(4, 2, 3, 3), stride=2).shape
        ember.Size([1, 2, 11, 11])
    """
    geo, shape4 = _conv_setup("conv_transpose2d", input, weight, bias, stride, padding, dilation, groups, 2,
                              True, output_padding)
    if shape4 is not None and shape4[0] == "empty":       # an empty batch: an empty output
        return empty_result(shape4[1], input, weight, bias)
    return ConvTranspose.apply(input, weight, bias, geo, shape4)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution; weight is (C_in, C_out/groups, k).

    Example:
        >>> ember.nn.functional.conv_transpose1d(ember.randn(1, 4, 5), ember.randn(4, 2, 3)).shape
        ember.Size([1, 2, 7])
    """
    geo, shape4 = _conv_setup("conv_transpose1d", input, weight, bias, stride, padding, dilation, groups, 1,
                              True, output_padding)
    if shape4 is not None and shape4[0] == "empty":       # an empty batch: an empty output
        return empty_result(shape4[1], input, weight, bias)
    return ConvTranspose.apply(input, weight, bias, geo, shape4)
