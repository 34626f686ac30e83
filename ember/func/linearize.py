"""``torch.func.linearize``: the output of a function and its Jacobian-vector product as a function.

``out, jvp_fn = linearize(f, *primals)``; ``jvp_fn(*tangents)`` is ``jvp(f, primals, tangents)[1]``
without running ``f`` again. ember keeps the graph of one vector-Jacobian product with a dummy
cotangent ``u`` (``J^T u``); each call differentiates it in ``u`` along the tangents (see ``jvp``).

Example:
    >>> out, jvp_fn = linearize(ember.sin, ember.zeros(2))
    >>> jvp_fn(ember.ones(2))
    tensor([1., 1.])
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ._autodiff import Inputs, reaches_outer, release
from ._pytree import tree_flatten, tree_unflatten
from .vjp import check_outputs


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``; ``jvp_fn(*tangents)`` takes tangents shaped as ``primals``.
    Composes with the other transforms (``grad`` of a ``linearize`` result, ...).

    Example:
        >>> x = ember.tensor([1.0, 2.0])
        >>> out, jvp_fn = linearize(lambda x: x ** 2, x)
        >>> jvp_fn(ember.ones(2))
        tensor([2., 4.])
    """
    _, p_spec = tree_flatten(primals)
    outer = is_grad_enabled()
    inputs = Inputs(primals, tuple(range(len(primals))))
    with enable_grad():
        out = func(*inputs.args)
        outs, spec = tree_flatten(out)
        check_outputs(outs, "linearize(f, *primals)")
        keep = outer and reaches_outer(outs, inputs.fresh)
        diff = [i for i, o in enumerate(outs) if o.requires_grad]
        dummies = [_wrap(np.zeros_like(outs[i]._data), True) for i in diff]
        vjps = autograd_grad([outs[i] for i in diff], inputs.flat, dummies, create_graph=True,
                             allow_unused=True) if diff else (None,) * len(inputs.flat)

    def jvp_fn(*tangents):
        leaves, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the primals {p_spec}")
        for i, (t, x) in enumerate(zip(leaves, inputs.flat)):
            if not isinstance(t, Tensor):
                raise RuntimeError(f"tangent:{i} must be a Tensor, got {type(t)}")
            if tuple(t.shape) != tuple(x.shape):
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree doesn't match the shape "
                                   f"{x.shape} of the corresponding primal.")
        graph = keep or (is_grad_enabled() and any(t.requires_grad for t in leaves))
        pairs = [(g, t.to(g.dtype)) for g, t in zip(vjps, leaves) if g is not None and g.requires_grad]
        with enable_grad():
            jv = autograd_grad([g for g, _ in pairs], dummies, [t for _, t in pairs], retain_graph=True,
                               create_graph=graph, allow_unused=True) if pairs else (None,) * len(dummies)
        per_out = [None] * len(outs)
        for i, j in zip(diff, jv):
            per_out[i] = j
        return release(tree_unflatten([_wrap(np.zeros_like(o._data)) if j is None else j
                                       for j, o in zip(per_out, outs)], spec), graph)

    return release(out, keep), jvp_fn
