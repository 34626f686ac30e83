"""Gamma(concentration a, rate b): log p(x) = a log b + (a-1) log x - b x - lgamma(a).

rsample: x = standard_gamma(a) / b, differentiable in a (implicit reparameterisation) and b.
"""
import numpy as np

from ..ops import clamp, log, xlogy
from . import constraints
from ._gamma_sample import standard_gamma
from ._special import digamma, gammainc, lgamma
from .distribution import Distribution, broadcast_all

__all__ = ["Gamma"]


class Gamma(Distribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

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

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Gamma, batch_shape, _instance, ("concentration", "rate"))

    def rsample(self, sample_shape=()):
        """standard_gamma(concentration) / rate; a draw below the smallest normal float is raised to it."""
        shape = tuple(self._extended_shape(sample_shape))
        x = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        np.maximum(x._data, np.finfo(x._data.dtype).tiny, out=x._data)   # the value only, as PyTorch
        return x

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return xlogy(a, b) + xlogy(a - 1, value) - b * value - lgamma(a)

    def cdf(self, value):
        """P(a, rate * value), the regularised lower incomplete gamma function."""
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - log(self.rate) + lgamma(a) + (1.0 - a) * digamma(a)
