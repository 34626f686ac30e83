"""A recorded function as a straight-line program over NumPy arrays, and its replay.

A ``Program`` is the list of ops one eager call ran (``Step``: the op class, which slots its
arguments come from, which slots its outputs go to). Slots hold arrays: the call's input
tensors, *state* tensors read at replay time (parameters, buffers, captured tensors: so an
optimizer step between calls is seen), constants (dims, scalars) and the ops' outputs.

Replaying runs each op's ``forward`` on arrays, with a fresh ``ctx`` and none of the per-op
Tensor wrapping, edge collection or version bookkeeping of ``apply``. When the result needs
gradients it gets a single graph node, ``CompiledFunctionBackward``, whose backward runs the
recorded ops' backwards in reverse order, reducing each gradient to its input's shape exactly as
the engine does for every node.
"""
import numpy as np

from .. import _fast
from .._tensor import Tensor, _wrap
from ..autograd import engine
from ..autograd.anomaly_mode import _Anomaly
from ..autograd.engine import sum_to_shape
from ..autograd.function import AccumulateGrad, Op, _modified_error, gradient_edge
from ..autograd.grad_mode import _State
from .codegen import POOL_LIMIT, generate


class Step:
    """One recorded op: ``outs = cls.forward(ctx, *env[args])``."""
    __slots__ = ("cls", "node", "args", "outs", "single", "needs", "input_meta", "n_outputs", "output_meta",
                 "grad")

    def __init__(self, cls, args, outs, needs, input_meta, output_meta):
        self.cls, self.node, self.args, self.outs = cls, cls._node, args, outs
        self.single = len(outs) == 1 and output_meta is None
        self.needs, self.input_meta = needs, input_meta
        self.n_outputs, self.output_meta = len(outs), output_meta
        self.grad = needs is not None and any(needs)


class Program:
    """The replayable form of one recorded call (one guard signature)."""

    def __init__(self, steps, n_slots, constants, n_inputs, state, outputs, out_tree, grad_slots,
                 out_requires_grad, counters, bumps, saved, kinds=None, meta=None, fresh=None, grad=None):
        self.steps = steps
        self.template = [None] * n_slots
        for slot, value in constants:
            self.template[slot] = value
        self.n_inputs = n_inputs
        self.state = state                      # [(slot, tensor)] read at replay time
        self.outputs = outputs                  # slots of the flattened outputs
        self.out_tree = out_tree                # how to rebuild the returned structure
        self.grad_slots = grad_slots            # [(slot, "in", i) | (slot, "state", tensor)]
        self.out_requires_grad = out_requires_grad
        self.state_rg = tuple(t.requires_grad for _, t in state)
        self.counters = counters                # [(tensor, value step)]: integer buffers counted outside ops
        self.bumps = bumps                      # [(tensor, version step)]: state written by ops
        self.grad_steps = [s for s in steps if s.grad]
        self.saved = saved                      # inputs/state read by backward: [(slot, kind, i, ref)]
        self.single_output = out_tree == ("T",)
        self._node_meta = None
        self.state_meta = tuple((t._data.shape, t._data.dtype) for _, t in state)
        # The fast replay: generated straight-line functions over preallocated buffers (codegen.py);
        # EMBER_FAST=0 (or a Program built without slot metadata) replays with the loop below.
        self.generated = None
        self.grad = grad                        # calls build a graph node (grad mode is in the guards)
        if _fast.ENABLED and kinds is not None:
            self.generated = generate(self, kinds, meta, fresh, grad)
            self.run = self._run_generated

    @property
    def source(self):
        """The generated Python source of the fast replay (None on the loop replay)."""
        return None if self.generated is None else self.generated.source

    def matches_state(self):
        """The state tensors still have the requires_grad flags, shapes and dtypes they were
        recorded with (``p.data = other`` may change a parameter's shape)."""
        for (_, t), rg, m in zip(self.state, self.state_rg, self.state_meta):
            if t.requires_grad is not rg or t._data.shape != m[0] or t._data.dtype != m[1]:
                return False
        return True

    def _run_generated(self, inputs):
        gen = self.generated
        outs, saved, buffers = gen.forward(inputs)
        for t, step in self.counters:
            t._data += step
        for t, step in self.bumps:
            t._vc[0] += step
        outs = [_wrap(o) for o in outs]
        if self.grad:
            self._attach((saved, None if buffers is None else gen.lease(buffers)), inputs, outs)
        elif buffers is not None and len(gen.pool) < POOL_LIMIT:
            gen.pool.append(buffers)
        return outs

    # -- forward -------------------------------------------------------------------------------
    def run(self, inputs):
        env = self.template[:]
        for i, t in enumerate(inputs):
            env[i] = t._data
        for slot, t in self.state:
            env[slot] = t._data
        grad = _State.enabled and bool(self.grad_slots)
        ctxs = [] if grad else None
        ndarray, asarray = np.ndarray, np.asarray
        for step in self.steps:
            ctx = step.node()
            if step.grad and grad:
                ctx.needs_input_grad = step.needs
                ctxs.append(ctx)
            out = step.cls.forward(ctx, *[env[a] for a in step.args])
            if step.single:
                env[step.outs[0]] = out if type(out) is ndarray else asarray(out)
            else:
                ctx.n_outputs, ctx.output_meta = step.n_outputs, step.output_meta
                for slot, o in zip(step.outs, out):
                    env[slot] = o if type(o) is ndarray else asarray(o)
        for t, step in self.counters:
            t._data += step
        for t, step in self.bumps:
            t._vc[0] += step
        outs = [_wrap(env[s]) for s in self.outputs]
        if grad:
            self._attach(ctxs, inputs, outs)
        return outs

    def _attach(self, ctxs, inputs, outs):
        """Make one ``CompiledFunctionBackward`` node the grad_fn of the float outputs."""
        node = CompiledFunction._node()
        sources = [inputs[i] if kind == "in" else ref for _, kind, i, ref in self.grad_slots]
        node.next_edges = tuple([gradient_edge(t) for t in sources])
        static = self._node_meta
        if static is None:       # shapes and dtypes are fixed by the guards: computed once
            static = self._node_meta = ((True,) * len(sources), tuple((t._data.shape, t._data.dtype) for t in sources),
                                        len(outs), tuple((o._data.shape, o._data.dtype) for o in outs),
                                        [i for i, rg in enumerate(self.out_requires_grad) if rg])
        node.needs_input_grad, node.input_meta, node.n_outputs, node.output_meta, differentiable = static
        node.program = self
        watched = [inputs[i] if kind == "in" else ref for _, kind, i, ref in self.saved]
        node._saved = (ctxs, [(t, t._vc, t._vc[0]) for t in watched])
        for i in differentiable:
            o = outs[i]
            o.requires_grad, o.grad_fn, o._out_idx = True, node, i

    # -- backward ------------------------------------------------------------------------------
    def backward(self, node, grads):
        if node._freed:
            raise RuntimeError(
                "CompiledFunctionBackward: trying to backward through the graph a second time (or to read "
                "saved values after they were freed). Pass retain_graph=True to the first backward() if "
                "you need to backward through the graph again.")
        ctxs, watched = node._saved
        for t, counter, version in watched:
            if counter[0] != version:
                raise _modified_error(node, t._data, counter[0], version)
        if self.generated is not None:
            saved, lease = ctxs
            return self.generated.backward(saved, grads, () if lease is None else lease.buffers)
        buf = [None] * len(self.template)
        for slot, g in zip(self.outputs, grads):
            if g is not None:
                prev = buf[slot]
                buf[slot] = g if prev is None else prev + g
        for step, ctx in zip(self.grad_steps[::-1], ctxs[::-1]):
            if step.single:
                g = buf[step.outs[0]]
                if g is None:
                    continue
                res = step.cls.backward(ctx, g)
            else:
                gs = [buf[s] for s in step.outs]
                if all(g is None for g in gs):
                    continue
                res = ctx.backward_arrays(gs)
            if type(res) is not tuple:
                res = (res,)
            for slot, g, meta, need in zip(step.args, res, step.input_meta, step.needs):
                if not need or g is None:
                    continue
                if g.shape != meta[0]:
                    g = sum_to_shape(g, meta[0])
                if g.dtype != meta[1]:
                    g = g.astype(meta[1])
                prev = buf[slot]
                buf[slot] = g if prev is None else prev + g
        return tuple(buf[slot] for slot, _, _, _ in self.grad_slots)


class CompiledFunction(Op):
    """The graph node of a compiled call: its backward replays the recorded ops' backwards."""
    backward_name = "CompiledFunctionBackward"

    @staticmethod
    def forward(ctx, *args):
        raise RuntimeError("CompiledFunction is made by ember.compile's replay, not applied")

    @staticmethod
    def backward(ctx, *grads):
        return ctx.program.backward(ctx, grads)

    @classmethod
    def _backward_graph(cls, ctx, grads):
        raise RuntimeError("CompiledFunctionBackward: create_graph=True (higher-order gradients) through an "
                           "ember.compile'd function is not implemented; call the original function (the "
                           "compiled one's __wrapped__, or the module's _orig_mod) for higher-order gradients")


def _direct_backward(node, root, retain_graph):
    """``root.backward()`` when the whole graph is one compiled call whose inputs are leaves:
    replay the recorded backward and accumulate into each leaf's ``.grad`` in one pass, with the
    engine's rules (root gradient 1, the leaf-gradient policy, distinct arrays per leaf), without
    its graph walk. Returns False (the engine runs instead) for anything else: hooks, retain_grad,
    anomaly mode, a non-leaf input, one leaf reached twice, a root with more than one element."""
    if (_Anomaly.enabled or node._pre_hooks is not None or node._retain is not None or node.n_outputs != 1
            or root._data.size != 1):
        return False
    leaves = []
    for edge in node.next_edges:
        acc = edge[0]
        if type(acc) is not AccumulateGrad or acc.hooks or acc.post_hooks:
            return False
        for other in leaves:
            if other is acc:
                return False
        leaves.append(acc)
    prev, _State.enabled = _State.enabled, False
    try:
        grads = node.fn.backward(node, np.ones(root._data.shape, root._data.dtype))
    finally:
        _State.enabled = prev
    if not retain_graph and node._saved:
        node.free_saved()
    policy = engine.leaf_grad_policy()
    given = []
    for acc, g, meta in zip(leaves, grads, node.input_meta):
        if g is None:
            continue
        if g.shape != meta[0]:
            g = sum_to_shape(g, meta[0])
        if g.dtype != meta[1]:
            g = g.astype(meta[1])
        for other in given:
            if other is g:                 # one array for two leaves: each gets its own
                g = g.copy()
                break
        given.append(g)
        var = acc.variable
        if var._grad is None and g.shape == var._data.shape:
            var._grad = _wrap(policy.first_grad(g, var._data.dtype))
        else:
            policy.accumulate(var, g)
    return True


if _fast.ENABLED:        # a speed-up: EMBER_FAST=0 runs the engine (the reference path)
    CompiledFunction._node.direct_backward = staticmethod(_direct_backward)


def flatten(value, tensors):
    """Replace each Tensor in a nested tuple/list/dict by its index in ``tensors`` (appended);
    returns a hashable description of the structure and the non-tensor values."""
    if isinstance(value, Tensor):
        tensors.append(value)
        return ("T",)
    if type(value) in (tuple, list):
        return (type(value).__name__,) + tuple(flatten(v, tensors) for v in value)
    if type(value) is dict:
        return ("dict",) + tuple((k, flatten(v, tensors)) for k, v in value.items())
    return ("C", value)


def unflatten(tree, values):
    """Rebuild a structure described by ``flatten`` from an iterator of tensors."""
    kind = tree[0]
    if kind == "T":
        return next(values)
    if kind == "C":
        return tree[1]
    if kind == "dict":
        return {k: unflatten(v, values) for k, v in tree[1:]}
    items = [unflatten(v, values) for v in tree[1:]]
    return tuple(items) if kind == "tuple" else items
