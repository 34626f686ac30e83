"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
import numpy as np

from .._tensor import _wrap
from .optimizer import Optimizer, _check_lr_eps_wd, _check_nonneg, _closure_loss

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), PyTorch's update rule:

    ``g = grad + weight_decay * p``; with momentum ``buf = momentum * buf + (1 - dampening) * g``
    (``buf = g`` on the first step) and ``g = g + momentum * buf`` (Nesterov) or ``g = buf``;
    then ``p -= lr * g`` (``+=`` when ``maximize``).

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr_eps_wd(lr, None, weight_decay)
        _check_nonneg(momentum=momentum)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
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
        return loss
