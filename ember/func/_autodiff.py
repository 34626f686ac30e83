"""What ``grad``, ``vjp``, ``jvp`` and ``jacrev`` share: which inputs to differentiate, fresh inputs
for them, and whether a result must stay differentiable for an enclosing transform.

Each transform runs the function on *its own* differentiable copies of the inputs: a view of the
input when the input itself requires grad (an enclosing ``grad``/``jacrev`` or ordinary autograd
is tracking it, so the result must stay connected to it), a fresh leaf otherwise. After the call,
a walk of the output's graph tells whether it reaches any tensor that requires grad other than
those fresh leaves (an enclosing transform's inputs, a captured parameter). Only then are the
derivatives computed with ``create_graph=True`` and the results left attached; otherwise the
derivatives take the plain first-order path and the results are detached, as PyTorch returns them.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import AccumulateGrad
from ..autograd.grad_mode import is_grad_enabled
from ._pytree import tree_flatten, tree_unflatten


def normalize_argnums(argnums, nargs):
    """``argnums`` (int or tuple of ints) checked as PyTorch, as a tuple of non-negative ints."""
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    out = []
    for n in nums:
        if isinstance(n, bool) or not isinstance(n, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -nargs <= n < nargs:
            raise RuntimeError(f"Got argnum={n}, but only {nargs} positional inputs")
        out.append(n % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(out)


def differentiable_copy(x):
    """The tensor the function sees in place of ``x``: a view of ``x`` if it is tracked, else a fresh leaf."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x._data.dtype.kind not in "fc":
        raise RuntimeError("only Tensors of floating point dtype can require gradients (got a tensor of dtype "
                           f"{x.dtype}); pass a float tensor to differentiate, or leave this argument out of argnums")
    if x.requires_grad and is_grad_enabled():
        return x.view_as(x)
    return x.detach().requires_grad_(True)


class Inputs:
    """The differentiated arguments: their trees, flattened, with fresh copies in their place."""

    def __init__(self, args, argnums):
        self.argnums = argnums
        self.specs, self.copies = [], []
        args = list(args)
        for n in argnums:
            leaves, spec = tree_flatten(args[n])
            copies = [differentiable_copy(x) for x in leaves]
            self.specs.append(spec)
            self.copies.append(copies)
            args[n] = tree_unflatten(copies, spec)
        self.args = tuple(args)
        self.flat = [c for copies in self.copies for c in copies]
        self.fresh = {id(c) for c in self.flat if c.grad_fn is None}

    def unflatten(self, flat_values, single):
        """Per-input values (one per leaf, in ``flat`` order) in the arguments' structures."""
        trees, i = [], 0
        for spec, copies in zip(self.specs, self.copies):
            trees.append(tree_unflatten(flat_values[i:i + len(copies)], spec))
            i += len(copies)
        return trees[0] if single else tuple(trees)


def reaches_outer(tensors, fresh):
    """True if the graph of any of ``tensors`` reaches a tensor requiring grad not in ``fresh`` (ids)."""
    if not is_grad_enabled():
        return False
    todo, seen = [], set()
    for t in tensors:
        if not isinstance(t, Tensor) or not t.requires_grad:
            continue
        if t.grad_fn is None:
            if id(t) not in fresh:
                return True
        else:
            todo.append(t.grad_fn)
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in fresh:
                return True
            continue
        for edge in node.next_edges:
            if edge is not None:
                todo.append(edge[0])
    return False


def zeros_for(grads, like):
    """Zeros (PyTorch's answer) where an input did not take part."""
    return [_wrap(np.zeros_like(x._data)) if g is None else g for g, x in zip(grads, like)]


def release(values, keep):
    """Tensors in a tree, detached unless an enclosing transform needs their graph."""
    if keep:
        return values
    leaves, spec = tree_flatten(values)
    return tree_unflatten([v.detach() if isinstance(v, Tensor) and v.requires_grad else v for v in leaves], spec)


def split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    for leaf in tree_flatten(out[1])[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return out
