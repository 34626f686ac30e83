"""``torch.func.grad`` and ``grad_and_value``: the gradient of a scalar function, as a function.

``grad(f)(*args)`` is the gradient of ``f(*args)`` (a 0-d Tensor) with respect to the argument(s)
``argnums`` (each a Tensor or a nested tuple/list/dict of Tensors: the gradient has the same
structure). It composes with itself and with ``vmap``, ``jacrev``, ``jvp``: ``grad(grad(f))`` and
``vmap(grad(f))`` work. Built on ``autograd.grad`` (``_autodiff`` says when the graph is kept).

Example:
    >>> grad(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
"""
import functools

from .._tensor import Tensor
from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ._autodiff import Inputs, normalize_argnums, reaches_outer, release, split_aux, zeros_for
from ._pytree import tree_leaves

_API = "grad_and_value(f)(*args)"


def _grad_and_value(func, argnums, has_aux, args, kwargs):
    outer = is_grad_enabled()
    nums = normalize_argnums(argnums, len(args))
    inputs = Inputs(args, nums)
    with enable_grad():
        out, aux = split_aux(func(*inputs.args, **kwargs), has_aux, _API)
        if not isinstance(out, Tensor):
            raise RuntimeError(f"{_API}: Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(f"{_API}: Expected f(*args) to return a scalar Tensor, got tensor with {out.dim()} "
                               "dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        keep = outer and reaches_outer([out] + tree_leaves(aux), inputs.fresh)
        grads = autograd_grad(out, inputs.flat, create_graph=keep, allow_unused=True) \
            if out.requires_grad else (None,) * len(inputs.flat)
    grads = release(zeros_for(grads, inputs.flat), keep)
    grads = inputs.unflatten(grads, isinstance(argnums, int))
    value = release(out, keep)
    return grads, ((value, release(aux, keep)) if has_aux else value)


def grad_and_value(func, argnums=0, has_aux=False):
    """``func`` -> a function returning ``(gradient, value)`` (``(gradient, (value, aux))`` with
    ``has_aux=True``, when ``func`` returns ``(value, aux)``).

    Example:
        >>> g, v = grad_and_value(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0]))
        >>> g, v
        (tensor([2., 4.]), tensor(5.))
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``func`` -> its gradient function (the gradient with respect to argument ``argnums``; with a
    tuple of argnums, a tuple of gradients; ``(gradient, aux)`` with ``has_aux=True``).

    Example:
        >>> grad(lambda x: x.sin().sum())(ember.zeros(2))
        tensor([1., 1.])
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper
