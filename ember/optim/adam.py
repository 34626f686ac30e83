"""Adam: adaptive moment estimation (with AMSGrad, maximize and L2 or decoupled weight decay)."""
import math

import numpy as np

from ._checks import check_betas, check_lr_eps_wd
from ._state import init_zeros
from ._update_math import decay_l2, effective_grad, ema_sq_, lerp_
from .optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's update rule and state (``step``, ``exp_avg``, ``exp_avg_sq``,
    ``max_exp_avg_sq`` with ``amsgrad``).

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    ``weight_decay`` adds ``weight_decay * p`` to the gradient, or with
    ``decoupled_weight_decay=True`` (AdamW) multiplies ``p`` by ``1 - lr * weight_decay``.

    ``foreach`` and ``fused`` only choose PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_lr_eps_wd(lr, eps, weight_decay)
        check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        eps = float(group["eps"])
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        decay, l2 = decay_l2(group)
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        keys = _KEYS_AMSGRAD if amsgrad else _KEYS
        flat = self._flat_state(index, params, keys) if len(params) > 1 else None
        if flat is not None:
            # All parameters of the group as one vector: a dozen NumPy calls in all.
            for p, gv in zip(params, flat.gviews):
                d = p._data
                if decay is not None:
                    d *= decay
                g = effective_grad(d, p.grad._data, l2, maximize, gv)
                if g is not gv:
                    np.copyto(gv, g)
            flat.step_array += 1
            step = float(flat.step_array[0])
            _update(*flat.arrays, flat.g, flat.t, beta1, beta2, step, lr, eps)
            for p, tv in zip(params, flat.tviews):
                p._data += tv
                p._vc[0] += 1
            return
        for p, g, state, step, (t, _) in self._updates(group, 2, _INIT_AMSGRAD if amsgrad else _INIT):
            _update(*(state[k]._data for k in keys), g, t, beta1, beta2, step, lr, eps)
            p._data += t


_KEYS = ("exp_avg", "exp_avg_sq")
_KEYS_AMSGRAD = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
_INIT, _INIT_AMSGRAD = init_zeros(*_KEYS), init_zeros(*_KEYS_AMSGRAD)


def _update(m, v, *rest):
    """Advance the moments in place and write the parameter change ``-lr_t * m / denom`` to ``t``."""
    if len(rest) == 8:
        vmax, g, t, beta1, beta2, step, lr, eps = rest
    else:
        vmax = None
        g, t, beta1, beta2, step, lr, eps = rest
    lerp_(m, g, 1.0 - beta1, t)
    ema_sq_(v, g, beta2, t)
    step_size = lr / (1.0 - beta1 ** step)
    bc2_sqrt = math.sqrt(1.0 - beta2 ** step)
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    # denom = sqrt(v) / sqrt(1 - b2^t) + eps
    np.sqrt(v, out=t)
    t /= bc2_sqrt
    t += eps
    np.divide(m, t, out=t)
    t *= -step_size
