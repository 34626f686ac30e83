"""Rprop: resilient backpropagation, a per-element step size adapted from the sign of the gradient."""
import numpy as np

from .._tensor import _wrap
from ._state import step_state
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun), PyTorch's update rule and state (``step``, ``prev``, ``step_size``).

    Per element, with ``s = sign(g * prev)``: the step size is multiplied by ``etaplus`` where
    ``s > 0``, by ``etaminus`` where ``s < 0`` (and that element's gradient is taken as 0 this
    step), then clamped to ``step_sizes``; ``p -= sign(g) * step_size``; ``prev = g``. The step
    sizes start at ``lr``. ``maximize`` ascends instead.

    ``foreach`` only chooses PyTorch's kernel: accepted, same numbers; ``capturable=True`` and
    ``differentiable=True`` raise ``NotImplementedError`` (see ``Optimizer``).

    Example:
        >>> opt = ember.optim.Rprop(model.parameters(), lr=0.01, etas=(0.5, 1.2))
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        etaminus, etaplus = (float(e) for e in group["etas"])
        lo, hi = (float(s) for s in group["step_sizes"])
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad._data
            if group["maximize"]:
                g = -g
            state = self.state[p]
            if not state:
                state["step"] = step_state()
                state["prev"] = _wrap(np.zeros_like(p._data))
                state["step_size"] = _wrap(np.full_like(g, float(group["lr"])))
            state["step"]._data += 1
            prev, size = state["prev"]._data, state["step_size"]._data
            s, factor = self._scratch(p, 2)
            np.multiply(g, prev, out=s)
            np.sign(s, out=s)
            factor.fill(1)
            factor[s > 0] = etaplus
            factor[s < 0] = etaminus
            size *= factor
            np.clip(size, lo, hi, out=size)
            np.copyto(prev, g)
            prev[factor == np.asarray(etaminus, factor.dtype)] = 0
            np.sign(prev, out=s)
            s *= size
            p._data -= s
            p._vc[0] += 1
