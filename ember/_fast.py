"""Speed-ups that are not math, in one place, behind one switch.

ember's reference path (``autograd/function.py``, ``autograd/engine.py``, ``_tensor_methods.py``)
is written to be read. On small tensors its cost is Python, not arithmetic, so by default
``install()`` swaps in equivalent versions of three hot spots:

- ``Op.apply`` with the unwrapping, edge collection and output wrapping inlined into one pass;
- leaf gradients adopted without a copy when no one else can see the array (the reference copies);
- the engine's loop over nodes (``engine.run_nodes``) with its steps inlined, for first-order
  gradients (``create_graph=True`` and anomaly mode always take the reference loop);
- ``+ - * /`` between same-dtype float tensors (or a float tensor and a Python number) going
  straight to the op, skipping type promotion.

With ``EMBER_SPLIT_ELEMENTWISE=1``, large elementwise ops (``elementwise = True``) go to
``_blocked.forward`` / ``_blocked.backward``, which split them across ember's threads (bitwise the
same result) or return None for the plain call. Off by default: measured, it does not pay here.

Set ``EMBER_FAST=0`` in the environment before importing ember to run the reference path. The
suite runs in both modes and the results are identical (``tests/test_fast.py``).
"""
import os

import numpy as np

from . import _blocked
from ._blocked import ENABLED as _SPLIT
from ._tensor import Tensor, _wrap
from .autograd import engine
from .autograd.anomaly_mode import _Anomaly, record_forward
from .autograd.function import Op, accumulator, record_saved
from .autograd.grad_mode import _State
from .ops import arithmetic as A

ENABLED = os.environ.get("EMBER_FAST", "1") != "0"


def install():
    """Replace the reference hot spots by their fast equivalents (called by ``ember/__init__``)."""
    Op.apply = classmethod(_op_apply)
    _blocked.ENABLED[0] = os.environ.get("EMBER_SPLIT_ELEMENTWISE", "0") == "1"   # opt-in: see _blocked.py
    engine.leaf_grad_policy = _AdoptingLeafGrads
    engine.first_order_loop = _first_order_loop
    for name, op, fn in [("add", A.Add, A.add), ("sub", A.Sub, A.sub), ("mul", A.Mul, A.mul),
                         ("truediv", A.Div, A.div)]:
        setattr(Tensor, f"__{name}__", _fast_binary(op, fn, False, getattr(Tensor, f"__{name}__")))
        if name != "truediv":   # number / tensor is reciprocal(tensor) * number, as PyTorch (_tensor_methods)
            setattr(Tensor, f"__r{name}__", _fast_binary(A.Rsub if name == "sub" else op, fn, True,
                                                         getattr(Tensor, f"__r{name}__")))


# -- Op.apply in one pass ------------------------------------------------------------------------
_new = object.__new__


def _op_apply(cls, *args):
    """``Op.apply`` (autograd/function.py) with its steps inlined; same nodes, same tensors."""
    ctx = cls._node()
    raw = []
    if not _State.enabled:
        for a in args:
            raw.append(a._data if isinstance(a, Tensor) else a)
        out = _blocked.forward(cls, ctx, raw) if cls.elementwise and _SPLIT[0] else None
        return _plain(cls, args, cls.forward(ctx, *raw) if out is None else out)
    # One pass: unwrap, and collect the graph edges in case some input requires grad.
    record = False
    needs, edges, meta = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            d = a._data
            raw.append(d)
            if a.requires_grad:
                record = True
                needs.append(True)
                gf = a.grad_fn
                edges.append((gf, a._out_idx) if gf is not None else (a._acc or accumulator(a), 0))
                meta.append((d.shape, d.dtype))
                continue
        else:
            raw.append(a)
        needs.append(False)
        edges.append(None)
        meta.append(None)
    if not record:
        out = _blocked.forward(cls, ctx, raw) if cls.elementwise and _SPLIT[0] else None
        return _plain(cls, args, cls.forward(ctx, *raw) if out is None else out)
    ctx.needs_input_grad, ctx.next_edges, ctx.input_meta = tuple(needs), edges, meta
    if _Anomaly.enabled:
        record_forward(ctx)
        out = cls.forward(ctx, *raw)
    else:   # large elementwise ops: split across the threads (None: not split)
        out = _blocked.forward(cls, ctx, raw) if cls.elementwise and _SPLIT[0] else None
        if out is None:
            out = cls.forward(ctx, *raw)
    if type(out) is tuple:
        return _link_outputs(cls, ctx, out, args, raw)
    t = _new(Tensor)
    t._data = out if type(out) is np.ndarray else np.asarray(out)
    t._grad = None
    t._out_idx = 0
    t._acc = None
    if t._data.dtype.kind == "f":
        t.requires_grad, t.grad_fn = True, ctx
    else:
        t.requires_grad, t.grad_fn = False, None
    if cls.is_view:
        t._vc = args[0]._vc
        t._view_of = (args[0], cls, tuple(raw[1:]))
    else:
        t._vc = [0]
    if ctx._saved:
        record_saved(ctx, args, (t,))
    return t


