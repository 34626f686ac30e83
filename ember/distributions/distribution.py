"""The ``Distribution`` base class: shapes, argument validation, sample/rsample, the moments.

Shapes (as PyTorch): ``sample(sample_shape)`` has shape ``sample_shape + batch_shape +
event_shape``; ``log_prob(value)`` sums over the event dimensions and has shape
``sample_shape + batch_shape``.
"""
import warnings

import numpy as np

from .._random import default_generator
from .._tensor import Size, Tensor, _wrap
from ..autograd.grad_mode import no_grad
from ..ops import exp, sqrt
from . import constraints

__all__ = ["Distribution"]


class lazy_property:
    """Computed on first access and cached on the instance (a parameter given in another form)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj, cls):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.fn.__name__] = value
        return value


def _as_size(shape):
    if isinstance(shape, int):
        return Size((shape,))
    return Size(tuple(int(s) for s in shape))


class Distribution:
    """Abstract base class of probability distributions, as ``torch.distributions.Distribution``."""
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints = {}
    support = None

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = _as_size(batch_shape)
        self._event_shape = _as_size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraint is constraints.dependent:
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                    continue   # given in another form (probs vs logits)
                value = getattr(self, param)
                if not constraint.check(value)._data.all():
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                        f"distribution {self!r} to satisfy the constraint {constraint!r}, but found invalid "
                        f"values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(_as_size(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None):
        """A view of this distribution with a larger batch shape: parameters are ``expand``-ed
        (broadcast, no copy) to ``batch_shape`` and ``validate_args`` is kept (no re-validation).

        Example:
            >>> d = ember.distributions.Normal(ember.tensor([0.0, 1.0]), 1.0).expand((3, 2))
            >>> d.batch_shape, d.sample().shape        # (ember.Size([3, 2]), ember.Size([3, 2]))
        """
        raise NotImplementedError(f"{type(self).__name__}.expand is not implemented")

    def _get_checked_instance(self, cls, _instance=None):
        """The (empty) instance ``expand`` fills: ``_instance`` if given, else a new object of this
        type. A subclass with its own ``__init__`` must write its own ``expand``."""
        if _instance is None and type(self).__init__ != cls.__init__:
            base = next(c for c in type(self).__mro__[1:] if c.__module__.startswith("ember.distributions"))
            raise NotImplementedError(f"Subclass {type(self).__name__} of {base.__name__} that defines a custom "
                                      "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _expanded(self, cls, batch_shape, _instance, params, param_event_shape=()):
        """``expand`` for a distribution whose parameters (those of ``params`` that are set) have the
        shape ``batch_shape + param_event_shape``; the event shape is kept."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = _as_size(batch_shape)
        for name in params:
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(tuple(batch_shape) + tuple(param_event_shape)))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    # moments -------------------------------------------------------------------------------
    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self):
        return sqrt(self.variance)

    # sampling ------------------------------------------------------------------------------
    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} does not support rsample (reparameterized sampling)")

    def sample_n(self, n):
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning, stacklevel=2)
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def perplexity(self):
        return exp(self.entropy())

    # validation ----------------------------------------------------------------------------
    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = len(value.shape) - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {tuple(value.shape)} vs "
                             f"{tuple(self._event_shape)}.")
        actual = tuple(value.shape)
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual} vs {expected}.")
        if not self.support.check(value)._data.all():
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {actual}) to be within the "
                             f"support ({self.support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {self.__dict__[k] if self.__dict__[k].numel() == 1 else self.__dict__[k].size()}"
                         for k in names)
        return f"{type(self).__name__}({args})"


class LocScale(Distribution):
    """A real-valued distribution of ``loc + scale * noise`` (Normal, Laplace): parameters,
    shapes, mean and mode (both ``loc``); subclasses give the noise and the density."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(LocScale, batch_shape, _instance, ("loc", "scale"))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


def broadcast_all(*values):
    """Numbers and Tensors to Tensors of one broadcast shape (numbers take the Tensors' float dtype)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    dtype = tensors[0]._data.dtype if tensors and tensors[0].is_floating_point() else np.float32
    for v in values:
        if not isinstance(v, (Tensor, int, float)):
            raise ValueError(f"Input arguments must all be instances of numbers or Tensors, got {type(v).__name__}")
    out = [v if isinstance(v, Tensor) else _wrap(np.asarray(v, dtype=dtype)) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in out))
    return [t if tuple(t.shape) == shape else t.expand(shape) for t in out]


def _draw(sampler, shape, dtype, *args):
    """``sampler(default_generator, shape, dtype, *args)`` from ``ember._sampling`` as a Tensor:
    PyTorch's draws for the same seed (e.g. ``_sampling.normal`` is ``empty(shape).normal_()``)."""
    return _wrap(np.asarray(sampler(default_generator, tuple(shape), np.dtype(dtype), *args)).astype(dtype))
