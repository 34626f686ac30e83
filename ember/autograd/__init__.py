"""Reverse-mode automatic differentiation: Function, backward, grad, grad modes, gradcheck."""
import numpy as np

from .._tensor import Tensor, _wrap
from .engine import run_backward
from . import grad_mode  # noqa: F401
from .function import Function, Op  # noqa: F401
from .gradcheck import GradcheckError, gradcheck  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    run_backward(tuple(tensors), tuple(grad_tensors), retain_graph=bool(retain_graph), inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left alone).

    Example:
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> ember.autograd.grad(x ** 2, x)
        (tensor(6.),)
    """
    if create_graph:
        raise NotImplementedError("ember computes first-order gradients only (create_graph=True is not supported)")
    single_out = isinstance(outputs, Tensor)
    outputs = (outputs,) if single_out else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    res = run_backward(outputs, tuple(grad_outputs), retain_graph=bool(retain_graph), inputs=inputs,
                       accumulate=False)
    out = []
    for i, r in enumerate(res):
        if r is None:
            if materialize_grads:
                out.append(_wrap(np.zeros_like(inputs[i]._data)))
                continue
            if not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired behavior.")
            out.append(None)
        else:
            out.append(_wrap(r.copy()))
    return tuple(out)
