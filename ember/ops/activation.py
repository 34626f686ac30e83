"""Pointwise activation functions as ops, by their torch.nn.functional names: relu and its variants
(relu6, leaky_relu, prelu, rrelu, hardtanh, threshold), elu/selu/celu, gelu, silu, mish, softplus,
softsign, hardsigmoid/hardswish, logsigmoid, the shrinks; and glu (a gate on halves along a dim).
softmax and its kin are in ``softmax_ops``.

Each op saves what its closed-form derivative needs; masks follow PyTorch at the kinks (e.g.
relu6/hardtanh have zero gradient exactly at the clip points). Every backward is written against
``array_namespace(grad)`` so it also runs on Tensors (``create_graph=True``): a saved mask is a
constant (its derivative is zero), a saved intermediate that depends smoothly on the input (gelu's
cdf, silu's sigmoid, ...) is recomputed from the input in that mode.

Layer: the top of the core op families.
"""
import numpy as np

from .. import _sampling
from .._parallel import split_rows
from .._random import default_generator
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from . import _math
from .arithmetic import mul, sub
from .join_split import chunk
from .math_functions import sigmoid, sigmoid_branch, tanh

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_", "selu",
           "selu_", "celu", "celu_", "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_",
           "hardsigmoid", "hardswish", "logsigmoid", "threshold", "threshold_", "hardshrink", "softshrink",
           "tanhshrink", "glu"]


