"""Graph nodes and the two ways to declare a differentiable operation.

``Op``: ember's own primitives. ``forward(ctx, *arrays)`` and ``backward(ctx, grad)`` work on
NumPy arrays; non-tensor arguments (dims, scalars) pass through unchanged.

``Function``: PyTorch's public custom-function API. ``forward`` and ``backward`` receive and
return Tensors, and run with grad mode off.

Both make the same kind of graph node through the same ``apply``: ``ctx`` *is* the node
(the output's ``grad_fn``) that the engine later walks backward.

Example (an op, as every file in ``ember/ops`` declares them):

    class Mul(Op):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, grad * a
"""
import threading

import numpy as np

from .._tensor import Tensor, _wrap
from .anomaly_mode import _Anomaly, record_forward
from .grad_mode import _State


class _NoInputGrads:
    """``needs_input_grad`` when nothing is recorded: every entry is False."""
    __slots__ = ()

    def __getitem__(self, i):
        return False

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False


_NO_INPUT_GRADS = _NoInputGrads()


class Node:
    """A recorded operation: the ``ctx`` of forward/backward and the output tensors' ``grad_fn``.

    ``next_edges`` holds one ``(node, output index)`` per forward input (None where the input needs
    no gradient); ``input_meta`` the (shape, dtype) of those inputs, so the engine can sum a
    broadcast gradient back to each input's shape and cast it to its dtype.
    """
    fn = None                # the Op or Function class this node records
    needs_input_grad = _NO_INPUT_GRADS
    next_edges = ()
    input_meta = ()
    n_outputs = 1
    output_meta = ()
    _saved = ()
    _versions = ()           # per saved input/output: (version counter, version then, position, role)
    _graph = False           # True while backward runs with create_graph=True
    _freed = False
    _pre_hooks = None        # {output index: [hook, ...]} from Tensor.register_hook
    _retain = None           # {output index: weakref to a tensor that called retain_grad()}
    _non_diff = ()
    materialize_grads = True
    direct_backward = None   # ember.compile's node: fn(node, root, retain_graph) -> handled (Tensor.backward)

    # -- used inside forward ---------------------------------------------------------------------
    def save_for_backward(self, *values):
        self._saved = values

    def mark_non_differentiable(self, *outputs):
        self._non_diff = outputs

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    # -- used inside backward --------------------------------------------------------------------
    @property
    def saved_tensors(self):
        """What forward saved; raises if it was freed or changed in place since."""
        if self._freed:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read saved "
                "values after they were freed). Saved intermediate values are freed after the first "
                "backward; pass retain_graph=True to the first backward() (or autograd.grad) if you "
                "need to backward through the graph again.")
        for counter, version, pos, _ in self._versions:
            if counter[0] != version:
                raise _modified_error(self, self._saved[pos], counter[0], version)
        if self._graph:
            roles = {pos: role for _, _, pos, role in self._versions}
            return tuple(self._as_tensor(s, roles.get(pos)) for pos, s in enumerate(self._saved))
        return self._saved

    def _as_tensor(self, value, role):
        """A saved array as the Tensor it was, so a backward with create_graph=True records a graph
        that reaches the forward's inputs (PyTorch's SavedVariable unpacking)."""
        if isinstance(value, Tensor):   # a custom Function's save: inputs are already themselves
            if role is None or role[0] != "out":
                return value
            value = value._data           # an output created inside forward: unpack it as the output
        if not isinstance(value, np.ndarray):
            return value
        if role is None:
            return _wrap(value)                       # an intermediate: a constant
        kind, i = role
        edge = self.next_edges[i] if kind == "in" else (self, i)
        if edge is None:
            return _wrap(value)
        if type(edge[0]) is AccumulateGrad:
            return edge[0].variable
        t = _wrap(value, True)
        t.grad_fn, t._out_idx = edge
        return t

    def backward_arrays(self, grads):
        """Gradients for the inputs (arrays) from gradients for the outputs (arrays)."""
        if self.n_outputs > 1 and self.materialize_grads:
            grads = [np.zeros(shape, dtype) if g is None else g
                     for g, (shape, dtype) in zip(grads, self.output_meta)]
        result = self.fn._backward(self, grads)
        return result if type(result) is tuple else (result,)

    def backward_graph(self, grads):
        """``create_graph=True``: gradients for the inputs as Tensors that record their own graph
        (grad mode is on), so they can be differentiated again."""
        if self.n_outputs > 1 and self.materialize_grads:
            grads = [_wrap(np.zeros(shape, dtype)) if g is None else g
                     for g, (shape, dtype) in zip(grads, self.output_meta)]
        result = self.fn._backward_graph(self, grads)
        return result if type(result) is tuple else (result,)

    # -- introspection ---------------------------------------------------------------------------
    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next_edges)

    def register_prehook(self, fn, index=0):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._pre_hooks.setdefault(index, []).append(fn)
        return _RemovableHandle(self._pre_hooks[index], fn)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def free_saved(self):
        if self._saved:
            self._saved = ()
            self._freed = True


