"""``torch.special`` (``ember.special``): the special functions under PyTorch's names, each the
ember op of the same math (``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is
``digamma``, ``ndtr`` is the standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``).

A name PyTorch has here and ember does not (the Bessel and orthogonal-polynomial families,
``zeta``, ``gammainc``, ...) raises AttributeError saying so.

Example:
    >>> ember.special.expit(ember.tensor([0.0]))
    tensor([0.5000])
"""
import math

from .ops import (digamma, erf, erfc, erfinv, exp2, expm1, i0, lgamma, log1p, log_softmax, logit,  # noqa: F401
                  logsumexp, polygamma, round, sigmoid, sinc, softmax, xlogy)
from .ops.arithmetic import add, mul

__all__ = ["digamma", "psi", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "log1p",
           "log_softmax", "logit", "logsumexp", "ndtr", "polygamma", "round", "sinc", "softmax", "xlogy"]

expit = sigmoid
gammaln = lgamma
psi = digamma

_NOT_IN_EMBER = {"airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
                 "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "entr", "erfcx",
                 "gammainc", "gammaincc", "hermite_polynomial_h", "hermite_polynomial_he", "i0e", "i1", "i1e",
                 "laguerre_polynomial_l", "legendre_polynomial_p", "log_ndtr", "modified_bessel_i0",
                 "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtri",
                 "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t",
                 "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
                 "shifted_chebyshev_polynomial_w", "spherical_bessel_j0", "xlog1py", "zeta"}


def ndtr(input):
    """The standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2``: PyTorch's formula, so below about
    -8.3 it is 0 in float64 as in PyTorch (``erfc`` would keep the tail's digits).

    Example:
        >>> ember.special.ndtr(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return mul(add(erf(mul(input, 1.0 / math.sqrt(2.0))), 1.0), 0.5)


def __getattr__(name):
    if name in _NOT_IN_EMBER:
        raise AttributeError(f"torch.special.{name} is not implemented in ember; the functions it has are "
                             f"{', '.join(sorted(__all__))}")
    raise AttributeError(f"module 'ember.special' has no attribute '{name}'")