class Relu(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        # out is >= 0 or nan: out != 0 is PyTorch's ``not (out <= 0)`` (a nan passes the gradient)
        return grad * (out != 0)


def relu(input, inplace=False):
    """max(x, 0) elementwise."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu (as in PyTorch); convert with .float() first")
    if inplace:
        return input._inplace_from(Relu.apply(input))
    return Relu.apply(input)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _floatify(input, name):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {input.dtype}; call .float() first")
    return input


def _inplace_or(input, result, inplace):
    return input._inplace_from(result) if inplace else result


class Hardtanh(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * ((x > ctx.lo) & (x < ctx.hi)), None, None


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _inplace_or(input, Hardtanh.apply(_floatify(input, "hardtanh"), min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def relu_(input):
    return relu(input, inplace=True)


class LeakyRelu(Op):
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, slope):
        pos = x > 0
        ctx.save_for_backward(pos)
        ctx.slope = slope
        return np.where(pos, x, x * slope).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        pos, = ctx.saved_tensors
        xp = array_namespace(grad)
        return xp.where(pos, grad, grad * ctx.slope), None


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return _inplace_or(input, LeakyRelu.apply(_floatify(input, "leaky_relu"), negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element in training, (lower+upper)/2 in eval."""
    _floatify(input, "rrelu")
    if training:
        # as PyTorch: one double U(lower, upper) per non-positive element, in order; 1 elsewhere
        x = input._data
        slope = np.ones(x.shape, dtype=np.float64)
        negative = x <= 0
        lo, hi = (np.float64(v) if x.dtype == np.float64 else np.float32(v) for v in (lower, upper))  # opmath bounds
        slope[negative] = _sampling.uniform_unfused(default_generator, int(negative.sum()), lo, hi)
        slope = slope.astype(x.dtype)
    else:
        slope = (lower + upper) / 2
    return _inplace_or(input, LeakyRelu.apply(input, slope), inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


class Prelu(Op):
    """y = x if x > 0 else w * x   (w broadcast along the channel dim).

    dL/dx = g if x > 0 else g * w;   dL/dw = sum over the non-channel dims of (g * x where x <= 0).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w):
        # w has one entry, or one per channel (dim 1 of x; dim 0 when x is 1-D)
        ctx.save_for_backward(x, w)
        wb = w.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 else w
        return np.where(x > 0, x, x * wb).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        xp = array_namespace(grad, x, w)
        ndim = len(x.shape)
        wb = xp.reshape(w, (-1,) + (1,) * (ndim - 2)) if ndim >= 2 else w
        pos = xp.asarray(x) > 0
        gx = xp.where(pos, grad, grad * wb) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gneg = xp.where(pos, 0.0, grad * x)
            if int(np.prod(w.shape)) == 1:
                gw = xp.reshape(xp.sum(gneg), w.shape)
            else:
                axes = tuple(i for i in range(ndim) if i != (1 if ndim >= 2 else 0))
                gw = xp.reshape(xp.sum(gneg, axis=axes), w.shape)
        return gx, gw


def prelu(input, weight):
    """x if x > 0 else weight * x, with one weight or one per channel (dim 1)."""
    n = weight._data.size
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: weight must be a 0-D or 1-D tensor, got shape {tuple(weight.shape)}")
    if n != 1:
        ch = input._data.shape[1] if input._data.ndim >= 2 else (input._data.shape[0] if input._data.ndim else 1)
        if ch != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                               f"= {n} and channel size = {ch} (input shape {tuple(input.shape)}).")
    return Prelu.apply(_floatify(input, "prelu"), weight)


class Elu(Op):
    """y = scale * x if x > 0 else alpha * scale * (exp(input_scale * x) - 1)   (elu, selu, celu).

    dy/dx = scale if x > 0 else input_scale * (y + alpha * scale): in terms of the output, as
    PyTorch, so the derivative's own derivative flows through y.
    """
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        pos = x > 0
        neg = np.expm1(np.minimum(x, 0) * input_scale)
        ctx.c = (alpha, scale, input_scale)
        out = np.where(pos, x * scale, neg * (alpha * scale)).astype(x.dtype, copy=False)
        ctx.save_for_backward(pos, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        pos, out = ctx.saved_tensors
        xp = array_namespace(grad)
        alpha, scale, input_scale = ctx.c
        return xp.where(pos, grad * scale, grad * ((out + alpha * scale) * input_scale)), None, None, None


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _inplace_or(input, Elu.apply(_floatify(input, "elu"), alpha, 1.0, 1.0), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (alpha≈1.6733, scale≈1.0507)."""
    return _inplace_or(input, Elu.apply(_floatify(input, "selu"), _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu with alpha=0")
    return _inplace_or(input, Elu.apply(_floatify(input, "celu"), alpha, 1.0, 1.0 / alpha), inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_INV_SQRT_2 = float(1.0 / np.sqrt(2.0))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))


def _gelu_into(x, y, cdf, gauss):
    """y = x * cdf with cdf = Phi(x), gauss = exp(-x**2 / 2), written into the given arrays."""
    _math.erf_and_gauss(x * x.dtype.type(_INV_SQRT_2), cdf, gauss)
    cdf += 1
    cdf *= 0.5
    np.multiply(x, cdf, out=y)


class Gelu(Op):
    """y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;  dy/dx = Phi(x) + x * exp(-x**2 / 2) / sqrt(2 pi)."""
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        y, cdf, gauss = np.empty_like(x), np.empty_like(x), np.empty_like(x)
        if x.flags.c_contiguous:       # (shared out over ember's threads in ranges of elements)
            split_rows(_gelu_into, tuple(a.reshape(-1) for a in (x, y, cdf, gauss)))
        else:
            _gelu_into(x, y, cdf, gauss)
        ctx.save_for_backward(x, cdf, gauss)  # gauss = exp(-x**2 / 2)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, cdf, gauss = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:  # cdf and gauss recomputed from x, so the derivative carries the graph
            cdf = (xp.erf(x * _INV_SQRT_2) + 1) * 0.5
            gauss = xp.exp(x * x * -0.5)
            return grad * (cdf + x * gauss * _INV_SQRT_2PI)
        d = x * gauss
        d *= x.dtype.type(_INV_SQRT_2PI)
        d += cdf
        d *= grad
        return d


class GeluTanh(Op):
    backward_name = "GeluBackward0"
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        t = np.tanh(inner)
        ctx.save_for_backward(x, t)
        return 0.5 * x * (1 + t)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:  # t recomputed from x, so the derivative carries the graph
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
        dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)


def gelu(input, approximate="none"):
    """x * Phi(x) (Gaussian CDF); ``approximate='tanh'`` uses the tanh formula."""
    _floatify(input, "gelu")
    if approximate == "none":
        return Gelu.apply(input)
    if approximate == "tanh":
        return GeluTanh.apply(input)
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")


class Silu(Op):
    differentiable_backward = True
    elementwise = True
    elementwise_branch = staticmethod(sigmoid_branch)   # _math.sigmoid: one formula per array

    @staticmethod
    def forward(ctx, x):
        s = _math.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            s = xp.sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))


