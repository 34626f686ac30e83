"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
import numpy as np

from .._tensor import _wrap
from .optimizer import Optimizer, _check_lr_eps_wd, _closure_loss, _effective_grad, _step_state

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's update rule and state (``step``, ``sum``):

    ``sum += g²``, ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)``.
    Like PyTorch, the state is created when the optimizer is built, and ``sum`` starts at the
    constructor's ``initial_accumulator_value`` for every group (PyTorch ignores a per-group value;
    ember does the same so trajectories match).

    Example:
        >>> opt = ember.optim.Adagrad(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        _check_lr_eps_wd(lr, eps, weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_state()
                state["sum"] = _wrap(np.full_like(p.data, initial_accumulator_value))

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = float(group["lr_decay"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                d = p.data
                state = self.state[p]
                if not state:  # a group added after construction
                    state["step"] = _step_state()
                    state["sum"] = _wrap(np.full_like(d, self.defaults["initial_accumulator_value"]))
                steps = state["step"].data
                steps += 1
                step = float(steps)
                t, t2 = self._scratch(p, 2)
                g = _effective_grad(d, grad.data, wd, maximize, t2)
                clr = lr / (1.0 + (step - 1.0) * lr_decay)
                s = state["sum"].data
                np.multiply(g, g, out=t)
                s += t
                np.sqrt(s, out=t)
                t += eps
                np.divide(g, t, out=t)
                t *= -clr
                d += t
                p._vc[0] += 1
        return loss
