"""``torch.special`` (``ember.special``): the special functions under PyTorch's names, each the
ember op of the same math (``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is
``digamma``, ``ndtr`` is the standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``).

The Bessel functions are ``ember/ops/bessel.py``, the orthogonal polynomials
``ember/ops/orthogonal_polynomials.py``, erfcx, log_ndtr, ndtri, entr, xlog1py, zeta and
multigammaln, gammainc, gammaincc ``ember/ops/special_extra.py``. A name PyTorch has here and ember
does not (none in PyTorch 2.13; the hook stays for later ones) raises AttributeError saying so.

Example:
    >>> ember.special.expit(ember.tensor([0.0]))
    tensor([0.5000])
"""
import math

from .ops import (digamma, erf, erfc, erfinv, exp2, expm1, i0, lgamma, log1p, log_softmax, logit,  # noqa: F401
                  logsumexp, polygamma, round, sigmoid, sinc, softmax, xlogy)
from .ops.arithmetic import add, mul
from .ops.bessel import *  # noqa: F401,F403
from .ops.bessel import __all__ as _BESSEL
from .ops.orthogonal_polynomials import *  # noqa: F401,F403
from .ops.orthogonal_polynomials import __all__ as _POLYNOMIALS
from .ops.special_extra import (entr, erfcx, gammainc, gammaincc, log_ndtr, multigammaln, ndtri,  # noqa: F401
                                xlog1py, zeta)

__all__ = ["digamma", "psi", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "log1p",
           "log_softmax", "logit", "logsumexp", "ndtr", "polygamma", "round", "sinc", "softmax", "xlogy"]
__all__ += ["entr", "erfcx", "gammainc", "gammaincc", "log_ndtr", "multigammaln", "ndtri", "xlog1py",
            "zeta"] + _BESSEL + _POLYNOMIALS

expit = sigmoid
gammaln = lgamma
psi = digamma

_NOT_IN_EMBER = set()          # every function of PyTorch 2.13's torch.special is here


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
