"""Probability distributions with PyTorch's API (``torch.distributions``), on ember's differentiable
ops: gradients flow through ``log_prob``, ``entropy``, ``kl_divergence`` and ``rsample``.

Layer: above ops (and nn); nothing below imports it.
"""
from . import constraints  # noqa: F401
from . import utils  # noqa: F401
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .poisson import Poisson
from .categorical import Categorical, OneHotCategorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .negative_binomial import NegativeBinomial
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Dirichlet", "Distribution", "Exponential", "Gamma",
           "Independent", "Laplace", "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform",
           "kl_divergence", "register_kl", "constraints"]
__all__ += ["Geometric", "NegativeBinomial", "Poisson"]
