"""``functorch``, the old name of ``torch.func`` (``from functorch import vmap, grad``), with
functorch 1.x's ``make_functional`` / ``make_functional_with_buffers``: a model split into a
stateless function and its parameters (and buffers), on top of ``functional_call``.

Example:
    >>> from ember.functorch import make_functional, grad
    >>> model = ember.nn.Linear(3, 1)
    >>> fmodel, params = make_functional(model)
    >>> y = fmodel(params, ember.randn(2, 3))
"""
import copy
import warnings

from . import nn
from .func import (functional_call, functionalize, grad, grad_and_value, hessian, jacfwd, jacrev,  # noqa: F401
                   jvp, linearize, vjp, vmap)

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functionalize",
           "linearize", "make_functional", "make_functional_with_buffers", "FunctionalModule",
           "FunctionalModuleWithBuffers"]


class FunctionalModule(nn.Module):
    """``fmodel(params, *args, **kwargs)``: a copy of the model run with ``params`` as its parameters."""

    def __init__(self, stateless_model, param_names):
        super().__init__()
        self.stateless_model, self.param_names = stateless_model, tuple(param_names)

    def forward(self, params, *args, **kwargs):
        if len(params) != len(self.param_names):
            raise ValueError(f"FunctionalModule: expected {len(self.param_names)} parameters (in the order of "
                             f"make_functional's params), got {len(params)}")
        return functional_call(self.stateless_model, dict(zip(self.param_names, params)), args, kwargs)


class FunctionalModuleWithBuffers(nn.Module):
    """``fmodel(params, buffers, *args, **kwargs)``: a copy of the model run with ``params`` and ``buffers``."""

    def __init__(self, stateless_model, param_names, buffer_names):
        super().__init__()
        self.stateless_model = stateless_model
        self.param_names, self.buffer_names = tuple(param_names), tuple(buffer_names)

    def forward(self, params, buffers, *args, **kwargs):
        if len(params) != len(self.param_names) or len(buffers) != len(self.buffer_names):
            raise ValueError(f"FunctionalModuleWithBuffers: expected {len(self.param_names)} parameters and "
                             f"{len(self.buffer_names)} buffers, got {len(params)} and {len(buffers)}")
        state = dict(zip(self.param_names, params))
        state.update(zip(self.buffer_names, buffers))
        return functional_call(self.stateless_model, state, args, kwargs)


def _check_module(model, fn):
    if not isinstance(model, nn.Module):
        raise TypeError(f"{fn}: expected an nn.Module, got {type(model).__name__}")
    warnings.warn(f"functorch.{fn} is deprecated since PyTorch 2.0 (functorch became torch.func) and is gone "
                  "from later PyTorch versions. Fix: call torch.func.functional_call(model, params_dict, args) "
                  "instead (https://pytorch.org/docs/main/func.migrating.html)", FutureWarning, stacklevel=3)


def make_functional(model, disable_autograd_tracking=False):
    """``(fmodel, params)``: ``fmodel(params, *args)`` runs ``model`` with ``params`` (a tuple, in
    ``named_parameters`` order; detached when ``disable_autograd_tracking``). The model must have no
    buffers (use ``make_functional_with_buffers``).

    Example:
        >>> fmodel, params = make_functional(ember.nn.Linear(3, 1))
        >>> fmodel(params, ember.ones(1, 3)).shape
        ember.Size([1, 1])
    """
    _check_module(model, "make_functional")
    if len(tuple(model.buffers())) > 0:
        raise RuntimeError("make_functional(model): model has buffers. Please use "
                           "make_functional_with_buffers(model) instead.")
    names, params = zip(*model.named_parameters()) if len(tuple(model.parameters())) else ((), ())
    if disable_autograd_tracking:
        params = tuple(p.detach() for p in params)
    return FunctionalModule(copy.deepcopy(model), names), tuple(params)


def make_functional_with_buffers(model, disable_autograd_tracking=False):
    """``(fmodel, params, buffers)``: ``fmodel(params, buffers, *args)`` runs ``model`` with them.

    Example:
        >>> fmodel, params, buffers = make_functional_with_buffers(ember.nn.BatchNorm1d(3))
    """
    _check_module(model, "make_functional_with_buffers")
    named_p, named_b = list(model.named_parameters()), list(model.named_buffers())
    params = tuple(p for _, p in named_p)
    if disable_autograd_tracking:
        params = tuple(p.detach() for p in params)
    module = FunctionalModuleWithBuffers(copy.deepcopy(model), [n for n, _ in named_p], [n for n, _ in named_b])
    return module, params, tuple(b for _, b in named_b)
