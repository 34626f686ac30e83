"""The backward engine: walks the graph from the roots to the leaves, once, in dependency order.

PyTorch's engine does the same in C++: it seeds the roots with their gradients, counts how many
edges lead into every reachable node, and runs a node only when all gradients for it have
arrived (summed), so each node's backward runs once. The steps below are named after that.
It is iterative (no recursion), so deep graphs never hit Python's recursion limit.
"""
import numpy as np

from .. import _torch_sum
from .._dtype import from_numpy_dtype
from .._tensor import Tensor, _wrap
from .anomaly_mode import _Anomaly, check_gradients
from .function import AccumulateGrad, gradient_edge
from .grad_mode import _State


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None, accumulate=True, create_graph=False):
    """Backpropagate from ``tensors``; return the gradients captured for ``inputs``.

    ``accumulate=True`` (``Tensor.backward``): add into the leaves' ``.grad`` (only those in
    ``inputs`` when given). ``accumulate=False`` (``autograd.grad``): leave ``.grad`` alone and
    return the gradient of each of ``inputs``. ``create_graph=True``: gradients are Tensors
    computed with grad mode on, so they have a graph of their own (higher-order gradients).
    """
    leaf_grads = GraphGrads() if create_graph else leaf_grad_policy()
    callbacks = []
    _final_callbacks.append(callbacks)
    try:
        results = _run_backward(tensors, grad_tensors, retain_graph, inputs, accumulate, create_graph, leaf_grads)
        while callbacks:                  # queue_callback: after the whole graph (DDP waits for its buckets)
            callbacks.pop(0)()
    finally:
        _final_callbacks.pop()
    return results


def _run_backward(tensors, grad_tensors, retain_graph, inputs, accumulate, create_graph, leaf_grads):
    buffers = seed_roots(tensors, grad_tensors, leaf_grads)
    deps = count_dependencies(buffers)
    targets = Targets(inputs, accumulate)
    ready = [node for node in buffers if node not in deps]
    prev, _State.enabled = _State.enabled, create_graph
    try:
        run = run_nodes if create_graph or _Anomaly.enabled else first_order_loop
        run(ready, buffers, deps, targets, leaf_grads, retain_graph)
    finally:
        _State.enabled = prev
    return targets.results


def run_nodes(ready, buffers, deps, targets, leaf_grads, retain_graph):
    """Run every node once its gradients have all arrived, leaves last."""
    while ready:
        node = ready.pop()
        grads = run_tensor_hooks(node, buffers.pop(node), leaf_grads)
        targets.capture(node, grads)
        if type(node) is AccumulateGrad:
            if targets.accumulates(node):
                accumulate_into_leaf(node, grads[0], leaf_grads)
            continue
        in_grads = leaf_grads.distinct(node, leaf_grads.run(node, grads))
        if _Anomaly.enabled and _Anomaly.check_nan:
            check_gradients(node, in_grads)
        if not retain_graph:
            node.free_saved()
        deliver(node, in_grads, buffers, deps, ready, leaf_grads)


_final_callbacks = []   # one list per running backward (nested backwards stack)


def queue_callback(callback):
    """Run ``callback()`` once the running backward has finished every node (PyTorch's
    ``Variable._execution_engine.queue_callback``); DistributedDataParallel waits for its
    gradient all-reduces there."""
    if not _final_callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks[-1].append(callback)


class _ExecutionEngine:
    queue_callback = staticmethod(queue_callback)


first_order_loop = run_nodes   # ember._fast installs an inlined loop for first-order gradients


def seed_roots(tensors, grad_tensors, leaf_grads):
    """The starting gradients: ``{node: [gradient per output]}`` for the roots of backward.

    As in PyTorch, a root without an explicit gradient must have one element (its gradient is 1).
    """
    buffers = {}
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        g = leaf_grads.root(_root_grad(i, t, g))
        leaf_grads.seen_by_user(g)
        node, idx = gradient_edge(t)
        buf = buffers.setdefault(node, [None] * node.n_outputs)
        buf[idx] = g if buf[idx] is None else buf[idx] + g
    return buffers


def count_dependencies(roots):
    """For every node reachable from ``roots``: how many edges lead into it.

    A node is ready to run when this many gradients have arrived (PyTorch's dependency count).
    """
    deps = {}
    stack = list(roots)
    while stack:
        for edge in stack.pop().next_edges:
            if edge is not None:
                nxt = edge[0]
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    if nxt not in roots:
                        stack.append(nxt)
    return deps


