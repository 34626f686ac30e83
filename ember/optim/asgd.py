"""ASGD: stochastic gradient descent with Polyak-Ruppert averaging of the iterates."""
import numpy as np

from .._tensor import _wrap
from ._checks import check_nonneg
from ._state import step_state
from ._update_math import add_scaled_
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, PyTorch's update rule and state (``step``, ``eta``, ``mu``, ``ax``):

    ``g = grad + weight_decay * p``; ``p *= 1 - lambd * eta``; ``p -= eta * g``;
    ``ax += mu * (p - ax)`` (``ax = p`` while ``mu == 1``); then, with t the step count,
    ``eta = lr / (1 + lambd * lr * t) ** alpha`` and ``mu = 1 / max(1, t - t0)``.
    The averaged parameters are ``optimizer.state[p]["ax"]``.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers; ``capturable=True`` and
    ``differentiable=True`` raise ``NotImplementedError`` (see ``Optimizer``).

    Example:
        >>> opt = ember.optim.ASGD(model.parameters(), lr=0.01, t0=100)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        check_nonneg(lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr, lambd, alpha, t0 = (float(group[k]) for k in ("lr", "lambd", "alpha", "t0"))
        wd = float(group["weight_decay"])
        for p in group["params"]:
            if p.grad is None:
                continue
            d = p._data
            state = self.state[p]
            if not state:
                state["step"] = step_state()
                state["eta"] = _wrap(np.array(lr, np.float32))
                state["mu"] = _wrap(np.ones((), np.float32))
                state["ax"] = _wrap(np.zeros_like(d))
            steps = state["step"]._data
            steps += 1
            t = float(steps)
            tmp, = self._scratch(p, 1)
            g = p.grad._data
            if group["maximize"]:
                g = np.negative(g, out=tmp)
            if wd != 0:
                np.copyto(tmp, g)
                g = add_scaled_(tmp, d, wd)
            eta = float(state["eta"]._data)
            d *= 1 - lambd * eta
            add_scaled_(d, g, -eta)
            ax, mu = state["ax"]._data, state["mu"]._data
            if float(mu) != 1:
                np.subtract(d, ax, out=tmp)
                tmp *= mu
                ax += tmp
            else:
                np.copyto(ax, d)
            state["eta"]._data[...] = lr / ((1 + lambd * lr * t) ** alpha)
            state["mu"]._data[...] = 1 / max(1, t - t0)
            p._vc[0] += 1
