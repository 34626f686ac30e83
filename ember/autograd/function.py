"""Graph nodes and the two ways to declare a differentiable operation.

``Op``: ember's own primitives. ``forward(ctx, *arrays)`` and ``backward(ctx, grad)`` work on
NumPy arrays; non-tensor arguments (dims, scalars) pass through unchanged.

``Function``: PyTorch's public custom-function API. ``forward`` and ``backward`` receive and
return Tensors, run with grad mode off.

In both, ``ctx`` *is* the graph node (``grad_fn``) that the engine walks backward.
"""
import numpy as np

from .grad_mode import _State

# Bound by ember._tensor once Tensor exists (the two modules refer to each other).
Tensor = None
_wrap = None


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
    """A recorded operation: the ``ctx`` of forward/backward and the tensor's ``grad_fn``."""
    needs_input_grad = _NO_INPUT_GRADS
    next_edges = ()
    input_meta = ()
    n_outputs = 1
    _saved = ()
    _versions = ()
    _freed = False
    _pre_hooks = None       # {output index: [hook, ...]} from Tensor.register_hook
    _retain = None          # {output index: weakref to a tensor that called retain_grad()}
    _non_diff = ()
    _is_op = False
    materialize_grads = True

    # -- API used inside forward ------------------------------------------------------------
    def save_for_backward(self, *values):
        self._saved = values

    def mark_non_differentiable(self, *outputs):
        self._non_diff = outputs

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read saved "
                "values after they were freed). Saved intermediate values are freed after the first "
                "backward; pass retain_graph=True to the first backward() (or autograd.grad) if you "
                "need to backward through the graph again.")
        for tensor_vc, version, pos in self._versions:
            if tensor_vc[0] != version:
                arr = self._saved[pos]
                what = f"a tensor of shape {tuple(arr.shape)} and dtype {arr.dtype}" if hasattr(arr, "shape") else "a tensor"
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: {what}, saved by {self.name()}, is at version {tensor_vc[0]}; "
                    f"expected version {version} instead. Fix: use the out-of-place form of the "
                    f"operation (e.g. x = x.relu() instead of x.relu_()) or clone() the tensor before "
                    f"changing it.")
        return self._saved

    # -- introspection ------------------------------------------------------------------------
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

    def _free(self):
        if self._saved:
            self._saved = ()
            self._freed = True


