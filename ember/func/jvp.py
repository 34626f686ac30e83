"""``torch.func.jvp``: the output of a function and its Jacobian-vector product along ``tangents``.

PyTorch computes it in forward mode; ember by the double-vjp trick on its reverse mode: with a
dummy cotangent ``u``, ``g(u) = J^T u`` is linear in ``u``, so the gradient of ``g`` along the
tangent ``v`` (with respect to ``u``) is ``J v``. The numbers are the same up to float round-off;
it needs the function's ops to be twice differentiable (every ember op is).

Example:
    >>> out, jv = jvp(ember.sin, (ember.zeros(2),), (ember.ones(2),))
    >>> jv
    tensor([1., 1.])
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ._autodiff import Inputs, reaches_outer, release, split_aux
from ._pytree import tree_flatten, tree_leaves, tree_unflatten
from .vjp import check_outputs

_API = "jvp(f, primals, tangents)"


def _check(primals, tangents):
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_API}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{_API}: Expected primals and tangents to have the same python structure. For example, "
                           "if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{p_spec} and tangents with structure {t_spec}")
    for p, t in zip(p_leaves, t_leaves):
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if t._data.dtype.kind not in "fc":
            raise ValueError(f"Expected tangent to be floating point or complex, but got: {t.dtype}")
        if isinstance(p, Tensor) and tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the "
                               f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} while the "
                               f"given forward gradient is of size {list(t.shape)}.")
    return t_leaves


def jvp_flat(func, primals, tangent_leaves, has_aux):
    """``(out, out_spec, J v per output leaf, aux, keep)`` for the checked inputs."""
    outer = is_grad_enabled()
    inputs = Inputs(primals, tuple(range(len(primals))))
    with enable_grad():
        out, aux = split_aux(func(*inputs.args), has_aux, _API)
        outs, spec = tree_flatten(out)
        check_outputs(outs, _API)
        graph = outer and (reaches_outer(outs + tree_leaves(aux), inputs.fresh)
                           or any(t.requires_grad for t in tangent_leaves))
        diff = [i for i, o in enumerate(outs) if o.requires_grad]
        dummies = [_wrap(np.zeros_like(outs[i]._data), True) for i in diff]
        vjps = autograd_grad([outs[i] for i in diff], inputs.flat, dummies, create_graph=True,
                             allow_unused=True) if diff else (None,) * len(inputs.flat)
        pairs = [(g, t.to(g.dtype)) for g, t in zip(vjps, tangent_leaves) if g is not None and g.requires_grad]
        jv = autograd_grad([g for g, _ in pairs], dummies, [t for _, t in pairs], create_graph=graph,
                           allow_unused=True) if pairs else (None,) * len(dummies)
    per_out = [None] * len(outs)
    for i, j in zip(diff, jv):
        per_out[i] = j
    per_out = [_wrap(np.zeros_like(o._data)) if j is None else j for j, o in zip(per_out, outs)]
    return out, spec, per_out, aux, graph


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J v)`` where ``v`` is ``tangents`` (same structure and shapes as ``primals``);
    ``(out, jvp_out, aux)`` with ``has_aux=True``. ``strict`` is accepted and unused, as in PyTorch.

    Example:
        >>> x = ember.tensor([1.0, 2.0])
        >>> jvp(lambda x: x ** 2, (x,), (ember.ones(2),))[1]
        tensor([2., 4.])
    """
    tangent_leaves = _check(primals, tangents)
    out, spec, per_out, aux, keep = jvp_flat(func, primals, tangent_leaves, has_aux)
    result = (release(out, keep), release(tree_unflatten(per_out, spec), keep))
    return result + (release(aux, keep),) if has_aux else result