def silu(input, inplace=False):
    """x * sigmoid(x) (a.k.a. swish)."""
    return _inplace_or(input, Silu.apply(_floatify(input, "silu")), inplace)


class Mish(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x):
        t = np.tanh(_math.softplus(x))
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            t = xp.tanh(softplus(x))
        return grad * (t + x * xp.sigmoid(x) * (1 - t * t))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _inplace_or(input, Mish.apply(_floatify(input, "mish")), inplace)


class Softplus(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.c = (beta, threshold)
        return _math.softplus(x, beta, threshold)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        beta, threshold = ctx.c
        xp = array_namespace(grad)
        bx = x * beta
        return xp.where(bx > threshold, grad, grad * xp.sigmoid(bx)), None, None


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return Softplus.apply(_floatify(input, "softplus"), beta, threshold)


class Softsign(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x):
        d = 1 + np.abs(x)
        ctx.save_for_backward(x, d)
        return x / d

    @staticmethod
    def backward(ctx, grad):
        x, d = ctx.saved_tensors
        xp = array_namespace(grad)
        if xp.graph:
            d = xp.abs(x) + 1
        return grad / (d * d)


def softsign(input):
    """x / (1 + |x|)."""
    return Softsign.apply(_floatify(input, "softsign"))


class Hardsigmoid(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * ((x > -3) & (x < 3)) / 6


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _inplace_or(input, Hardsigmoid.apply(_floatify(input, "hardsigmoid")), inplace)


class Hardswish(Op):
    differentiable_backward = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        # PyTorch's convention at the kinks: slope 0 at x = -3 and 1 at x = 3
        xp = array_namespace(grad)
        mid = xp.where(x <= -3, 0.0, x / 3 + 0.5)
        return xp.where(x < 3, grad * mid, grad)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _inplace_or(input, Hardswish.apply(_floatify(input, "hardswish")), inplace)


class LogSigmoid(Op):
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * array_namespace(grad).sigmoid(-x)


def logsigmoid(input):
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid.apply(_floatify(input, "logsigmoid"))


class _MaskedIdentity(Op):
    """y = where(mask, f(x), value); dy/dx = mask (f is x or a shift of x)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, mask, shift, value):
        ctx.save_for_backward(mask)
        return np.where(mask, x - shift if isinstance(shift, np.ndarray) or shift else x, value).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        mask, = ctx.saved_tensors
        return grad * mask, None, None, None


class Threshold(_MaskedIdentity):
    pass


class Hardshrink(_MaskedIdentity):
    pass


class Softshrink(_MaskedIdentity):
    pass


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value."""
    return _inplace_or(input, Threshold.apply(input, input._data > threshold, 0, value), inplace)


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


def hardshrink(input, lambd=0.5):
    """x if |x| > lambd else 0."""
    x = _floatify(input, "hardshrink")._data
    return Hardshrink.apply(input, (x > lambd) | (x < -lambd), 0, 0)


def softshrink(input, lambd=0.5):
    """x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    x = _floatify(input, "softshrink")._data
    shift = np.where(x > 0, x.dtype.type(lambd), x.dtype.type(-lambd))
    return Softshrink.apply(input, (x > lambd) | (x < -lambd), shift, 0)


def tanhshrink(input):
    """x - tanh(x)."""
    return sub(input, tanh(input))


def glu(input, dim=-1):
    """a * sigmoid(b) where a, b are the halves of ``input`` along ``dim``."""
    n = input.shape[dim] if input.dim() else 0
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = chunk(input, 2, dim)
    return mul(a, sigmoid(b))
