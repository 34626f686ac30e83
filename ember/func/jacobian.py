"""``torch.func.jacrev``, ``jacfwd`` and ``hessian``: Jacobians as functions.

``jacrev(f, argnums)(*args)``: for each output ``o`` of ``f`` (a Tensor or a nested structure of
them) and each differentiated input ``x`` (``argnums``; each argument may itself be a structure of
tensors), a block of shape ``o.shape + x.shape``. The result has the structure of the output, each
leaf holding the block (``argnums`` an int) or a tuple of blocks (``argnums`` a tuple), each with
its argument's structure. Rows are one vector-Jacobian product per output element.

``jacfwd`` builds the same Jacobian column by column, one Jacobian-vector product per input
element, as PyTorch's forward mode does (cheaper than rows when inputs are fewer than outputs).
ember has no forward mode: each column is the derivative, along a one-hot tangent, of one kept
vector-Jacobian product ``J^T u`` with respect to its dummy cotangent ``u`` (see ``jvp``); the
numbers agree with forward mode to float round-off. ``hessian(f)`` is ``jacfwd(jacrev(f))``.

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


def _onehot(like, k):
    onehot = np.zeros(like._data.size, like._data.dtype)
    onehot[k] = 1
    return _wrap(onehot.reshape(like._data.shape))


def _rows(outs, inputs, keep):
    """blocks[i][j] for output i, input j: one vector-Jacobian product per output element."""
    blocks = []
    for o in outs:
        rows = [[] for _ in inputs.flat]
        for k in range(o.numel() if o.requires_grad else 0):
            grads = autograd_grad(o, inputs.flat, _onehot(o, k), retain_graph=True, create_graph=keep,
                                  allow_unused=True)
            for j, (g, x) in enumerate(zip(grads, inputs.flat)):
                rows[j].append(_wrap(np.zeros_like(x._data)) if g is None else g)
        blocks.append([_block(r, o, x, keep) for r, x in zip(rows, inputs.flat)])
    return blocks


def _columns(outs, inputs, keep):
    """blocks[i][j] for output i, input j: one Jacobian-vector product per input element, each the
    derivative of the kept ``g = J^T u`` in ``u`` along a one-hot tangent."""
    diff = [i for i, o in enumerate(outs) if o.requires_grad]
    dummies = [_wrap(np.zeros_like(outs[i]._data), True) for i in diff]
    vjps = autograd_grad([outs[i] for i in diff], inputs.flat, dummies, create_graph=True,
                         allow_unused=True) if diff else (None,) * len(inputs.flat)
    cols = [[[] for _ in inputs.flat] for _ in outs]
    for j, (g, x) in enumerate(zip(vjps, inputs.flat)):
        for e in range(x.numel() if g is not None and g.requires_grad else 0):
            jv = autograd_grad(g, dummies, _onehot(x, e), retain_graph=True, create_graph=keep, allow_unused=True)
            for i, c in zip(diff, jv):
                cols[i][j].append(_wrap(np.zeros_like(outs[i]._data)) if c is None else c)
    blocks = []
    for i, o in enumerate(outs):
        per_input = []
        for j, x in enumerate(inputs.flat):
            shape = tuple(o.shape) + tuple(x.shape)
            c = cols[i][j]
            if not c:
                per_input.append(_wrap(np.zeros(shape, x._data.dtype)))
            elif keep:
                per_input.append(stack(c, -1).reshape(shape))
            else:
                per_input.append(_wrap(np.stack([t._data for t in c], -1).reshape(shape)))
        blocks.append(per_input)
    return blocks


def _jacobian(func, argnums, has_aux, args, kwargs, api, by_columns=False):
    outer = is_grad_enabled()
    nums = normalize_argnums(argnums, len(args))
    inputs = Inputs(args, nums)
    with enable_grad():
        out, aux = split_aux(func(*inputs.args, **kwargs), has_aux, api)
        outs, spec = tree_flatten(out)
        check_outputs(outs, "vjp(f, ...)")
        keep = outer and reaches_outer(outs + tree_leaves(aux), inputs.fresh)
        blocks = (_columns if by_columns else _rows)(outs, inputs, keep)
    per_out = [inputs.unflatten([release(b, keep) for b in row], isinstance(argnums, int)) for row in blocks]
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
    """``func`` -> its Jacobian function, column by column (``(jacobian, aux)`` with ``has_aux=True``).
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
                return _jacobian(func, argnums, has_aux, args, kwargs, "jacfwd(f, ...)(*args)", True)
        return _jacobian(func, argnums, has_aux, args, kwargs, "jacfwd(f, ...)(*args)", True)
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