class AccumulateGrad(Node):
    """The node at a leaf tensor: the engine adds the gradient arriving here into ``leaf.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.hooks = []          # Tensor.register_hook: may replace the gradient
        self.post_hooks = []     # Tensor.register_post_accumulate_grad_hook: see the updated leaf

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def gradient_edge(t):
    """Where a gradient for tensor ``t`` goes: its grad_fn's output, or its leaf accumulator."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._out_idx)
    return (accumulator(t), 0)


def accumulator(t):
    """The leaf's AccumulateGrad node (one per leaf, made on first use)."""
    acc = t._acc
    if acc is None:
        acc = t._acc = AccumulateGrad(t)
    return acc


class _RemovableHandle:
    __slots__ = ("_list", "_item")

    def __init__(self, lst, item):
        self._list, self._item = lst, item

    def remove(self):
        try:
            self._list.remove(self._item)
        except ValueError:
            pass


class Function:
    """Base class for custom differentiable functions, as ``torch.autograd.Function``.

    Example:
        >>> class Square(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         x, = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> y = Square.apply(ember.tensor([3.0], requires_grad=True))
    """
    _suffix = "Backward"
    backward_on_arrays = False
    is_view = False           # Op: the output shares memory (and version counter) with input 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("backward_name") or cls.__name__ + cls._suffix
        cls._node = type(name, (Node,), {"fn": cls})

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("Function subclasses must implement forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args):
        """Run forward; if grad mode is on and an input requires grad, record a node for backward."""
        ctx = cls._node()
        record = _State.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if record:
            _connect(ctx, args)
            if _Anomaly.enabled:
                record_forward(ctx)
        out = cls._forward(ctx, args)
        return _wrap_outputs(cls, ctx, out, args, record)

    # How forward and backward see values: Tensors with grad mode off (overridden by Op).
    @classmethod
    def _forward(cls, ctx, args):
        prev, _State.enabled = _State.enabled, False
        try:
            return cls.forward(ctx, *args)
        finally:
            _State.enabled = prev

    @classmethod
    def _backward(cls, ctx, grads):
        prev, _State.enabled = _State.enabled, False
        try:
            result = cls.backward(ctx, *[None if g is None else _wrap(g) for g in grads])
        finally:
            _State.enabled = prev
        if not isinstance(result, tuple):
            result = (result,)
        return tuple(r._data if isinstance(r, Tensor) else (None if r is None else np.asarray(r))
                     for r in result)


    @classmethod
    def _backward_graph(cls, ctx, grads):
        ctx._graph = True                          # saved outputs unpack as the outputs (with this node)
        try:
            result = cls.backward(ctx, *grads)     # Tensors in and out, grad mode on: it records
        finally:
            ctx._graph = False
        if not isinstance(result, tuple):
            result = (result,)
        return tuple(r if r is None or isinstance(r, Tensor) else _wrap(np.asarray(r)) for r in result)


class Op(Function):
    """Base class of ember's primitives: forward and backward on NumPy arrays.

    Set ``is_view = True`` on ops whose output shares memory with input 0, so the two share a
    version counter (an in-place write through either is seen by both).
    """
    _suffix = "Backward0"
    differentiable_backward = False   # True: backward is written against ``array_namespace``
    elementwise = False               # True: may run on blocks across threads (ember/_blocked.py)
    backward_on_arrays = True         # backward takes and returns NumPy arrays (Function: Tensors)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._node.__module__ = "builtins"   # as PyTorch's built-in nodes: <class 'AddBackward0'>

    @classmethod
    def _forward(cls, ctx, args):
        return cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args])

    @classmethod
    def _backward(cls, ctx, grads):
        return cls.backward(ctx, *grads)

    @classmethod
    def _backward_graph(cls, ctx, grads):
        """Run ``backward`` on Tensors (saved arrays become the tensors they were), recording."""
        if not cls.differentiable_backward:
            if any(g.requires_grad for g in grads if g is not None) or _saves_differentiable(ctx):
                raise RuntimeError(
                    f"{ctx.name()}: second-order gradients (create_graph=True) are not implemented for "
                    f"this operation")
            return tuple(None if g is None else _wrap(g)
                         for g in _as_tuple(cls.backward(ctx, *[g._data for g in grads])))
        ctx._graph = True
        try:
            result = _as_tuple(cls.backward(ctx, *grads))
        finally:
            ctx._graph = False
        for r in result:
            if r is not None and not isinstance(r, Tensor):
                raise TypeError(f"{ctx.name()}.backward returned a {type(r).__name__} with create_graph=True; "
                                "use array_namespace(grad) so it computes with Tensors")
        return result


