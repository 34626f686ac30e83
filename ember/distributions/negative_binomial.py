"""NegativeBinomial(total_count, probs | logits): failures before ``total_count`` successes, each
trial succeeding with probability ``1 - probs`` (PyTorch's convention: ``probs`` is the failure's).

log p(k) = lgamma(r + k) - lgamma(k + 1) - lgamma(r) + r logsigmoid(-logits) + k logsigmoid(logits).
Sampling is PyTorch's: Poisson(Gamma(r, rate=exp(-logits))), both steps on PyTorch's stream.
"""
import numpy as np

from .._count_sampling import poisson
from ..autograd.grad_mode import no_grad
from ..ops import exp, floor, sigmoid
from ..ops.activation import logsigmoid
from . import constraints
from ._logits import BinaryProbsOrLogits
from ._special import lgamma
from .distribution import Distribution
from .gamma import Gamma

__all__ = ["NegativeBinomial"]


class NegativeBinomial(BinaryProbsOrLogits, Distribution):
    """Failures before ``total_count`` successes, as ``torch.distributions.NegativeBinomial``.

    Example:
        >>> NegativeBinomial(3.0, probs=ember.tensor([0.4, 0.9])).mean   # tensor([2.0000, 27.0000])
    """
    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        param = self._set_param("NegativeBinomial", probs, logits, total_count)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_binary(NegativeBinomial, batch_shape, _instance, ("total_count",))

    @property
    def mean(self):
        return self.total_count * exp(self.logits)

    @property
    def mode(self):
        return floor((self.total_count - 1) * exp(self.logits)).clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / sigmoid(-self.logits)

    @property
    def _gamma(self):
        return Gamma(self.total_count, exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=()):
        with no_grad():
            return poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r = self.total_count
        log_unnormalized = r * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        with np.errstate(invalid="ignore"):  # inf - inf where r + k == 0, masked next
            log_normalization = -lgamma(r + value) + lgamma(1.0 + value) + lgamma(r)
        log_normalization = log_normalization.masked_fill(r + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
