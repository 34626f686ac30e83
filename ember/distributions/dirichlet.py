"""Dirichlet(concentration c) on the simplex:
log p(x) = sum (c_i - 1) log x_i + lgamma(sum c) - sum lgamma(c_i).
"""
from ..ops import clamp, one_hot, where, xlogy
from . import constraints
from ._logits import as_float_tensor
from ._special import digamma, lgamma
from ._gamma_sample import sample_dirichlet
from .distribution import Distribution

__all__ = ["Dirichlet"]


def _dirichlet_mode(c):
    """(c - 1)+ normalised; where every c < 1, the one-hot of the argmax of that (0/0) vector."""
    cm1 = clamp(c - 1, min=0.0)
    mode = cm1 / cm1.sum(-1, keepdim=True)
    all_small = (c < 1).all(-1, keepdim=True)
    corner = one_hot(mode.argmax(-1), cm1.shape[-1]).to(mode.dtype)
    return where(all_small, corner, mode)


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        concentration = as_float_tensor(concentration)
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        return _dirichlet_mode(self.concentration)

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0 ** 2 * (c0 + 1))

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Dirichlet, batch_shape, _instance, ("concentration",), self.event_shape)

    def rsample(self, sample_shape=()):
        """Normalised gamma draws, differentiable in the concentration (implicit reparameterisation)."""
        return sample_dirichlet(self.concentration.expand(tuple(self._extended_shape(sample_shape))))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        c0 = c.sum(-1)
        return lgamma(c).sum(-1) - lgamma(c0) - (k - c0) * digamma(c0) - ((c - 1.0) * digamma(c)).sum(-1)
