"""Reverse-mode engine: walks the graph of Nodes from the roots, accumulating gradients.

Iterative (no recursion), dependency-counted so each node runs once with the sum of all
gradients reaching it. Broadcasting is undone here, once, for every op.
"""
import numpy as np

from . import function as _function
from .function import AccumulateGrad
from .grad_mode import _State


def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (the inverse of NumPy broadcasting)."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead or grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


def _root_grad(i, t, g):
    if not t.requires_grad:
        raise RuntimeError(
            f"element {i} of tensors does not require grad and does not have a grad_fn. "
            "Fix: create the leaf with requires_grad=True (or call .requires_grad_()), and do not "
            "compute the loss under no_grad() or from .detach()ed tensors.")
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but the output has shape "
                f"{tuple(t._data.shape)}. Fix: reduce it first (loss.sum() or loss.mean()) or pass "
                f"gradient= with a tensor of that shape.")
        return np.ones(t._data.shape, t._data.dtype)
    g = g._data if isinstance(g, _function.Tensor) else np.asarray(g, dtype=t._data.dtype)
    if g.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} "
                           f"and output[{i}] has a shape of {tuple(t._data.shape)}.")
    return g


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None, accumulate=True):
    """Backpropagate from ``tensors``; return captured gradients for ``inputs`` (if given).

    With ``accumulate=False`` (autograd.grad) leaf ``.grad`` is left untouched.
    """
    buffers = {}
    roots = []
    foreign = set()  # ids of arrays that user code can also see: never adopted as a leaf's .grad
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        g = _root_grad(i, t, g)
        foreign.add(id(g))
        node, idx = (t.grad_fn, t._out_idx) if t.grad_fn is not None else (t._accumulator(), 0)
        buf = buffers.get(node)
        if buf is None:
            buffers[node] = buf = [None] * node.n_outputs
        buf[idx] = g if buf[idx] is None else buf[idx] + g
        roots.append(node)

    # Count, for every reachable node, how many edges lead into it.
    deps = {}
    root_set = set(roots)
    stack = list(root_set)
    while stack:
        for edge in stack.pop().next_edges:
            if edge is not None:
                nxt = edge[0]
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    if nxt not in root_set:
                        stack.append(nxt)

    captures = None
    only = None
    if inputs is not None:
        keys = [(t.grad_fn, t._out_idx) if t.grad_fn is not None else (t._accumulator(), 0)
                for t in inputs]
        if accumulate:
            only = {k[0] for k in keys}
        else:
            captures = {}
            for pos, k in enumerate(keys):
                captures.setdefault(k, []).append(pos)
    results = [None] * (len(inputs) if inputs is not None else 0)

    ready = [n for n in dict.fromkeys(roots) if n not in deps]
    prev_mode = _State.enabled
    _State.enabled = False
    free = not retain_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if node._pre_hooks or node._retain:
                grads = _run_tensor_hooks(node, grads)
                foreign.update(id(g) for g in grads)
            if captures is not None:
                if node.__class__ is AccumulateGrad and node.hooks:  # leaf hooks apply to grad() too
                    g0 = grads[0]
                    for hook in list(node.hooks):
                        new = hook(_function._wrap(g0))
                        if new is not None:
                            g0 = new._data
                    grads = [g0]
                for idx, g in enumerate(grads):
                    for pos in captures.get((node, idx), ()):
                        results[pos] = g
            if node.__class__ is AccumulateGrad:
                if accumulate and (only is None or node in only):
                    _accumulate(node, grads[0], foreign)
                continue
            if node.n_outputs > 1:
                in_grads = node._backward(_materialize(node, grads))
            elif node._is_op:
                in_grads = node.fn.backward(node, grads[0])
            else:
                in_grads = node._backward(grads)
            if free and node._saved:
                node._free()
            edges = node.next_edges
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            elif len(in_grads) == 2:
                if in_grads[0] is in_grads[1] and in_grads[0] is not None:
                    in_grads = (in_grads[0], in_grads[1].copy())
            elif len(in_grads) > 2:
                in_grads = _unalias(in_grads)
            if len(in_grads) < len(edges):
                in_grads = in_grads + (None,) * (len(edges) - len(in_grads))
            for edge, g, meta in zip(edges, in_grads, node.input_meta):
                if edge is None:
                    continue
                nxt = edge[0]
                if g is None:
                    _count_down_empty(nxt, deps, buffers, ready)
                    continue
                if g.shape != meta[0]:
                    g = _unbroadcast(g, meta[0])
                if g.dtype != meta[1]:
                    g = g.astype(meta[1])
                buf = buffers.get(nxt)
                if buf is None:
                    if nxt.n_outputs == 1:
                        buffers[nxt] = [g]
                    else:
                        buf = buffers[nxt] = [None] * nxt.n_outputs
                        buf[edge[1]] = g
                else:
                    idx = edge[1]
                    prev = buf[idx]
                    buf[idx] = g if prev is None else prev + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if not left:
                    ready.append(nxt)
    finally:
        _State.enabled = prev_mode
    return results


def _unalias(grads):
    """The same array returned for two inputs (e.g. by Add) must not become two leaves' .grad."""
    out = list(grads)
    for i in range(1, len(out)):
        g = out[i]
        if g is not None and any(g is h for h in out[:i]):
            out[i] = g.copy()
    return tuple(out)


def _count_down_empty(node, deps, buffers, ready):
    """An edge that carried no gradient still counts; a node left with none passes that on."""
    stack = [node]
    while stack:
        nxt = stack.pop()
        left = deps[nxt] - 1
        deps[nxt] = left
        if left == 0:
            if nxt in buffers:
                ready.append(nxt)
            else:
                stack.extend(e[0] for e in nxt.next_edges if e is not None)


def _materialize(node, grads):
    if not node.materialize_grads:
        return grads
    return [g if g is not None else np.zeros(shape, dtype) for g, (shape, dtype)
            in zip(grads, node.output_meta)]


def _run_tensor_hooks(node, grads):
    wrap = _function._wrap
    grads = list(grads)
    if node._pre_hooks:
        for idx, hooks in node._pre_hooks.items():
            for hook in list(hooks):
                if grads[idx] is None:
                    continue
                new = hook(wrap(grads[idx]))
                if new is not None:
                    grads[idx] = new._data
    if node._retain:
        for idx, ref in node._retain.items():
            t = ref()
            if t is not None and grads[idx] is not None:
                if t._grad is None:
                    t._grad = wrap(np.array(grads[idx]))
                else:
                    t._grad._data = t._grad._data + grads[idx]
    return grads


def _accumulate(node, g, foreign):
    var = node.variable
    for hook in list(node.hooks):
        new = hook(_function._wrap(g))
        if new is not None:
            g = new._data
            foreign.add(id(g))
    if g.shape != var._data.shape:
        g = _unbroadcast(g, var._data.shape)
    current = var._grad
    if current is None:
        # Take the array when nothing else can see it (a fresh, writable, non-view result that
        # came from no user code); copying big gradients costs more than the backward op itself.
        if (g.base is not None or not g.flags.writeable or id(g) in foreign
                or g.dtype != var._data.dtype):
            g = np.array(g, dtype=var._data.dtype, order="C")
        var._grad = _function._wrap(g)
    elif current._data.flags.writeable and current._data.shape == g.shape:
        np.add(current._data, g, out=current._data, casting="unsafe")
    else:
        current._data = current._data + g
