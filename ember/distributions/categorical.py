"""Categorical(probs | logits) over {0, ..., K-1}, and OneHotCategorical (the same, one-hot coded).

probs are normalised along the last dimension; logits are normalised so logsumexp(logits) = 0.
log p(k) = logits[k];  H = -sum_k probs[k] logits[k].
"""
import numpy as np

from .. import _sampling
from .._random import default_generator
from .._tensor import Size, _wrap
from ..ops import argmax, clamp, gather, one_hot
from . import constraints
from ._logits import as_float_tensor, logits_to_probs, normalize_logits, one_of, probs_to_logits
from .distribution import Distribution, lazy_property

__all__ = ["Categorical", "OneHotCategorical"]


class Categorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        one_of(probs, logits, "Categorical")
        if probs is not None:
            probs = as_float_tensor(probs)
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            logits = as_float_tensor(logits)
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = normalize_logits(logits)
            param = self.logits
        self._param = param
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(Categorical, batch_shape, _instance, ("probs", "logits"), (self._num_events,))
        new._param = new.__dict__["probs"] if self._param is self.__dict__.get("probs") else new.__dict__["logits"]
        new._num_events = self._num_events
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return _wrap(np.full(tuple(self.batch_shape), np.nan, dtype=self._param._data.dtype))

    @property
    def mode(self):
        return argmax(self.probs, dim=-1)

    @property
    def variance(self):
        return self.mean

    def sample(self, sample_shape=()):
        """``multinomial(probs, n, replacement=True)`` per row, as PyTorch draws it."""
        sample_shape = Size(tuple(Size(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)))
        n = int(np.prod(sample_shape, dtype=np.int64))
        rows = self.probs._data.reshape(-1, self._num_events)
        picks = _sampling.multinomial(default_generator, rows, n, True).T if n else np.zeros((0, len(rows)), np.int64)
        return _wrap(picks.reshape(tuple(sample_shape) + tuple(self.batch_shape)).astype(np.int64))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(value.shape[:-1]), tuple(self.logits.shape[:-1]))
        logits = self.logits.expand(shape + (self._num_events,))
        return gather(logits, -1, value.expand(shape + (1,))).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        return -(self.probs * clamp(self.logits, min=min_real)).sum(-1)

    def enumerate_support(self, expand=True):
        n = self._num_events
        values = _wrap(np.arange(n, dtype=np.int64).reshape((n,) + (1,) * len(self.batch_shape)))
        return values.expand((n,) + tuple(self.batch_shape)) if expand else values


class OneHotCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(OneHotCategorical, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, new._categorical.batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return one_hot(self.probs.argmax(-1), self.event_shape[-1]).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        k = self._categorical.sample(sample_shape)
        return one_hot(k, self.event_shape[-1]).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        """The K one-hot vectors along a new first dimension."""
        n = self.event_shape[0]
        eye = np.eye(n, dtype=self._categorical._param._data.dtype)
        values = _wrap(eye.reshape((n,) + (1,) * len(self.batch_shape) + (n,)))
        return values.expand((n,) + tuple(self.batch_shape) + (n,)) if expand else values

    def __repr__(self):
        return repr(self._categorical).replace("Categorical", "OneHotCategorical", 1)
