"""Exponential(rate): log p(x) = log rate - rate x  (x >= 0)."""
from .. import _sampling
from ..ops import exp, log
from . import constraints
from .distribution import Distribution, _draw, broadcast_all

__all__ = ["Exponential"]


class Exponential(Distribution):
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        self.rate, = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Exponential, batch_shape, _instance, ("rate",))

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return self.rate * 0

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate ** -2

    def rsample(self, sample_shape=()):
        """e / rate, e ~ Exp(1)."""
        e = _draw(lambda g, s, d: _sampling.exponential(g, s, 1.0), self._extended_shape(sample_shape),
                  self.rate._data.dtype)
        return e / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return log(self.rate) - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - exp(-self.rate * value)

    def icdf(self, value):
        return -log(1 - value) / self.rate

    def entropy(self):
        return 1.0 - log(self.rate)
