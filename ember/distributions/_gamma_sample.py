"""Reparameterised gamma and Dirichlet draws (PyTorch's ``_standard_gamma`` and ``_sample_dirichlet``).

The draws are not a smooth function of their parameters written in closed form, so their
gradients come from implicit reparameterisation (``_gamma_grad.py``): holding the draw's quantile
fixed, ``dx/dalpha = -(dF/dalpha) / pdf``. Gamma(alpha, rate) is ``standard_gamma(alpha) / rate``
and Beta(a, b) is the first coordinate of Dirichlet([a, b]).
"""
import numpy as np

from .. import _sampling
from .._random import default_generator
from .._tensor import _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._gamma_grad import dirichlet_grad, standard_gamma_grad

__all__ = ["standard_gamma", "sample_dirichlet"]


def _gamma_draws(alpha):
    """Gamma(alpha, 1) draws of alpha's shape and dtype, never exactly 0 (clamped to the smallest
    normal float), PyTorch's CPU algorithm and stream (``_sampling.standard_gamma``)."""
    return _sampling.standard_gamma(default_generator, alpha)


class StandardGammaGrad(Op):
    """d x / d alpha of a standard-gamma draw x (``torch._standard_gamma_grad(alpha, x)``).
    PyTorch does not differentiate it (second derivatives of gamma draws); neither does ember."""
    differentiable_backward = True   # its backward refuses in every mode, as PyTorch's

    @staticmethod
    def forward(ctx, alpha, x):
        return standard_gamma_grad(alpha, x)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for '_standard_gamma_grad' is not implemented.")


class StandardGamma(Op):
    """x ~ Gamma(alpha, 1), elementwise.  dL/dalpha = dL/dx * dx/dalpha (implicit
    reparameterisation, ``standard_gamma_grad``)."""
    backward_name = "StandardGammaBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, alpha):
        x = _gamma_draws(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        xp = array_namespace(grad)
        dx = StandardGammaGrad.apply(alpha, x) if xp.graph else standard_gamma_grad(alpha, x)
        return grad * dx


class SampleDirichlet(Op):
    """x ~ Dirichlet(c) along the last dimension: x = g / sum(g), g_i ~ Gamma(c_i, 1).

    x_j depends on c_i through the beta marginals x_i ~ Beta(c_i, sum c - c_i):
    d x_j / d c_i = d_i (delta_ij - x_j) with d = ``dirichlet_grad(x, c, sum c)``, so
    dL/dc_i = d_i (g_i - sum_j x_j g_j). As PyTorch's (``once_differentiable``), the gradient
    is not differentiated again: under ``create_graph=True`` it is a constant.
    """
    backward_name = "DirichletBackward"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, c):
        g = _gamma_draws(c.astype(np.float64))   # PyTorch draws and normalises in float64
        x = (g / g.sum(-1, keepdims=True)).astype(c.dtype, copy=False)
        one = c.dtype.type(1)
        x = np.clip(x, np.finfo(c.dtype).tiny, np.nextafter(one, one * 0)).astype(c.dtype, copy=False)
        ctx.save_for_backward(c, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        c, x = ctx.saved_tensors
        graph = array_namespace(grad).graph
        if graph:
            c, x, grad = c._data, x._data, grad._data
        d = dirichlet_grad(x, c, c.sum(-1, keepdims=True))
        out = d * (grad - (x * grad).sum(-1, keepdims=True))
        return _wrap(out) if graph else out


def standard_gamma(concentration):
    """Draws of Gamma(concentration, 1), differentiable in ``concentration`` (``torch._standard_gamma``).

    Example:
        >>> a = ember.tensor([0.5, 2.0], requires_grad=True)
        >>> standard_gamma(a).sum().backward()      # a.grad = d x / d a at the drawn x
    """
    return StandardGamma.apply(concentration)


def sample_dirichlet(concentration):
    """Draws of Dirichlet(concentration) (last dimension), differentiable in ``concentration``.

    Example:
        >>> c = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> sample_dirichlet(c)                      # e.g. tensor([0.12, 0.31, 0.57])
    """
    return SampleDirichlet.apply(concentration)
