"""Bernoulli(probs | logits): log p(x) = x logits - softplus(logits)  (x in {0, 1})."""
import numpy as np

from .. import _sampling
from .._random import default_generator
from .._tensor import _wrap
from ..ops import softplus, where
from . import constraints
from ._logits import BinaryProbsOrLogits
from .distribution import Distribution

__all__ = ["Bernoulli"]


class Bernoulli(BinaryProbsOrLogits, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_param("Bernoulli", probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_binary(Bernoulli, batch_shape, _instance, ())

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        return where(p == 0.5, float("nan"), (p >= 0.5).to(p.dtype))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = self.probs._data
        return _wrap(_sampling.bernoulli_tensor(default_generator, np.broadcast_to(p, tuple(shape))).astype(p.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value * self.logits - softplus(self.logits)

    def entropy(self):
        return softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand=True):
        values = _wrap(np.arange(2, dtype=self._param._data.dtype).reshape((2,) + (1,) * len(self.batch_shape)))
        return values.expand((2,) + tuple(self.batch_shape)) if expand else values
