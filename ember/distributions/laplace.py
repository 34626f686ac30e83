"""Laplace(loc, scale): log p(x) = -log(2 scale) - |x - loc| / scale."""
import numpy as np

from .. import _sampling
from ..ops import abs, expm1, log, log1p, sign
from .distribution import LocScale, _draw

__all__ = ["Laplace"]


class Laplace(LocScale):
    @property
    def stddev(self):
        return 2 ** 0.5 * self.scale

    @property
    def variance(self):
        return 2 * self.scale ** 2

    def rsample(self, sample_shape=()):
        """loc - scale sign(u) log(1 - |u|), u ~ U(-1, 1)."""
        dtype = self.loc._data.dtype
        u = _draw(_sampling.uniform, self._extended_shape(sample_shape), dtype, float(np.finfo(dtype).eps) - 1, 1.0)
        return self.loc - self.scale * sign(u) * log1p(-abs(u))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -log(2 * self.scale) - abs(value - self.loc) / self.scale

    def cdf(self, value):
        """1/2 - 1/2 sign(value - loc) expm1(-|value - loc| / scale)."""
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * sign(d) * expm1(-abs(d) / self.scale)

    def icdf(self, value):
        """loc - scale sign(value - 1/2) log1p(-2 |value - 1/2|)."""
        t = value - 0.5
        return self.loc - self.scale * sign(t) * log1p(-2 * abs(t))

    def entropy(self):
        return 1 + log(2 * self.scale)
