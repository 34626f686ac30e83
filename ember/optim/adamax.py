"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from ._checks import check_betas, check_lr_eps_wd
from ._state import init_zeros
from ._update_math import lerp_
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba), PyTorch's update rule and state (``step``, ``exp_avg``, ``exp_inf``):

    ``m = b1 m + (1 - b1) g``, ``u = max(b2 u, |g| + eps)``, ``p -= lr / (1 - b1^t) * m / u``.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr_eps_wd(lr, eps, weight_decay)
        check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        eps = float(group["eps"])
        for p, g, state, step, (t, _) in self._updates(group, 2, _INIT):
            m = state["exp_avg"]._data
            u = state["exp_inf"]._data
            lerp_(m, g, 1.0 - beta1, t)
            u *= beta2
            np.abs(g, out=t)
            t += eps
            np.maximum(u, t, out=u)
            clr = lr / (1.0 - beta1 ** step)
            np.divide(m, u, out=t)
            t *= -clr
            p._data += t


_INIT = init_zeros("exp_avg", "exp_inf")
