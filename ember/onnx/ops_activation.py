"""ONNX translations of the activation ops (``ember/ops/activation.py``)."""
import math

import numpy as np

from ..ops import activation as AC
from ._registry import translates


def _s(g, c, v):
    return g.scalar(v, c.out_dtype())


@translates(AC.Relu)
def _relu(g, c):
    return g.node("Relu", [c.x(0)])


@translates(AC.Hardtanh)
def _hardtanh(g, c):
    return g.node("Clip", [c.x(0), _s(g, c, c.a(1)), _s(g, c, c.a(2))])


@translates(AC.LeakyRelu)
def _leaky_relu(g, c):
    return g.node("LeakyRelu", [c.x(0)], alpha=float(c.a(1)))


@translates(AC.Prelu)
def _prelu(g, c):
    w = c.x(1)
    n = int(np.prod(c.shape(1)))
    if n > 1 and c.rank(0) > 2:                  # one slope per channel (dim 1): (C, 1, ..., 1)
        w = g.node("Reshape", [w, g.i64([n] + [1] * (c.rank(0) - 2))])
    return g.node("PRelu", [c.x(0), w])


@translates(AC.Elu)
def _elu(g, c):
    alpha, scale, input_scale = (float(v) for v in (c.a(1), c.a(2), c.a(3)))
    x = c.x(0)
    if scale == 1 and input_scale == 1:
        return g.node("Elu", [x], alpha=alpha)
    if input_scale == 1:
        return g.node("Selu", [x], alpha=alpha, gamma=scale)
    if scale == 1 and math.isclose(input_scale * alpha, 1.0, rel_tol=1e-12):
        return g.node("Celu", [x], alpha=alpha)
    # scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))
    neg = g.node("Mul", [g.node("Sub", [g.node("Exp", [g.node("Mul", [g.node("Min", [x, _s(g, c, 0)]),
                                                                      _s(g, c, input_scale)])]),
                                        _s(g, c, 1)]), _s(g, c, alpha * scale)])
    pos = g.node("Mul", [x, _s(g, c, scale)])
    return g.node("Where", [g.node("Greater", [x, _s(g, c, 0)]), pos, neg])


def _gelu_erf(g, c, x):
    if g.opset >= 20:
        return g.node("Gelu", [x])
    half = g.node("Mul", [x, _s(g, c, 0.5)])
    return g.node("Mul", [half, g.node("Add", [_s(g, c, 1), g.node("Erf", [
        g.node("Mul", [x, _s(g, c, 1 / math.sqrt(2))])])])])


@translates(AC.Gelu)
def _gelu(g, c):
    return _gelu_erf(g, c, c.x(0))


@translates(AC.GeluTanh)
def _gelu_tanh(g, c):
    x = c.x(0)
    if g.opset >= 20:
        return g.node("Gelu", [x], approximate="tanh")
    x3 = g.node("Mul", [g.node("Mul", [x, x]), x])
    inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [x3, _s(g, c, 0.044715)])]),
                           _s(g, c, math.sqrt(2 / math.pi))])
    return g.node("Mul", [g.node("Mul", [x, _s(g, c, 0.5)]), g.node("Add", [_s(g, c, 1), g.node("Tanh", [inner])])])


@translates(AC.Silu)
def _silu(g, c):
    return g.node("Mul", [c.x(0), g.node("Sigmoid", [c.x(0)])])


def _softplus(g, c, x, beta=1.0, threshold=20.0):
    """PyTorch's softplus: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    bx = x if beta == 1 else g.node("Mul", [x, _s(g, c, beta)])
    soft = g.node("Softplus", [bx])
    if beta != 1:
        soft = g.node("Div", [soft, _s(g, c, beta)])
    return g.node("Where", [g.node("Greater", [bx, _s(g, c, threshold)]), x, soft])


@translates(AC.Mish)
def _mish(g, c):
    return g.node("Mul", [c.x(0), g.node("Tanh", [_softplus(g, c, c.x(0))])])


@translates(AC.Softplus)
def _softplus_op(g, c):
    return _softplus(g, c, c.x(0), float(c.a(1)), float(c.a(2)))


@translates(AC.Softsign)
def _softsign(g, c):
    return g.node("Softsign", [c.x(0)])


@translates(AC.Hardsigmoid)
def _hardsigmoid(g, c):
    return g.node("HardSigmoid", [c.x(0)], alpha=1 / 6, beta=0.5)


@translates(AC.Hardswish)
def _hardswish(g, c):
    return g.node("HardSwish", [c.x(0)])


@translates(AC.LogSigmoid)
def _log_sigmoid(g, c):
    # log(sigmoid(x)) = -softplus(-x), stable for large |x|
    return g.node("Neg", [_softplus(g, c, g.node("Neg", [c.x(0)]))])


def _caller(c, *names):
    for n in names:
        if n in c.step.caller:
            return float(c.step.caller[n])
    c.fail(f"its {names[0]} could not be read from the call")


@translates(AC.Threshold)
def _threshold(g, c):
    th, value = _caller(c, "threshold"), _caller(c, "value")
    return g.node("Where", [g.node("Greater", [c.x(0), _s(g, c, th)]), c.x(0), _s(g, c, value)])


@translates(AC.Hardshrink)
def _hardshrink(g, c):
    return g.node("Shrink", [c.x(0)], lambd=_caller(c, "lambd"), bias=0.0)


@translates(AC.Softshrink)
def _softshrink(g, c):
    lambd = _caller(c, "lambd")
    return g.node("Shrink", [c.x(0)], lambd=lambd, bias=lambd)
