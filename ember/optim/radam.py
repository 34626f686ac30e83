"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
import math

import numpy as np

from ._checks import check_betas, check_lr_eps_wd
from ._state import init_zeros
from ._update_math import ema_sq_, lerp_
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al.), PyTorch's update rule and state (``step``, ``exp_avg``, ``exp_avg_sq``).

    While the variance of the adaptive rate is intractable (``rho_t <= 5``) the step is plain
    momentum SGD ``p -= lr * m / (1 - b1^t)``; afterwards it is Adam's step times the rectification
    term ``r_t``.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr_eps_wd(lr, eps, weight_decay)
        check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        eps = float(group["eps"])
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        for p, g, state, step, (t, t2) in self._updates(group, 2, _INIT):
            m = state["exp_avg"]._data
            v = state["exp_avg_sq"]._data
            lerp_(m, g, 1.0 - beta1, t)
            ema_sq_(v, g, beta2, t)
            bias_correction1 = 1.0 - beta1 ** step
            bias_correction2 = 1.0 - beta2 ** step
            rho_t = rho_inf - 2.0 * step * (beta2 ** step) / bias_correction2
            np.divide(m, bias_correction1, out=t2)    # bias-corrected first moment (g is used up)
            t2 *= lr
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                                 / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                np.sqrt(v, out=t)
                t += eps
                np.divide(bias_correction2 ** 0.5, t, out=t)   # adaptive learning rate
                t2 *= t
                t2 *= rect
            p._data -= t2


_INIT = init_zeros("exp_avg", "exp_avg_sq")
