"""Differentiable primitives, one concept per module; ``ember.*`` re-exports their public functions.

The core families, lowest first (each imports only from those before it):
arithmetic, math_functions, comparison, clamp_where, fill (elementwise); views, join_split, rearrange,
diagonals (shape); index; reduce, cumulative, sorting; linalg; softmax_ops, activation.
"""
from . import (activation, arithmetic, clamp_where, comparison, cumulative, diagonals, fill, index,  # noqa: F401
               join_split, linalg, math_functions, rearrange, reduce, softmax_ops, sorting, views)
from . import special  # noqa: F401
from . import order_stats  # noqa: F401
from . import bessel, orthogonal_polynomials, special_extra  # noqa: F401  (torch.special's; above special)
from . import covariance, index_extra, integration, scaled_products, shape_extra  # noqa: F401  (above the core)
from ._cast import to_dtype  # noqa: F401
from .activation import *  # noqa: F401,F403
from .arithmetic import *  # noqa: F401,F403
from .clamp_where import *  # noqa: F401,F403
from .comparison import *  # noqa: F401,F403
from .cumulative import *  # noqa: F401,F403
from .diagonals import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .join_split import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .math_functions import *  # noqa: F401,F403
from .order_stats import *  # noqa: F401,F403
from .rearrange import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .softmax_ops import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .views import *  # noqa: F401,F403
from .shape_extra import *  # noqa: F401,F403
from .scaled_products import *  # noqa: F401,F403
from .integration import *  # noqa: F401,F403
from .covariance import *  # noqa: F401,F403
from .index_extra import *  # noqa: F401,F403

# What ``from ember.ops import *`` (and so ``ember``) takes: every family's public functions, to_dtype,
# and the module names it has always exported (``ember.linalg`` etc.).
__all__ = sorted({name for family in (activation, arithmetic, clamp_where, comparison, cumulative, diagonals, index,
                                      join_split, linalg, math_functions, rearrange, reduce, softmax_ops, sorting,
                                      views, special, order_stats, shape_extra, scaled_products, integration,
                                      covariance, index_extra)
                 for name in family.__all__}
                 | {"to_dtype", "activation", "index", "reduce"})   # ember.linalg: the torch.linalg namespace
mvlgamma, igamma, igammac = special_extra.mvlgamma, special_extra.igamma, special_extra.igammac   # torch.*'s
__all__ += ["mvlgamma", "igamma", "igammac"]   # (the rest of special_extra, bessel, polynomials: ember.special)

# torch.softmax / Tensor.softmax are PyTorch's native forms (dim required, axis= accepted);
# ember.nn.functional keeps F's own softmax and log_softmax (softmax_ops.softmax, .log_softmax).
softmax, log_softmax = softmax_ops.tensor_softmax, softmax_ops.tensor_log_softmax
