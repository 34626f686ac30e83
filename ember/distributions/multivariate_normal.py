"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril), Sigma = L L^T:
log p(x) = -1/2 [k log 2 pi + |L^-1 (x - loc)|^2] - sum log diag L.
"""
import math

import numpy as np

from .. import _sampling
from .._tensor import _wrap
from ..ops import diagonal, log, matmul
from . import constraints
from ._special import cholesky, solve_triangular
from .distribution import Distribution, _draw, lazy_property

__all__ = ["MultivariateNormal"]


def _mT(t):
    return t.transpose(-1, -2)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        matrix = next(m for m in (scale_tril, covariance_matrix, precision_matrix) if m is not None)
        if matrix.dim() < 2:
            raise ValueError("scale_tril, covariance_matrix or precision_matrix must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        batch_shape = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        k = loc.shape[-1]
        if tuple(matrix.shape[-2:]) != (k, k):
            raise ValueError(f"the matrix must be {k} x {k} to match loc, got shape {tuple(matrix.shape)}")
        self.loc = loc.expand(batch_shape + (k,))
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(batch_shape + (k, k))
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (k, k))
        else:
            self.precision_matrix = precision_matrix.expand(batch_shape + (k, k))
        super().__init__(batch_shape, (k,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            # P = M M^T  =>  Sigma = M^-T M^-1, factored again
            m_inv = solve_triangular(cholesky(precision_matrix), self._eye(precision_matrix))
            self._unbroadcasted_scale_tril = cholesky(matmul(_mT(m_inv), m_inv))

    def expand(self, batch_shape, _instance=None):
        k = self.event_shape[0]
        new = self._expanded(MultivariateNormal, batch_shape, _instance,
                             ("covariance_matrix", "scale_tril", "precision_matrix"), (k, k))
        new.loc = self.loc.expand(tuple(new.batch_shape) + (k,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        return new

    @staticmethod
    def _eye(like):
        return _wrap(np.eye(like.shape[-1], dtype=like._data.dtype))

    @lazy_property
    def scale_tril(self):
        k = self.event_shape[0]
        return self._unbroadcasted_scale_tril.expand(tuple(self.batch_shape) + (k, k))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        k = self.event_shape[0]
        return matmul(L, _mT(L)).expand(tuple(self.batch_shape) + (k, k))

    @lazy_property
    def precision_matrix(self):
        L_inv = solve_triangular(self._unbroadcasted_scale_tril, self._eye(self.loc))
        k = self.event_shape[0]
        return matmul(_mT(L_inv), L_inv).expand(tuple(self.batch_shape) + (k, k))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        L = self._unbroadcasted_scale_tril
        return (L ** 2).sum(-1).expand(tuple(self.batch_shape) + tuple(self.event_shape))

    def rsample(self, sample_shape=()):
        """loc + L eps, eps ~ N(0, I)."""
        eps = _draw(_sampling.normal, self._extended_shape(sample_shape), self.loc._data.dtype)
        return self.loc + matmul(self._unbroadcasted_scale_tril, eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return log(diagonal(self._unbroadcasted_scale_tril, dim1=-2, dim2=-1)).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = (value - self.loc).unsqueeze(-1)
        M = (solve_triangular(self._unbroadcasted_scale_tril, diff) ** 2).sum((-2, -1))
        k = self.event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self):
        k = self.event_shape[0]
        H = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return H.expand(tuple(self.batch_shape)) if tuple(H.shape) != tuple(self.batch_shape) else H
