"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
import numpy as np

from .._tensor import _wrap
from ._checks import check_betas, check_lr_eps_wd, check_nonneg
from ._state import zeros_state
from ._update_math import ema_sq_, lerp_
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat), PyTorch's update rule and state (``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``).

    ``mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay))``; ``mu_product`` (a float32 scalar, as in
    PyTorch) is the running product of the ``mu_t``. The update mixes the current gradient and the
    first moment, both divided by ``sqrt(v / (1 - b2^t)) + eps``.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr_eps_wd(lr, eps, weight_decay)
        check_betas(betas)
        check_nonneg(momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        eps = float(group["eps"])
        momentum_decay = float(group["momentum_decay"])
        for p, g, state, step, (t, t2) in self._updates(group, 2, _init):
            d = p._data
            bias_correction2 = 1.0 - beta2 ** step
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1.0) * momentum_decay))
            mu_prod = state["mu_product"]._data
            mu_prod *= mu                 # float32 arithmetic, like PyTorch's 0-d float32 tensor
            mu_product = float(mu_prod)
            mu_product_next = mu_product * mu_next
            m = state["exp_avg"]._data
            v = state["exp_avg_sq"]._data
            lerp_(m, g, 1.0 - beta1, t)
            ema_sq_(v, g, beta2, t)
            np.divide(v, bias_correction2, out=t)
            np.sqrt(t, out=t)
            t += eps                      # denom
            # g may live in t2: use it before t2 is overwritten
            np.divide(g, t, out=t2)
            t2 *= -lr * (1.0 - mu) / (1.0 - mu_product)
            d += t2
            np.divide(m, t, out=t2)
            t2 *= (-lr * mu_next) / (1.0 - mu_product_next)
            d += t2


def _init(p, state):
    state["mu_product"] = _wrap(np.ones((), dtype=np.float32))
    state["exp_avg"] = zeros_state(p)
    state["exp_avg_sq"] = zeros_state(p)
