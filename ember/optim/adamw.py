"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter)."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam whose weight decay multiplies the parameters by ``1 - lr * weight_decay`` each step
    instead of adding to the gradient (default ``weight_decay=1e-2``).

    ``foreach`` and ``fused`` only choose PyTorch's kernel: accepted, same numbers (ember has one);
    ``capturable=True`` and ``differentiable=True`` raise ``NotImplementedError`` (see
    ``Optimizer``).

    Example:
        >>> opt = ember.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)
