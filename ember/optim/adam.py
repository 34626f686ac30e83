"""Adam: adaptive moment estimation (with AMSGrad, maximize and L2 or decoupled weight decay)."""
import math

import numpy as np

from .optimizer import (Optimizer, _check_betas, _check_lr_eps_wd, _closure_loss, _effective_grad, _ema_sq_,
                        _lerp_, _step_state, _zeros_state)

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's update rule and state (``step``, ``exp_avg``, ``exp_avg_sq``,
    ``max_exp_avg_sq`` with ``amsgrad``).

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    ``weight_decay`` adds ``weight_decay * p`` to the gradient, or with
    ``decoupled_weight_decay=True`` (AdamW) multiplies ``p`` by ``1 - lr * weight_decay``.

    Example:
        >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_lr_eps_wd(lr, eps, weight_decay)
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            beta1, beta2 = float(beta1), float(beta2)
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                d = p.data
                state = self.state[p]
                if not state:
                    state["step"] = _step_state()
                    state["exp_avg"] = _zeros_state(p)
                    state["exp_avg_sq"] = _zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_state(p)
                steps = state["step"].data
                steps += 1
                step = float(steps)
                m = state["exp_avg"].data
                v = state["exp_avg_sq"].data
                need_g = maximize or (wd != 0 and not decoupled)
                bufs = self._scratch(p, 2 if need_g else 1)
                t = bufs[0]
                if wd != 0 and decoupled:
                    d *= 1.0 - lr * wd
                    g = _effective_grad(d, grad.data, 0.0, maximize, bufs[-1])
                else:
                    g = _effective_grad(d, grad.data, wd, maximize, bufs[-1])
                _lerp_(m, g, 1.0 - beta1, t)
                _ema_sq_(v, g, beta2, t)
                step_size = lr / (1.0 - beta1 ** step)
                bc2_sqrt = math.sqrt(1.0 - beta2 ** step)
                if amsgrad:
                    vmax = state["max_exp_avg_sq"].data
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                # denom = sqrt(v) / sqrt(1 - b2^t) + eps; p += -step_size * m / denom
                np.sqrt(v, out=t)
                t /= bc2_sqrt
                t += eps
                np.divide(m, t, out=t)
                t *= -step_size
                d += t
                p._vc[0] += 1
        return loss
