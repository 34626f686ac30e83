"""Poisson(rate): log p(k) = k log(rate) - rate - lgamma(k + 1),  k = 0, 1, 2, ...

Sampling is ``torch.poisson`` (PyTorch's CPU algorithm and stream, ``ember/_sampling.py``).
"""
from .._count_sampling import poisson
from ..autograd.grad_mode import no_grad
from ..ops import exp, floor, log, xlogy
from . import constraints
from ._special import lgamma
from .distribution import Distribution, broadcast_all

__all__ = ["Poisson"]


class Poisson(Distribution):
    """Counts of events that occur at ``rate`` per interval, as ``torch.distributions.Poisson``.

    Example:
        >>> ember.manual_seed(0)
        >>> Poisson(ember.tensor([0.5, 30.0])).sample((2,))   # PyTorch's draws for the same seed
    """
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        self.rate, = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Poisson, batch_shape, _instance, ("rate",))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return floor(self.rate)

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return xlogy(value, rate) - rate - lgamma(value + 1)

    @property
    def _natural_params(self):
        return (log(self.rate),)

    def _log_normalizer(self, x):
        return exp(x)
