"""``autograd.backward`` and ``autograd.grad``: the public entry points to the engine."""
import numpy as np

from .._tensor import Tensor, _wrap
from .engine import run_backward


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    retain_graph = create_graph if retain_graph is None else retain_graph
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    run_backward(tuple(tensors), tuple(grad_tensors), retain_graph=bool(retain_graph), inputs=inputs,
                 create_graph=bool(create_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left alone).

    Example:
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> ember.autograd.grad(x ** 2, x)
        (tensor(6.),)
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported by ember; loop over "
                                  "the batch of grad_outputs instead")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    retain_graph = create_graph if retain_graph is None else retain_graph
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
                       accumulate=False, create_graph=bool(create_graph))
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
        elif isinstance(r, Tensor):
            out.append(r)
        else:
            out.append(_wrap(r.copy()))
    return tuple(out)