def _link_outputs(cls, ctx, out, args, raw):
    outs = tuple(_wrap(np.asarray(o)) for o in out)
    ctx.n_outputs = len(outs)
    ctx.output_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
    for i, o in enumerate(outs):
        if o._data.dtype.kind == "f":
            o.requires_grad, o.grad_fn, o._out_idx = True, ctx, i
    if cls.is_view:
        outs[0]._vc = args[0]._vc
        outs[0]._view_of = (args[0], cls, tuple(raw[1:]))
    if ctx._saved:
        record_saved(ctx, args, outs)
    return outs


def _plain(cls, args, out):
    """Wrap forward's result when nothing is recorded."""
    if type(out) is tuple:
        return tuple(_wrap(np.asarray(o)) for o in out)
    t = _wrap(out if type(out) is np.ndarray else np.asarray(out))
    if cls.is_view:
        t._vc = args[0]._vc
    return t


# -- leaf gradients without a copy ---------------------------------------------------------------
class _AdoptingLeafGrads(engine.CopyLeafGrads):
    """A leaf's first gradient becomes its ``.grad`` without a copy when nothing else can see the
    array: not a view, writable, never handed to user code, and not also sent to another input
    (copying big gradients costs more than most backward ops)."""
    __slots__ = ("_foreign",)

    def __init__(self):
        self._foreign = set()

    def seen_by_user(self, g):
        self._foreign.add(id(g))

    def distinct(self, node, in_grads):
        if not node.fn.backward_on_arrays:   # a Function's backward returns the user's tensors
            for g in in_grads:
                self.seen_by_user(g)
        if len(in_grads) < 2:
            return in_grads
        out = list(in_grads)
        for i in range(1, len(out)):
            g = out[i]
            if g is not None and any(g is h for h in out[:i]):
                out[i] = g.copy()
        return tuple(out)

    def first_grad(self, g, dtype):
        if (g.base is None and g.flags.writeable and g.flags.c_contiguous and g.dtype == dtype
                and id(g) not in self._foreign):
            return g
        return np.array(g, dtype=dtype, order="C")


# -- the engine's loop, inlined -------------------------------------------------------------------
def _first_order_loop(ready, buffers, deps, targets, leaf_grads, retain_graph):
    """``engine.run_nodes`` for arrays, with hooks, capture, the node call and delivery inlined."""
    fit = engine.sum_to_shape
    AccumulateGrad = engine.AccumulateGrad
    capturing = targets._captures is not None
    only = targets._only
    while ready:
        node = ready.pop()
        grads = buffers.pop(node)
        if type(node) is AccumulateGrad:
            if node.hooks:
                grads = engine.run_tensor_hooks(node, grads, leaf_grads)
            if capturing:
                targets.capture(node, grads)
            elif only is None or node in only:
                var, g = node.variable, grads[0]
                if var._grad is None and not node.post_hooks and g.shape == var._data.shape:
                    var._grad = _wrap(leaf_grads.first_grad(g, var._data.dtype))
                else:
                    engine.accumulate_into_leaf(node, g, leaf_grads)
            continue
        if node._pre_hooks is not None or node._retain is not None:
            grads = engine.run_tensor_hooks(node, grads, leaf_grads)
        if capturing:
            targets.capture(node, grads)
        fn = node.fn
        if node.n_outputs == 1 and fn.backward_on_arrays:
            in_grads = _blocked.backward(node, grads[0]) if fn.elementwise and _SPLIT[0] else None
            if in_grads is None:
                in_grads = fn.backward(node, grads[0])
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            elif len(in_grads) == 2:
                if in_grads[0] is in_grads[1] and in_grads[0] is not None:   # e.g. Add: one array, two inputs
                    in_grads = (in_grads[0], in_grads[1].copy())
            elif len(in_grads) > 2:
                in_grads = leaf_grads.distinct(node, in_grads)
        else:
            in_grads = leaf_grads.distinct(node, node.backward_arrays(grads))
        if not retain_graph and node._saved:
            node.free_saved()
        for edge, g, meta in zip(node.next_edges, in_grads, node.input_meta):
            if edge is None:
                continue
            nxt = edge[0]
            if g is None:
                engine._count_down_without_gradient(nxt, deps, buffers, ready)
                continue
            if g.shape != meta[0]:
                g = fit(g, meta[0])
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
                prev = buf[edge[1]]
                buf[edge[1]] = g if prev is None else prev + g
            left = deps[nxt] - 1
            deps[nxt] = left
            if not left:
                ready.append(nxt)



# -- arithmetic operators --------------------------------------------------------------------------
def _fast_binary(op, fn, reverse, slow):
    """The operator, going straight to ``op`` when no type promotion can be needed."""

    def method(self, other):
        if self._data.dtype.kind == "f":
            if isinstance(other, Tensor):
                if other._data.dtype is self._data.dtype:
                    return op.apply(other, self) if reverse else op.apply(self, other)
            elif type(other) is float or type(other) is int:
                return op.apply(other, self) if reverse else op.apply(self, other)
        return slow(self, other)
    method.__name__ = slow.__name__
    return method

