"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
import numpy as np

from .._tensor import _wrap
from ._checks import check_nonneg
from ._state import step_state
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's update rule and state (``step``, ``sum``):

    ``sum += g²``, ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)``.
    Like PyTorch, the state is created when the optimizer is built, and ``sum`` starts at the
    constructor's ``initial_accumulator_value`` for every group (PyTorch ignores a per-group value;
    ember does the same so trajectories match).

    ``foreach`` and ``fused`` only choose PyTorch's kernel: accepted, same numbers (ember has one);
    ``differentiable=True`` raises ``NotImplementedError`` (see ``Optimizer``).

    Example:
        >>> opt = ember.optim.Adagrad(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_nonneg(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_state()
                self._init_state(p, state)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        lr_decay = float(group["lr_decay"])
        eps = float(group["eps"])
        for p, g, state, step, (t, _) in self._updates(group, 2, self._init_state):
            clr = lr / (1.0 + (step - 1.0) * lr_decay)
            s = state["sum"]._data
            np.multiply(g, g, out=t)
            s += t
            np.sqrt(s, out=t)
            t += eps
            np.divide(g, t, out=t)
            t *= -clr
            p._data += t

    def _init_state(self, p, state):
        state["sum"] = _wrap(np.full_like(p._data, self.defaults["initial_accumulator_value"]))
