"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
import numpy as np

from ._checks import check_nonneg
from ._state import init_zeros
from ._update_math import ema_sq_
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler), PyTorch's update rule and state (``step``, ``square_avg``, ``acc_delta``):

    ``v = rho v + (1 - rho) g²``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) delta²``, ``p -= lr * delta``.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_nonneg(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonneg(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        rho = float(group["rho"])
        eps = float(group["eps"])
        for p, g, state, _, (t1, t2, _) in self._updates(group, 3, _INIT):
            sq = state["square_avg"]._data
            acc = state["acc_delta"]._data
            ema_sq_(sq, g, rho, t1)
            np.add(sq, eps, out=t1)
            np.sqrt(t1, out=t1)          # std
            np.add(acc, eps, out=t2)
            np.sqrt(t2, out=t2)
            t2 /= t1
            t2 *= g                      # delta
            ema_sq_(acc, t2, rho, t1)
            t2 *= -lr
            p._data += t2


_INIT = init_zeros("square_avg", "acc_delta")
