"""``torch.func.jacrev``, ``jacfwd`` and ``hessian``: Jacobians as functions.

``jacrev(f, argnums)(*args)``: for each output ``o`` of ``f`` (a Tensor or a nested structure of
them) and each differentiated input ``x`` (``argnums``; each argument may itself be a structure of
tensors), a block of shape ``o.shape + x.shape``. The result has the structure of the output, each
leaf holding the block (``argnums`` an int) or a tuple of blocks (``argnums`` a tuple), each with
its argument's structure. Rows are one vector-Jacobian product per output element.

``jacfwd`` gives the same Jacobian (PyTorch builds it column by column in forward mode; ember by
the same rows as ``jacrev``: the numbers agree to float round-off). ``hessian(f)`` is
``jacfwd(jacrev(f))``.

Example:
    >>> jacrev(ember.sin)(ember.zeros(2))
    tensor([[1., 0.],
            [0., 1.]])
"""
import functools

import numpy as np

from .._tensor import _wrap
from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops.join_split import stack
from ._autodiff import Inputs, normalize_argnums, reaches_outer, release, split_aux
from ._levels import Level, active
from ._pytree import tree_flatten, tree_leaves, tree_unflatten
from .vjp import check_outputs
from .vmap import check_randomness


def _block(rows, out, x, keep):
    shape = tuple(out.shape) + tuple(x.shape)
    if not rows:
        return _wrap(np.zeros(shape, x._data.dtype))
    if keep:
        return stack(rows).reshape(shape)
    return _wrap(np.stack([r._data for r in rows]).reshape(shape))


def _jacobian(func, argnums, has_aux, args, kwargs, api):
    outer = is_grad_enabled()
    nums = normalize_argnums(argnums, len(args))
    inputs = Inputs(args, nums)
    with enable_grad():
        out, aux = split_aux(func(*inputs.args, **kwargs), has_aux, api)
        outs, spec = tree_flatten(out)
        check_outputs(outs, "vjp(f, ...)")
        keep = outer and reaches_outer(outs + tree_leaves(aux), inputs.fresh)
        per_out = []
        for o in outs:
            rows = [[] for _ in inputs.flat]
            for k in range(o.numel() if o.requires_grad else 0):
                onehot = np.zeros(o._data.size, o._data.dtype)
                onehot[k] = 1
                grads = autograd_grad(o, inputs.flat, _wrap(onehot.reshape(o._data.shape)), retain_graph=True,
                                      create_graph=keep, allow_unused=True)
                for j, (g, x) in enumerate(zip(grads, inputs.flat)):
                    rows[j].append(_wrap(np.zeros_like(x._data)) if g is None else g)
            blocks = [release(_block(r, o, x, keep), keep) for r, x in zip(rows, inputs.flat)]
            per_out.append(inputs.unflatten(blocks, isinstance(argnums, int)))
    jac = tree_unflatten(per_out, spec)
    return (jac, release(aux, keep)) if has_aux else jac


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """``func`` -> its Jacobian function, by reverse mode (``(jacobian, aux)`` with ``has_aux=True``).
    ``chunk_size`` bounds how many rows PyTorch computes at once; ember computes them one by one.

    Example:
        >>> jacrev(lambda x, y: x * y, argnums=(0, 1))(ember.ones(2), ember.full((2,), 3.0))[1]
        tensor([[1., 0.],
                [0., 1.]])
    """
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                   or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, args, kwargs, "jacrev(f, ...)(*args)")
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``func`` -> its Jacobian function (PyTorch's forward-mode API; same Jacobian as ``jacrev``).
    ``randomness`` as ``vmap``'s: with ``'error'`` a random op in ``func`` raises, as in PyTorch.

    Example:
        >>> jacfwd(lambda x: x ** 2)(ember.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if randomness == "error":
            with active(Level("error", mapped=False)):
                return _jacobian(func, argnums, has_aux, args, kwargs, "jacfwd(f, ...)(*args)")
        return _jacobian(func, argnums, has_aux, args, kwargs, "jacfwd(f, ...)(*args)")
    return wrapper


def hessian(func, argnums=0):
    """``func`` (returning a scalar) -> its Hessian function, ``jacfwd(jacrev(func, argnums), argnums)``:
    blocks of shape ``x.shape + x.shape``.

    Example:
        >>> hessian(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
