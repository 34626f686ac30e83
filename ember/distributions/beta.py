"""Beta(a = concentration1, b = concentration0):
log p(x) = (a-1) log x + (b-1) log(1-x) - [lgamma(a) + lgamma(b) - lgamma(a+b)].
"""
from ..ops import stack, xlogy
from . import constraints
from ._gamma_sample import sample_dirichlet
from ._special import digamma, lgamma
from .dirichlet import _dirichlet_mode
from .distribution import Distribution, broadcast_all

__all__ = ["Beta"]


class Beta(Distribution):
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """The Dirichlet([a, b]) mode's first coordinate: (a-1)/(a+b-2) when a, b >= 1, else an end."""
        return _dirichlet_mode(stack([self.concentration1, self.concentration0], -1))[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Beta, batch_shape, _instance, ("concentration1", "concentration0"))

    def rsample(self, sample_shape=()):
        """The first coordinate of a Dirichlet([concentration1, concentration0]) draw."""
        shape = tuple(self._extended_shape(sample_shape))
        c = stack([self.concentration1, self.concentration0], -1).expand(shape + (2,))
        return sample_dirichlet(c).select(-1, 0)

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
