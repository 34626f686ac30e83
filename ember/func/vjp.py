"""``torch.func.vjp``: the output of a function and a function for its vector-Jacobian products.

``out, vjp_fn = vjp(f, *primals)``; ``vjp_fn(cotangents)`` (same structure and shapes as ``out``)
returns a tuple with one gradient per primal, each with that primal's structure. ``vjp_fn`` can
be called many times (the graph is kept). Composes with ``vmap``, ``grad`` and itself.

Example:
    >>> out, vjp_fn = vjp(ember.sin, ember.zeros(3))
    >>> vjp_fn(ember.ones(3))
    (tensor([1., 1., 1.]),)
"""

from .._tensor import Tensor
from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ._autodiff import Inputs, reaches_outer, release, split_aux, zeros_for
from ._pytree import tree_flatten, tree_leaves


def check_outputs(leaves, api):
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")
        if o._data.dtype.kind not in "fc":
            raise RuntimeError(f"{api}: All outputs of f must be floating-point or complex Tensors, got Tensor "
                               f"with dtype {o.dtype}")


def _check_cotangents(cotangents, spec, outs):
    leaves, cspec = tree_flatten(cotangents)
    if cspec != spec:
        raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                           f"to the function. cotangents: {cspec}, primal output: {spec}")
    for i, (c, o) in enumerate(zip(leaves, outs)):
        if not isinstance(c, Tensor):
            raise RuntimeError(f"vjp_fn: cotangent {i} must be a Tensor, got {type(c)}")
        if tuple(c.shape) != tuple(o.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and output[{i}] has a "
                               f"shape of {o.shape}.")
    return leaves


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux`` third with ``has_aux=True``).

    Example:
        >>> x = ember.tensor([1.0, 2.0])
        >>> out, vjp_fn = vjp(lambda x: x ** 2, x)
        >>> vjp_fn(ember.ones(2))[0]
        tensor([2., 4.])
    """
    outer = is_grad_enabled()
    inputs = Inputs(primals, tuple(range(len(primals))))
    with enable_grad():
        out, aux = split_aux(func(*inputs.args), has_aux, "vjp(f, *primals)")
    outs, spec = tree_flatten(out)
    check_outputs(outs, "vjp(f, *primals)")
    keep = outer and reaches_outer(outs + tree_leaves(aux), inputs.fresh)

    def vjp_fn(cotangents):
        cots = _check_cotangents(cotangents, spec, outs)
        graph = keep or (is_grad_enabled() and any(c.requires_grad for c in cots))
        pairs = [(o, c.to(o.dtype)) for o, c in zip(outs, cots) if o.requires_grad]
        with enable_grad():
            grads = autograd_grad([o for o, _ in pairs], inputs.flat, [c for _, c in pairs], retain_graph=True,
                                  create_graph=graph, allow_unused=True) if pairs else (None,) * len(inputs.flat)
        grads = release(zeros_for(grads, inputs.flat), graph)
        return inputs.unflatten(grads, False)

    result = (release(out, keep), vjp_fn)
    return result + (release(aux, keep),) if has_aux else result


