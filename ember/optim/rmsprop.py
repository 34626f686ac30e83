"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from .optimizer import (Optimizer, _check_lr_eps_wd, _closure_loss, _effective_grad, _ema_sq_, _lerp_,
                        _step_state, _zeros_state)

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
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        _check_lr_eps_wd(lr, eps, weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
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
            wd = float(group["weight_decay"])
            momentum = float(group["momentum"])
            centered = group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                d = p.data
                state = self.state[p]
                if not state:
                    state["step"] = _step_state()
                    state["square_avg"] = _zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_state(p)
                    if centered:
                        state["grad_avg"] = _zeros_state(p)
                state["step"].data += 1
                t, t2 = self._scratch(p, 2)
                g = _effective_grad(d, grad.data, wd, maximize, t2)
                sq = state["square_avg"].data
                _ema_sq_(sq, g, alpha, t)
                if centered:
                    ga = state["grad_avg"].data
                    _lerp_(ga, g, 1.0 - alpha, t)
                    np.multiply(ga, ga, out=t)
                    np.subtract(sq, t, out=t)
                    np.sqrt(t, out=t)
                else:
                    np.sqrt(sq, out=t)
                t += eps
                np.divide(g, t, out=t)
                if momentum > 0:
                    buf = state["momentum_buffer"].data
                    buf *= momentum
                    buf += t
                    np.multiply(buf, -lr, out=t)
                else:
                    t *= -lr
                d += t
                p._vc[0] += 1
        return loss
