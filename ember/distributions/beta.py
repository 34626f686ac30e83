"""Beta(a = concentration1, b = concentration0):
log p(x) = (a-1) log x + (b-1) log(1-x) - [lgamma(a) + lgamma(b) - lgamma(a+b)].
"""
import numpy as np

from .._random import _rng
from .._tensor import _wrap
from ..ops import xlogy
from . import constraints
from ._special import digamma, lgamma
from .distribution import Distribution, broadcast_all

__all__ = ["Beta"]


class Beta(Distribution):
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = False   # implicit reparameterisation (through the Dirichlet/gamma draws) not implemented

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=()):
        raise NotImplementedError("Beta.rsample: ember does not implement the implicit reparameterisation of "
                                  "beta samples; use sample()")

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        a = np.broadcast_to(self.concentration1._data, shape).astype(np.float64)
        b = np.broadcast_to(self.concentration0._data, shape).astype(np.float64)
        return _wrap(_rng().beta(a, b).astype(self.concentration1._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlogy(b - 1, 1 - value) - (lgamma(a) + lgamma(b) - lgamma(a + b))

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (lgamma(a) + lgamma(b) - lgamma(total) - (a - 1) * digamma(a) - (b - 1) * digamma(b)
                + (total - 2) * digamma(total))
