"""probs <-> logits, as torch.distributions.utils (clamped so log never sees 0 or 1)."""
import numpy as np

from .._tensor import Tensor, _wrap
from ..ops import clamp, log, log1p, logsumexp, sigmoid, softmax
from .distribution import broadcast_all, lazy_property


def as_float_tensor(v):
    if isinstance(v, Tensor):
        return v
    return _wrap(np.asarray(v, dtype=np.float32))


def clamp_probs(probs):
    eps = float(np.finfo(probs._data.dtype).eps)
    return clamp(probs, min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    return log(ps) - log1p(-ps) if is_binary else log(ps)


def logits_to_probs(logits, is_binary=False):
    return sigmoid(logits) if is_binary else softmax(logits, dim=-1)


def normalize_logits(logits):
    return logits - logsumexp(logits, dim=-1, keepdim=True)


def one_of(probs, logits, name):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class BinaryProbsOrLogits:
    """Mixin for distributions given by ``probs`` or ``logits`` of a yes/no event (Bernoulli,
    Binomial): the other one is derived on first use; ``_param`` is the one given."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape

    def _set_param(self, name, probs, logits, total_count=None):
        """Set whichever of ``probs``/``logits`` is given (exactly one, checked for ``name``) as a
        float tensor, with ``total_count`` broadcast against it and cast to its dtype when given;
        returns it (also kept as ``_param``)."""
        one_of(probs, logits, name)
        value = as_float_tensor(probs if probs is not None else logits)
        if total_count is None:
            param, = broadcast_all(value)
        else:
            total_count, param = broadcast_all(total_count, value)
            self.total_count = total_count.to(param.dtype)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        return param

    def _expanded_binary(self, cls, batch_shape, _instance, params):
        """``expand``, keeping whichever of probs/logits is set (``_param`` the given one)."""
        new = self._expanded(cls, batch_shape, _instance, params + ("probs", "logits"))
        new._param = new.__dict__["probs"] if self._param is self.__dict__.get("probs") else new.__dict__["logits"]
        return new
