"""Learning-rate schedulers with PyTorch's API, chainable update rules and state_dict layout.

A scheduler rewrites ``group["lr"]`` of its optimizer's param groups each time ``step()`` is
called (once per epoch or per batch, after ``optimizer.step()``). Most rules are *chainable*:
the new lr is computed from the group's current lr, so several schedulers can act on one
optimizer (``ChainedScheduler``); ``step(epoch)`` (deprecated) uses the closed form instead.

Example:
    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
    >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    >>> for epoch in range(100):
    ...     train(...); opt.step(); sched.step()

One module per family; the names are all imported here, where PyTorch has them:

- ``_base``: ``LRScheduler`` (and its old name ``_LRScheduler``), the helpers all share.
- ``_multiplicative``: a factor of the lr -- ``LambdaLR``, ``MultiplicativeLR``, ``StepLR``,
  ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``.
- ``_cosine``: ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``.
- ``_cyclic``: per-batch cycles of lr and momentum -- ``CyclicLR``, ``OneCycleLR``.
- ``_plateau``: ``ReduceLROnPlateau``, driven by a metric.
- ``_composite``: schedulers of schedulers -- ``SequentialLR``, ``ChainedScheduler``.
"""
# torch.optim.lr_scheduler's module also exposes these names (its own imports); kept importable from here.
import math  # noqa: F401
import types  # noqa: F401
import warnings  # noqa: F401
from bisect import bisect_right  # noqa: F401
from collections import Counter  # noqa: F401

from ..._tensor import Tensor  # noqa: F401
from ..optimizer import Optimizer  # noqa: F401
from ._base import LRScheduler, _LRScheduler
from ._composite import ChainedScheduler, SequentialLR
from ._cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from ._cyclic import CyclicLR, OneCycleLR
from ._multiplicative import (ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR,
                              PolynomialLR, StepLR)
from ._plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau",
           "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR"]

# The classes name this module as theirs, as before the split and as PyTorch's do (reprs, pickles).
for _name in (*__all__, "_LRScheduler"):
    globals()[_name].__module__ = __name__
del _name
