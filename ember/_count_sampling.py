"""``torch.poisson`` and ``torch.binomial``: counts drawn elementwise with PyTorch's CPU streams.

The algorithms (and which uniforms they consume) are in ``ember/_sampling.py``; this file checks
the arguments as PyTorch does and records the autograd node PyTorch records: a Poisson draw has a
zero gradient with respect to its rate, a binomial draw has none (backward raises).
"""
import numpy as np

from . import _sampling
from ._random import _gen
from ._tensor import Tensor
from .autograd.function import Op
from .autograd.xp import array_namespace

__all__ = ["poisson", "binomial"]


def _float_data(t, op, what):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(t).__name__}")
    return t._data


class Poisson(Op):
    """k ~ Poisson(rate), elementwise. The draw is piecewise constant in the rate: dL/drate = 0."""
    backward_name = "PoissonBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, rates, gen):
        return _sampling.poisson(gen, rates)

    @staticmethod
    def backward(ctx, grad):
        return array_namespace(grad).zeros_like(grad), None


class Binomial(Op):
    """k ~ Binomial(count, prob), elementwise. PyTorch defines no derivative: backward raises."""
    backward_name = "NotImplemented"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, count, prob, gen):
        return _sampling.binomial(gen, count, prob)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::binomial is not implemented")


def poisson(input, generator=None):
    """Poisson draws with the rates in ``input`` (a float tensor of rates >= 0), same shape and dtype.

    Example:
        >>> ember.manual_seed(0); ember.poisson(ember.tensor([0.5, 3.0, 50.0]))   # as torch.poisson
    """
    rates = _float_data(input, "poisson", "input")
    if rates.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{input.dtype}': pass float "
                                  f"rates, e.g. rates.float()")
    if rates.size and not (rates >= 0).all():
        bad = rates[~(rates >= 0)].ravel()[0]
        raise RuntimeError(f"invalid Poisson rate, expected rate to be non-negative (got {bad})")
    return Poisson.apply(input, _gen(generator))


def binomial(count, prob, generator=None):
    """Binomial(count, prob) draws elementwise: float tensors of one dtype (float32 or float64)
    that broadcast together; counts need not be integers as in PyTorch (``floor`` is not taken).

    Example:
        >>> ember.manual_seed(0); ember.binomial(ember.tensor([10., 100.]), ember.tensor([0.5, 0.2]))
    """
    n, p = _float_data(count, "binomial", "count"), _float_data(prob, "binomial", "prob")
    if n.dtype.kind != "f":
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {count.dtype}")
    if n.dtype != p.dtype:
        names = {"float64": "Double", "float32": "Float", "float16": "Half"}  # PyTorch's scalar type names
        got, want = (names.get(d.name, d.name) for d in (p.dtype, n.dtype))
        raise RuntimeError(f"Found dtype {got} but expected {want}: binomial needs count and prob of one "
                           f"dtype, e.g. prob.to(count.dtype)")
    if n.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"binomial_cpu\" not implemented for '{count.dtype}': use float32 or "
                                  f"float64, e.g. count.float()")
    try:
        shape = np.broadcast_shapes(n.shape, p.shape)
    except ValueError:
        raise RuntimeError(f"binomial: count of shape {tuple(n.shape)} and prob of shape {tuple(p.shape)} "
                           f"do not broadcast") from None
    if tuple(count.shape) != shape:
        count = count.expand(shape)
    if tuple(prob.shape) != shape:
        prob = prob.expand(shape)
    return Binomial.apply(count, prob, _gen(generator))