def _as_tuple(result):
    return result if type(result) is tuple else (result,)


def _saves_differentiable(ctx):
    """True if a saved value is an input or output that gradients flow through."""
    return any(role is not None and (role[0] == "out" or ctx.next_edges[role[1]] is not None)
               for _, _, _, role in ctx._versions)


def _connect(ctx, args):
    """Give the node one edge per input: where that input's gradient must be sent."""
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx.next_edges = tuple(gradient_edge(a) if need else None
                           for a, need in zip(args, ctx.needs_input_grad))
    ctx.input_meta = tuple((a._data.shape, a._data.dtype) if need else None
                           for a, need in zip(args, ctx.needs_input_grad))


def _wrap_outputs(cls, ctx, out, args, record):
    """Wrap forward's result as Tensors; when recording, make ``ctx`` their grad_fn."""
    single = type(out) is not tuple
    outs = tuple(_wrap(o._data if isinstance(o, Tensor) else np.asarray(o)) for o in ((out,) if single else out))
    if cls.is_view:
        outs[0]._vc = args[0]._vc
    if record:
        non_diff = {id(o) for o in ctx._non_diff}
        ctx.n_outputs = len(outs)
        ctx.output_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
        for i, (o, original) in enumerate(zip(outs, (out,) if single else out)):
            if o._data.dtype.kind == "f" and id(original) not in non_diff:
                o.requires_grad, o.grad_fn, o._out_idx = True, ctx, i
        if cls.is_view:  # lets an in-place write into the view rebase its base
            outs[0]._view_of = (args[0], cls, tuple(a._data if isinstance(a, Tensor) else a for a in args[1:]))
        if ctx._saved:
            record_saved(ctx, args, outs)
    return outs[0] if single else outs


def record_saved(ctx, args, outs):
    """For every saved value that is a tensor's buffer (an output ``("out", i)`` or an input
    ``("in", j)``): its version now, to detect a later in-place change, and its role, to unpack it
    as that tensor under create_graph. Other saved values are intermediates."""
    versions = []
    for pos, s in enumerate(ctx._saved):
        if s is None:
            continue
        array = s._data if isinstance(s, Tensor) else s
        found = None
        for i, t in enumerate(outs):
            if t._data is array:
                found = (t, ("out", i))
                break
        else:
            for j, t in enumerate(args):
                if isinstance(t, Tensor) and t._data is array:
                    found = (t, ("in", j))
                    break
            else:
                if isinstance(s, Tensor):
                    found = (s, None)
        if found is not None:
            owner, role = found
            versions.append((owner._vc, owner._vc[0], pos, role))
    ctx._versions = versions


def _modified_error(node, value, now, expected):
    what = (f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
            if hasattr(value, "shape") else "a tensor")
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what}, saved by {node.name()}, is at version {now}; expected version "
        f"{expected} instead. Fix: use the out-of-place form of the operation (e.g. x = x.relu() "
        f"instead of x.relu_()) or clone() the tensor before changing it.")


class route_apply:
    """Context manager: while active, every ``Op.apply`` / ``Function.apply`` call made by this
    thread goes to ``handler(original_apply, cls, args)`` — how ``ember.compile`` records and
    ``ember.onnx`` traces. Other threads keep applying ops as usual; routes nest (the innermost
    handler of a thread gets its calls).

    Example:
        >>> with route_apply(lambda original, cls, args: original(cls, *args)):
        ...     y = x * 2
    """
    _lock = threading.Lock()
    _active = 0                    # routes entered and not yet left, all threads
    _saved = {}                    # the classes' own ``apply`` while any route is active
    _local = threading.local()     # .handlers: this thread's stack of handlers

    def __init__(self, handler):
        self.handler = handler

    def __enter__(self):
        stack = route_apply._local.__dict__.setdefault("handlers", [])
        with route_apply._lock:
            if route_apply._active == 0:
                route_apply._install()
            route_apply._active += 1
        stack.append(self.handler)
        return self

    def __exit__(self, *exc):
        route_apply._local.handlers.remove(self.handler)
        with route_apply._lock:
            route_apply._active -= 1
            if route_apply._active == 0:
                route_apply._uninstall()
        return False

    @staticmethod
    def _install():
        route_apply._saved = {c: c.__dict__.get("apply") for c in (Function, Op)}
        local = route_apply._local
        for c, own in route_apply._saved.items():
            original = (own if own is not None else route_apply._saved[Function]).__func__

            def routed(cls, *args, _original=original):
                handlers = getattr(local, "handlers", None)
                if not handlers:                       # another thread's route: apply as usual
                    return _original(cls, *args)
                return handlers[-1](_original, cls, args)
            c.apply = classmethod(routed)

    @staticmethod
    def _uninstall():
        for c, own in route_apply._saved.items():
            if own is None:
                del c.apply
            else:
                c.apply = own
