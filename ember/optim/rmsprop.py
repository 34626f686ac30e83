"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from ._checks import check_nonneg
from ._state import init_zeros
from ._update_math import ema_sq_, lerp_
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's update rule and state (``step``, ``square_avg``, ``momentum_buffer``,
    ``grad_avg``):

    ``v = alpha v + (1 - alpha) g²``; ``avg = sqrt(v - mean(g)²)`` if ``centered`` else ``sqrt(v)``,
    plus ``eps``; then ``buf = momentum buf + g / avg; p -= lr buf`` or ``p -= lr g / avg``.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9, centered=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_nonneg(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        alpha = float(group["alpha"])
        eps = float(group["eps"])
        momentum = float(group["momentum"])
        centered = group["centered"]
        init = _INIT[momentum > 0, bool(centered)]
        for p, g, state, _, (t, _) in self._updates(group, 2, init):
            sq = state["square_avg"]._data
            ema_sq_(sq, g, alpha, t)
            if centered:
                ga = state["grad_avg"]._data
                lerp_(ga, g, 1.0 - alpha, t)
                np.multiply(ga, ga, out=t)
                np.subtract(sq, t, out=t)
                np.sqrt(t, out=t)
            else:
                np.sqrt(sq, out=t)
            t += eps
            np.divide(g, t, out=t)
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= momentum
                buf += t
                np.multiply(buf, -lr, out=t)
            else:
                t *= -lr
            p._data += t


# State layout by (momentum > 0, centered), in PyTorch's key order.
_INIT = {(False, False): init_zeros("square_avg"),
         (True, False): init_zeros("square_avg", "momentum_buffer"),
         (False, True): init_zeros("square_avg", "grad_avg"),
         (True, True): init_zeros("square_avg", "momentum_buffer", "grad_avg")}
