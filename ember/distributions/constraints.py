"""Constraints: where a parameter or a value lives (``torch.distributions.constraints``).

``check(value)`` returns a bool Tensor, one entry per element of the batch (event dimensions
reduced by ``event_dim``). Checks run on arrays: validation is never differentiated.
"""
import numpy as np

from .._tensor import _wrap

__all__ = ["Constraint", "real", "real_vector", "positive", "nonnegative", "greater_than", "interval",
           "half_open_interval", "unit_interval", "boolean", "simplex", "integer_interval", "nonnegative_integer",
           "less_than", "greater_than_eq", "positive_integer",
           "one_hot", "lower_cholesky", "positive_definite", "independent", "dependent"]


def _arr(v):
    return v._data if hasattr(v, "_data") else np.asarray(v)


class Constraint:
    is_discrete = False
    event_dim = 0

    def _ok(self, x):
        raise NotImplementedError

    def check(self, value):
        ok = self._ok(_arr(value))
        return _wrap(np.asarray(ok, dtype=bool))

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    def _ok(self, x):
        raise ValueError("Cannot determine validity of dependent constraint")


class _Real(Constraint):
    def _ok(self, x):
        return x == x   # not nan


class _GreaterThan(Constraint):
    def __init__(self, lower_bound, strict=True):
        self.lower_bound, self.strict = lower_bound, strict

    def _ok(self, x):
        return x > _arr(self.lower_bound) if self.strict else x >= _arr(self.lower_bound)

    def __repr__(self):
        return f"GreaterThan{'' if self.strict else 'Eq'}(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _ok(self, x):
        return x < _arr(self.upper_bound)

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound, half_open=False):
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def _ok(self, x):
        lo, hi = _arr(self.lower_bound), _arr(self.upper_bound)
        return (lo <= x) & ((x < hi) if self.half_open else (x <= hi))

    def __repr__(self):
        return f"{'HalfOpenInterval' if self.half_open else 'Interval'}(lower_bound={self.lower_bound}, " \
               f"upper_bound={self.upper_bound})"


class _Boolean(Constraint):
    is_discrete = True

    def _ok(self, x):
        return (x == 0) | (x == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _ok(self, x):
        return (x % 1 == 0) & (_arr(self.lower_bound) <= x) & (x <= _arr(self.upper_bound))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _ok(self, x):
        return (x % 1 == 0) & (x >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Simplex(Constraint):
    event_dim = 1

    def _ok(self, x):
        return np.all(x >= 0, axis=-1) & (np.abs(x.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def _ok(self, x):
        return np.all((x == 0) | (x == 1), axis=-1) & (x.sum(-1) == 1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def _ok(self, x):
        lower = np.all(np.tril(x) == x, axis=(-2, -1))
        return lower & np.all(np.diagonal(x, axis1=-2, axis2=-1) > 0, axis=-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def _ok(self, x):
        sym = np.all(np.isclose(x, np.swapaxes(x, -1, -2), atol=1e-6), axis=(-2, -1))
        return sym & np.all(np.linalg.eigvalsh(x) > 0, axis=-1)


class _Independent(Constraint):
    def __init__(self, base, reinterpreted_batch_ndims):
        self.base_constraint, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def _ok(self, x):
        ok = self.base_constraint._ok(x)
        n = self.reinterpreted_batch_ndims
        return np.all(ok, axis=tuple(range(-n, 0))) if n else ok

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint}, {self.reinterpreted_batch_ndims})"


dependent = _Dependent()
real = _Real()
real_vector = _Independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, strict=False)
greater_than = _GreaterThan
interval = _Interval
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()
integer_interval = _IntegerInterval
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
less_than = _LessThan
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
independent = _Independent


def greater_than_eq(lower_bound):
    return _GreaterThan(lower_bound, strict=False)


def half_open_interval(lower_bound, upper_bound):
    return _Interval(lower_bound, upper_bound, half_open=True)
