"""The in-place array arithmetic that several optimizers' update rules share.

All of it works on NumPy arrays (the parameters' and the state's ``_data``) and writes into
arrays it is given, so a step allocates nothing.
"""
import numpy as np

__all__ = ["decay_l2", "effective_grad", "lerp_", "ema_sq_"]


def decay_l2(group):
    """``(decay, l2)`` of a param group: the factor ``1 - lr * wd`` for decoupled weight decay (else
    None) and the L2 coefficient added to the gradient (0 when the decay is decoupled)."""
    wd = float(group["weight_decay"])
    if wd != 0 and group.get("decoupled_weight_decay", False):
        return 1.0 - float(group["lr"]) * wd, 0.0
    return None, wd


def effective_grad(p, g, weight_decay, maximize, out):
    """The gradient the update uses: ``-g`` if maximizing, plus ``weight_decay * p`` (written to ``out``)."""
    if weight_decay:
        np.multiply(p, weight_decay, out=out)
        if maximize:
            out -= g
        else:
            out += g
        return out
    if maximize:
        return np.negative(g, out=out)
    return g


def lerp_(a, b, w, tmp):
    """``a += w * (b - a)`` in place (PyTorch's lerp; the other form for w >= 0.5 keeps it exact at w = 1)."""
    np.subtract(b, a, out=tmp)
    if w < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1.0 - w
        np.subtract(b, tmp, out=a)


def ema_sq_(v, g, beta, tmp):
    """``v = beta * v + (1 - beta) * g * g`` in place."""
    v *= beta
    np.multiply(g, g, out=tmp)
    tmp *= 1.0 - beta
    v += tmp


def add_scaled_(a, x, alpha):
    """``a += alpha * x`` in place, rounded once as PyTorch's ``a.add_(x, alpha=alpha)`` is (a fused
    multiply-add, ``alpha`` first rounded to the array's dtype): float32 arrays are combined in float64
    (where the product is exact) and rounded back."""
    if a.dtype == np.float32:
        a[...] = a.astype(np.float64) + x.astype(np.float64) * np.float64(np.float32(alpha))
    else:
        a += x * np.asarray(alpha, a.dtype)
    return a


__all__ += ["add_scaled_"]
