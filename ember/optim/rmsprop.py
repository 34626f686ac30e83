"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from .optimizer import Optimizer, _check_nonneg, _closure_loss, _ema_sq_, _init_zeros, _lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's update rule and state (``step``, ``square_avg``, ``momentum_buffer``,
    ``grad_avg``):

    ``v = alpha v + (1 - alpha) g²``; ``avg = sqrt(v - mean(g)²)`` if ``centered`` else ``sqrt(v)``,
    plus ``eps``; then ``buf = momentum buf + g / avg; p -= lr buf`` or ``p -= lr g / avg``.

    Example:
        >>> opt = ember.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9, centered=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_nonneg(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            eps = float(group["eps"])
            momentum = float(group["momentum"])
            centered = group["centered"]
            init = _INIT[momentum > 0, bool(centered)]
            for p, g, state, _, (t, _) in self._updates(group, 2, init):
                sq = state["square_avg"]._data
                _ema_sq_(sq, g, alpha, t)
                if centered:
                    ga = state["grad_avg"]._data
                    _lerp_(ga, g, 1.0 - alpha, t)
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
        return loss


# State layout by (momentum > 0, centered), in PyTorch's key order.
_INIT = {(False, False): _init_zeros("square_avg"),
         (True, False): _init_zeros("square_avg", "momentum_buffer"),
         (False, True): _init_zeros("square_avg", "grad_avg"),
         (True, True): _init_zeros("square_avg", "momentum_buffer", "grad_avg")}