class AccumulateGrad(Node):
    """The node at a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.hooks = []

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _RemovableHandle:
    __slots__ = ("_list", "_item")

    def __init__(self, lst, item):
        self._list, self._item = lst, item

    def remove(self):
        try:
            self._list.remove(self._item)
        except ValueError:
            pass


class _OpNode(Node):
    _is_op = True

    def _backward(self, grads):
        return self.fn.backward(self, *grads)


class _FunctionNode(Node):
    _is_op = False
    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._versions = [(t._vc, t._vc[0], i) for i, t in enumerate(tensors) if isinstance(t, Tensor)]

    def _backward(self, grads):
        prev = _State.enabled
        _State.enabled = False
        try:
            result = self.fn.backward(self, *[_wrap(g) if g is not None else None for g in grads])
        finally:
            _State.enabled = prev
        if not isinstance(result, tuple):
            result = (result,)
        return tuple(r._data if isinstance(r, Tensor) else (None if r is None else np.asarray(r))
                     for r in result)


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
    _node_base = _FunctionNode
    _suffix = "Backward"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("backward_name") or cls.__name__ + cls._suffix
        cls._node = type(name, (cls._node_base,), {"fn": cls})

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("Function subclasses must implement forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args):
        ctx = cls._node()
        record = _State.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if record:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        prev = _State.enabled
        _State.enabled = False
        try:
            out = cls.forward(ctx, *args)
        finally:
            _State.enabled = prev
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        arrays = [o._data if isinstance(o, Tensor) else np.asarray(o) for o in outs]
        if not record:
            result = tuple(_wrap(a) for a in arrays)
            return result[0] if single else result
        ctx.next_edges, ctx.input_meta = _edges(args)
        non_diff = {id(o) for o in ctx._non_diff}
        result = _link_outputs(ctx, arrays, [id(o) in non_diff for o in outs])
        if single:
            ctx.n_outputs = 1
        return result[0] if single else result


def _edges(args):
    edges, meta = [], []
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            gf = a.grad_fn
            edges.append((gf, a._out_idx) if gf is not None else (a._accumulator(), 0))
            meta.append((a._data.shape, a._data.dtype))
        else:
            edges.append(None)
            meta.append(None)
    return edges, meta


class Op(Function):
    """Base class of ember's primitives: forward/backward on NumPy arrays.

    ``is_view = True`` marks ops whose output shares memory with input 0 (so they share its
    version counter).
    """
    _node_base = _OpNode
    _suffix = "Backward0"
    is_view = False

    @classmethod
    def apply(cls, *args):
        ctx = cls._node()
        raw = []
        if not _State.enabled:
            for a in args:
                raw.append(a._data if isinstance(a, Tensor) else a)
            return _plain(cls, args, cls.forward(ctx, *raw))
        # One pass: unwrap, and collect the graph edges in case some input requires grad.
        record = False
        needs = []
        edges = []
        meta = []
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                raw.append(d)
                if a.requires_grad:
                    record = True
                    needs.append(True)
                    gf = a.grad_fn
                    edges.append((gf, a._out_idx) if gf is not None else (a._acc or a._accumulator(), 0))
                    meta.append((d.shape, d.dtype))
                    continue
            else:
                raw.append(a)
            needs.append(False)
            edges.append(None)
            meta.append(None)
        if not record:
            return _plain(cls, args, cls.forward(ctx, *raw))
        ctx.needs_input_grad = tuple(needs)
        ctx.next_edges = edges
        ctx.input_meta = meta
        out = cls.forward(ctx, *raw)
        if type(out) is tuple:
            outs = _link_outputs(ctx, [np.asarray(o) for o in out], [False] * len(out))
            if cls.is_view:
                outs[0]._vc = args[0]._vc
        else:
            t = _new(Tensor)
            t._data = out if type(out) is np.ndarray else np.asarray(out)
            t._grad = None
            t._out_idx = 0
            t._acc = None
            if t._data.dtype.kind == "f":
                t.requires_grad = True
                t.grad_fn = ctx
            else:
                t.requires_grad = False
                t.grad_fn = None
            if cls.is_view:
                t._vc = args[0]._vc
                t._view_of = (args[0], cls, raw[1:])  # lets an in-place write rebase the base
            else:
                t._vc = [0]
            outs = (t,)
        if ctx._saved:
            _record_versions(ctx, args, raw, outs)
        return outs if type(out) is tuple else outs[0]


_new = object.__new__


def _plain(cls, args, out):
    """Wrap forward's result when nothing is recorded."""
    if type(out) is tuple:
        return tuple(_wrap(np.asarray(o)) for o in out)
    t = _wrap(out if type(out) is np.ndarray else np.asarray(out))
    if cls.is_view:
        t._vc = args[0]._vc
    return t


def _record_versions(ctx, args, raw, outs):
    """Remember the version of every saved array that is an input or output buffer."""
    versions = []
    for i, s in enumerate(ctx._saved):
        for o in outs:
            if s is o._data:
                versions.append((o._vc, o._vc[0], i))
                break
        else:
            for a, r in zip(args, raw):
                if s is r and r is not a:
                    versions.append((a._vc, a._vc[0], i))
                    break
    ctx._versions = versions


def _link_outputs(ctx, arrays, non_diff):
    """Wrap several outputs as Tensors produced by node ``ctx``."""
    outs = tuple(_wrap(a) for a in arrays)
    ctx.n_outputs = len(outs)
    ctx.output_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
    for i, o in enumerate(outs):
        if o._data.dtype.kind == "f" and not non_diff[i]:
            o.requires_grad = True
            o.grad_fn = ctx
            o._out_idx = i
    return outs
