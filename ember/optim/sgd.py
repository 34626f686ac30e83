"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
import numpy as np

from .._tensor import _wrap
from ._checks import check_lr_eps_wd, check_nonneg
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), PyTorch's update rule:

    ``g = grad + weight_decay * p``; with momentum ``buf = momentum * buf + (1 - dampening) * g``
    (``buf = g`` on the first step) and ``g = g + momentum * buf`` (Nesterov) or ``g = buf``;
    then ``p -= lr * g`` (``+=`` when ``maximize``).

    ``foreach`` and ``fused`` only choose PyTorch's kernel: accepted, same numbers (ember has one);
    ``differentiable=True`` raises ``NotImplementedError`` (see ``Optimizer``).

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_lr_eps_wd(lr, None, weight_decay)
        check_nonneg(momentum=momentum)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")
        super().__init__(params, defaults)

    def _update_group(self, group, index):
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        dampening = float(group["dampening"])
        nesterov = group["nesterov"]
        # No ``init``: like PyTorch, plain SGD keeps no per-parameter state.
        for p, g, _, _, (t2, t1) in self._updates(group, 2):
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    state["momentum_buffer"] = buf = _wrap(np.array(g, copy=True))
                    b = buf._data
                else:
                    b = buf._data
                    b *= momentum
                    if dampening != 0:
                        np.multiply(g, 1.0 - dampening, out=t2)
                        b += t2
                    else:
                        b += g
                if nesterov:
                    np.multiply(b, momentum, out=t2)
                    t2 += g
                    g = t2
                else:
                    g = b
            out = t2 if g is not t2 else t1
            np.multiply(g, -lr, out=out)
            p._data += out
