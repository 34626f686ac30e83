"""Binomial(total_count, probs | logits):
log p(k) = lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1) + k logits - n softplus(logits).
"""
import numpy as np

from .._count_sampling import binomial
from .._tensor import _wrap
from ..autograd.grad_mode import no_grad
from ..ops import exp, floor, softplus, where
from . import constraints
from ._logits import BinaryProbsOrLogits
from ._special import lgamma
from .distribution import Distribution

__all__ = ["Binomial"]


class Binomial(BinaryProbsOrLogits, Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param = self._set_param("Binomial", probs, logits, total_count)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_binary(Binomial, batch_shape, _instance, ("total_count",))

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        m = floor((self.total_count + 1) * self.probs)
        return where(m > self.total_count, self.total_count, m)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():  # torch.binomial: PyTorch's CPU algorithm and stream
            return binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def _homogeneous_count(self, what):
        n = self.total_count._data
        if n.size and n.min() != n.max():
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return int(n.max()) if n.size else 0

    def enumerate_support(self, expand=True):
        """0, 1, ..., total_count along a new first dimension (one total_count for the whole batch)."""
        n = self._homogeneous_count("enumerate_support")
        values = _wrap(np.arange(n + 1, dtype=self._param._data.dtype).reshape((-1,) + (1,) * len(self.batch_shape)))
        return values.expand((n + 1,) + tuple(self.batch_shape)) if expand else values

    def entropy(self):
        """-sum_k p(k) log p(k) over the support (one total_count for the whole batch)."""
        self._homogeneous_count("entropy")
        lp = self.log_prob(self.enumerate_support(False))
        return -(exp(lp) * lp).sum(0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        log_comb = lgamma(n + 1) - lgamma(value + 1) - lgamma(n - value + 1)
        # k logits - n softplus(logits), written so that logits = +-inf with k = n or 0 give 0
        return log_comb + value * self.logits - n * softplus(self.logits)
