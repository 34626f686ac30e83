"""Gamma(concentration a, rate b): log p(x) = a log b + (a-1) log x - b x - lgamma(a)."""
import numpy as np

from .._random import _rng
from .._tensor import _wrap
from ..ops import clamp, log, xlogy
from . import constraints
from ._special import digamma, lgamma
from .distribution import Distribution, broadcast_all

__all__ = ["Gamma"]


def _standard_gamma(concentration, shape):
    """Draws of Gamma(a, 1) in the shape ``shape``, never exactly 0 (as torch: clamped to the tiny float)."""
    a = np.broadcast_to(concentration._data, shape).astype(np.float64)
    x = _rng().standard_gamma(a).astype(concentration._data.dtype)
    return np.maximum(x, np.finfo(x.dtype).tiny)


class Gamma(Distribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = False   # torch's implicit reparameterisation of the gamma draw is not implemented

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return clamp((self.concentration - 1) / self.rate, min=0)

    @property
    def variance(self):
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape=()):
        raise NotImplementedError("Gamma.rsample: ember does not implement the implicit reparameterisation of "
                                  "gamma samples (torch's _standard_gamma_grad); use sample()")

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        x = _standard_gamma(self.concentration, shape) / np.broadcast_to(self.rate._data, shape)
        return _wrap(np.maximum(x, np.finfo(x.dtype).tiny).astype(self.rate._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return xlogy(a, b) + xlogy(a - 1, value) - b * value - lgamma(a)

    def entropy(self):
        a = self.concentration
        return a - log(self.rate) + lgamma(a) + (1.0 - a) * digamma(a)
