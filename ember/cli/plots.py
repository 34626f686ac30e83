"""``ember plot activations|losses``: the tutorials' function plots, each curve with its derivative.

Every derivative is computed by ember's own autograd: the input grid ``x`` is a leaf tensor
with ``requires_grad=True``, the function is applied elementwise, and ``f(x).sum().backward()``
leaves ``df/dx`` in ``x.grad`` (each output depends only on its own input, so the gradient of
the sum is the elementwise derivative).
"""
import numpy as np

import ember
from ember import nn
import ember.nn.functional as F

__all__ = ["activation_curves", "loss_curves", "plot"]


def _curve(fn, lo, hi, n=401):
    x = ember.linspace(lo, hi, n, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return x._data.copy(), y._data.copy(), x.grad._data.copy()


def activation_curves():
    """[(title, x, f(x), f'(x))] for the tutorials' activation functions."""
    prelu = nn.PReLU()  # learnable slope, initialised at 0.25
    fns = [
        ("Sigmoid", nn.Sigmoid()),
        ("Tanh", nn.Tanh()),
        ("ReLU", nn.ReLU()),
        ("LeakyReLU(0.1)", nn.LeakyReLU(0.1)),
        ("PReLU (a=0.25)", prelu),
        ("ELU", nn.ELU()),
        ("GELU", nn.GELU()),
        ("SiLU", nn.SiLU()),
        ("Softplus", nn.Softplus()),
        # softmax mixes a vector; plot the first probability of the logits [x, 1, -1]
        ("Softmax([x, 1, -1])[0]", lambda x: F.softmax(
            ember.stack([x, ember.ones_like(x), -ember.ones_like(x)], dim=1), dim=1)[:, 0]),
    ]
    return [(name,) + _curve(fn, -5.0, 5.0) for name, fn in fns]


def loss_curves():
    """[(title, x, loss(x), dloss/dx)] for one prediction x against a fixed target."""
    def vs(target):
        return lambda x: ember.full_like(x, target)

    fns = [
        ("L1Loss, target 0", (-3, 3), lambda x: F.l1_loss(x, vs(0.0)(x), reduction="none")),
        ("MSELoss, target 0", (-3, 3), lambda x: F.mse_loss(x, vs(0.0)(x), reduction="none")),
        ("SmoothL1Loss (beta=1), target 0", (-3, 3), lambda x: F.smooth_l1_loss(x, vs(0.0)(x), reduction="none")),
        ("HuberLoss (delta=1), target 0", (-3, 3), lambda x: F.huber_loss(x, vs(0.0)(x), reduction="none")),
        ("BCELoss, prob p, target 1", (0.02, 0.98), lambda p: F.binary_cross_entropy(p, vs(1.0)(p), reduction="none")),
        ("BCEWithLogitsLoss, logit, target 1", (-6, 6),
         lambda z: F.binary_cross_entropy_with_logits(z, vs(1.0)(z), reduction="none")),
        ("CrossEntropyLoss, logits [x, 0, 0], target 0", (-6, 6), lambda x: F.cross_entropy(
            ember.stack([x, ember.zeros_like(x), ember.zeros_like(x)], dim=1),
            ember.zeros(x.shape[0], dtype=ember.int64), reduction="none")),
        ("SoftMarginLoss, target 1", (-4, 4), lambda x: F.soft_margin_loss(x, vs(1.0)(x), reduction="none")),
    ]
    return [(name,) + _curve(fn, lo, hi) for name, (lo, hi), fn in fns]


def plot(kind, out):
    """Draw the ``kind`` ("activations" or "losses") grid to ``out`` (PNG, SVG, PDF by suffix)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    curves = activation_curves() if kind == "activations" else loss_curves()
    cols = 4 if len(curves) > 6 else 3
    rows = -(-len(curves) // cols)
    fig = Figure(figsize=(4 * cols, 3.2 * rows), dpi=100)
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, (name, x, y, dy) in zip(axes, curves):
        ax.plot(x, y, label="f(x)" if kind == "activations" else "loss")
        ax.plot(x, dy, "--", label="derivative (ember autograd)")
        ax.axhline(0, color="grey", lw=0.5), ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes[len(curves):]:
        ax.axis("off")
    fig.suptitle(f"ember: {kind} and their derivatives")
    fig.tight_layout()
    fig.savefig(out)
    return [c[0] for c in curves]
