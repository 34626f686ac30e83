"""Geometric(probs | logits): failures before the first success, log p(k) = k log(1 - p) + log p.

Sampling is PyTorch's: ``u = uniform_(tiny, 1)`` in the parameter's dtype, then
``floor(log u / log1p(-p))`` (one uniform per value, the same stream as PyTorch).
"""
import numpy as np

from .. import _sampling
from .._random import default_generator
from .._tensor import _wrap
from ..autograd.grad_mode import no_grad
from ..ops import floor, log, log1p, where
from ..ops.loss.probabilistic import binary_cross_entropy_with_logits
from . import constraints
from ._logits import BinaryProbsOrLogits
from .distribution import Distribution, broadcast_all

__all__ = ["Geometric"]


class Geometric(BinaryProbsOrLogits, Distribution):
    """Number of failures before the first success in Bernoulli(probs) trials, as
    ``torch.distributions.Geometric``.

    Example:
        >>> ember.manual_seed(0)
        >>> Geometric(ember.tensor([0.2, 0.9])).sample((3,))   # PyTorch's draws for the same seed
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_param("Geometric", probs, logits)
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None and not (self.probs._data > 0).all():
            bad = self.probs._data[~(self.probs._data > 0)]
            raise ValueError(f"Expected parameter probs (Tensor of shape {tuple(self.probs.shape)}) of distribution "
                             f"{self!r} to be positive but found invalid values:\n{_wrap(bad)}")

    def expand(self, batch_shape, _instance=None):
        return self._expanded_binary(Geometric, batch_shape, _instance, ())

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return self.probs * 0

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        dtype = self.probs._data.dtype
        with no_grad():
            u = _wrap(_sampling.uniform(default_generator, shape, dtype, float(np.finfo(dtype).tiny), 1.0))
            return floor(log(u) / log1p(-self.probs))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = where((probs == 1) & (value == 0), probs * 0, probs)   # 0 * log(0) is 0 there
        return value * log1p(-probs) + log(self.probs)

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