def run_tensor_hooks(node, grads, leaf_grads):
    """Before a node runs: hooks registered with ``Tensor.register_hook`` on its outputs (they may
    replace the gradient), then ``retain_grad`` copies. On a leaf, its hooks run before its
    ``.grad`` is accumulated, and also for ``autograd.grad``, as in PyTorch."""
    if type(node) is AccumulateGrad:
        if node.hooks:
            grads = [_call_hooks(node.hooks, grads[0], leaf_grads)]
        return grads
    if node._pre_hooks is None and node._retain is None:
        return grads
    grads = list(grads)
    for idx, hooks in (node._pre_hooks or {}).items():
        if grads[idx] is not None:
            grads[idx] = _call_hooks(hooks, grads[idx], leaf_grads)
    for idx, ref in (node._retain or {}).items():
        t = ref()
        if t is not None and grads[idx] is not None:
            leaf_grads.retain(t, grads[idx])
    return grads


def _check_hook_result(hook, new, g):
    """A tensor hook must return None or a Tensor of the gradient's shape and dtype (PyTorch's
    errors: TypeError for a non-Tensor, RuntimeError for a changed size or type)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{_type_name(new)}': hook '{name}' must "
                        f"return None or a Tensor (the new gradient)")
    old = g._data if isinstance(g, Tensor) else np.asarray(g)
    if tuple(new._data.shape) != tuple(old.shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value (the gradient has shape "
                           f"{tuple(old.shape)}, the hook returned {tuple(new._data.shape)})")
    if new._data.dtype != old.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {old.dtype}, got "
                           f"{new._data.dtype}); return a tensor of the gradient's dtype")


def _type_name(x):
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _call_hooks(hooks, g, leaf_grads):
    for hook in list(hooks):
        leaf_grads.seen_by_user(g)
        new = hook(leaf_grads.as_tensor(g))
        if new is not None:
            _check_hook_result(hook, new, g)
            g = leaf_grads.from_tensor(new)
            leaf_grads.seen_by_user(g)
    return g


def deliver(node, in_grads, buffers, deps, ready, leaf_grads):
    """Send each input gradient along its edge: sum it back to the input's shape (undoing
    broadcasting, once, for every op), cast it to the input's dtype, add it into the next node's
    buffer, and mark that node ready when its last gradient has arrived."""
    for edge, g, meta in zip(node.next_edges, in_grads, node.input_meta):
        if edge is None:
            continue
        nxt, idx = edge
        if g is None:
            _count_down_without_gradient(nxt, deps, buffers, ready)
            continue
        g = leaf_grads.fit(g, meta)
        buf = buffers.get(nxt)
        if buf is None:
            buf = buffers[nxt] = [None] * nxt.n_outputs
        buf[idx] = g if buf[idx] is None else buf[idx] + g
        deps[nxt] -= 1
        if not deps[nxt]:
            ready.append(nxt)


def _count_down_without_gradient(node, deps, buffers, ready):
    """An edge that carried no gradient still counts; a node left with none passes that on."""
    stack = [node]
    while stack:
        nxt = stack.pop()
        deps[nxt] -= 1
        if not deps[nxt]:
            if nxt in buffers:
                ready.append(nxt)
            else:
                stack.extend(e[0] for e in nxt.next_edges if e is not None)


def accumulate_into_leaf(node, g, leaf_grads):
    """``leaf.grad += g`` (PyTorch's AccumulateGrad): the first gradient becomes ``.grad``, later
    ones are added in place, so gradients accumulate across backward calls until zero_grad();
    then the leaf's post-accumulate-grad hooks run."""
    leaf_grads.accumulate(node.variable, g)
    for hook in list(node.post_hooks):
        hook(node.variable)


def sum_to_shape(grad, shape):
    """Sum ``grad`` down to ``shape`` (the inverse of NumPy broadcasting)."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        r = None
        if grad.dtype == np.float32 and (axes == (grad.ndim - 1,) or len(axes) == grad.ndim):
            r = _torch_sum.reduce_last(grad, axes, True)   # PyTorch's order of adding, as Sum
        grad = r if r is not None else grad.sum(axis=axes, keepdims=True)
    if lead or grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


class CopyLeafGrads:
    """Gradients as NumPy arrays (first order). A leaf's first gradient becomes its ``.grad`` as a
    fresh copy, so no two tensors ever share one gradient array and nothing the user holds is
    written into later.

    ``ember._fast`` replaces this with a policy that takes ownership of arrays nobody else can
    see (no copy); the two give identical results.
    """
    __slots__ = ()

    def root(self, g):
        return g._data if isinstance(g, Tensor) else g

    def run(self, node, grads):
        return node.backward_arrays(grads)

    def fit(self, g, meta):
        """``g`` summed to the input's shape (undoing broadcasting) and cast to its dtype."""
        if g.shape != meta[0]:
            g = sum_to_shape(g, meta[0])
        if g.dtype != meta[1]:
            g = g.astype(meta[1])
        return g

    def as_tensor(self, g):
        return _wrap(g)

    def from_tensor(self, t):
        return t._data

    def retain(self, t, g):
        if t._grad is None:
            t._grad = _wrap(np.array(g))
        else:
            t._grad._data = t._grad._data + g

    def accumulate(self, var, g):
        if g.shape != var._data.shape:
            g = sum_to_shape(g, var._data.shape)
        current = var._grad
        if current is None:
            var._grad = _wrap(self.first_grad(g, var._data.dtype))
        elif current._data.flags.writeable and current._data.shape == g.shape:
            np.add(current._data, g, out=current._data, casting="unsafe")
        else:
            current._data = current._data + g

    def seen_by_user(self, g):
        """``g`` was handed to user code (a root gradient, a hook's argument or result)."""

    def distinct(self, node, in_grads):
        """``node``'s input gradients, as the engine will use them."""
        return in_grads

    def first_grad(self, g, dtype):
        return np.array(g, dtype=dtype, order="C")


class Targets:
    """Where backward's results go: every leaf's ``.grad``, only the leaves in ``inputs``
    (``backward(inputs=...)``), or captured and returned (``autograd.grad``)."""

    def __init__(self, inputs, accumulate):
        self.results = [None] * (len(inputs) if inputs is not None else 0)
        self._only = self._captures = None
        if inputs is None:
            return
        edges = [gradient_edge(t) for t in inputs]
        if accumulate:
            self._only = {node for node, _ in edges}
        else:
            self._captures = {}
            for pos, edge in enumerate(edges):
                self._captures.setdefault(edge, []).append(pos)

    def capture(self, node, grads):
        if self._captures is not None:
            for idx, g in enumerate(grads):
                for pos in self._captures.get((node, idx), ()):
                    self.results[pos] = g

    def accumulates(self, node):
        return self._captures is None and (self._only is None or node in self._only)


leaf_grad_policy = CopyLeafGrads   # ember._fast installs its adopting policy here


class GraphGrads:
    """Gradients as Tensors with grad mode on (``create_graph=True``): every sum, reshape and
    cast the engine does is itself recorded, and leaves get ``.grad`` with a graph. As in PyTorch,
    a new ``.grad`` is a (differentiable) clone and later ones are added out of place."""
    __slots__ = ()

    def root(self, g):
        return g if isinstance(g, Tensor) else _wrap(g)

    def seen_by_user(self, g):
        pass

    def run(self, node, grads):
        return node.backward_graph(grads)

    def distinct(self, node, in_grads):
        return in_grads

    def fit(self, g, meta):
        if g._data.shape != meta[0]:
            lead = g._data.ndim - len(meta[0])
            axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(meta[0])
                                              if n == 1 and g._data.shape[lead + i] != 1)
            g = g.sum(dim=axes, keepdim=True).reshape(meta[0])
        if g._data.dtype != meta[1]:
            g = g.to(from_numpy_dtype(meta[1]))
        return g

    def as_tensor(self, g):
        return g

    def from_tensor(self, t):
        return t

    def retain(self, t, g):
        t._grad = g if t._grad is None else t._grad + g

    def accumulate(self, var, g):
        g = self.fit(g, (var._data.shape, var._data.dtype))
        var._grad = g.clone() if var._grad is None else var._grad + g


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
    if isinstance(g, Tensor):
        _check_root_shape(i, t, g._data)
        return g if g.requires_grad else g._data
    return _check_root_shape(i, t, np.asarray(g, dtype=t._data.dtype))


def _check_root_shape(i, t, g):
    if g.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} "
                           f"and output[{i}] has a shape of {tuple(t._data.shape)}.")
    return g
