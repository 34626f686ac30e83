"""Recording one eager call into a ``Program``.

While a ``Recorder`` is active, ``Op.apply`` (and ``Function.apply``) are swapped for a version
that runs the op exactly as before and then notes it: its class, where each argument came from
(an input, an earlier op's output, a state tensor, a constant) and what ``apply`` decided about
gradients (``needs_input_grad``). The swap is undone when the call returns, so eager code never
pays for it. ``breaks.patched`` watches for what cannot be replayed.
"""
import threading

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op, route_apply
from ..autograd.grad_mode import _State
from .breaks import Unsupported, patched, user_line
from .graph import Program, Step, flatten


class Recorder:
    def __init__(self, inputs, state, fullgraph, where):
        self.fullgraph = fullgraph
        self.where = where         # the compiled function's file:line, for breaks found after the call
        self.slot_of = {}          # id(tensor) -> slot
        self.keep = []             # the tensors behind those ids, alive while recording
        self.kind = []             # per slot: "in", "state", "out" or "const"
        self.constants = []        # (slot, value)
        self.state = []            # (slot, tensor)
        self.snapshots = {}        # id(state tensor) -> (tensor, copy of its values, version)
        self.written = set()       # ids of state tensors an op wrote into
        self.requires_grad = {}    # slot -> requires_grad of the tensor recorded there
        self.steps = []
        self.saved_slots = set()   # input/state slots some op saved for backward
        self.made = {}             # id -> tensor made during the call outside the ops (comparisons, factories)
        self.slot_of_array = {}    # id(array) -> slot, for tensors that share a traced buffer (detach, .data)
        self.broken = None         # (reason, line) of the first graph break
        self.depth = 0
        self.meta = {}             # slot -> (shape, dtype) of the array recorded there
        self.arrays = {}           # "out" slot -> its array, to find which ones a returned tensor views
        self.thread = threading.get_ident()   # ops of other threads (data-loading workers) are not ours
        self.n_inputs = len(inputs)
        for t in inputs:
            self._new_slot(t, "in")
        for t in state:
            if id(t) not in self.slot_of:      # a parameter passed as an input stays an input
                self._state_slot(t)

    # -- slots ---------------------------------------------------------------------------------
    def _new_slot(self, t, kind):
        slot = len(self.kind)
        self.kind.append(kind)
        if t is not None:
            if kind != "in" or id(t) not in self.slot_of:
                self.slot_of[id(t)] = slot
            self.keep.append(t)
            self.requires_grad[slot] = t.requires_grad
            self.meta[slot] = (t._data.shape, t._data.dtype)
            if kind == "out":
                self.arrays[slot] = t._data
            if kind in ("in", "out"):
                self.slot_of_array.setdefault(id(t._data), slot)
        return slot

    def _state_slot(self, t):
        slot = self._new_slot(t, "state")
        self.state.append((slot, t))
        self.snapshots[id(t)] = (t, t._data.copy(), t._vc[0])
        return slot

    def slot(self, t):
        s = self.slot_of.get(id(t))
        if s is not None:
            return s
        s = self.slot_of_array.get(id(t._data))
        if s is not None:                      # t.detach(), t.data: the traced values themselves
            return s
        if id(t) in self.made:
            self.graph_break(f"a tensor of shape {tuple(t.shape)} was made inside the function outside ember's "
                             "recorded ops (a comparison such as x > 0, a factory such as ember.zeros, or a "
                             "NumPy round trip), so its values would not be replayed", user_line())
        return self._state_slot(t)

    def created(self, t):
        if not self.depth and threading.get_ident() == self.thread:
            self.made[id(t)] = t

    def made_here(self, t):
        return id(t) in self.made

    def const(self, value):
        slot = self._new_slot(None, "const")
        self.constants.append((slot, value))
        return slot

    def knows(self, t):
        return id(t) in self.slot_of

    def is_input(self, t):
        s = self.slot_of.get(id(t))
        return s is not None and self.kind[s] == "in"

    # -- graph breaks ----------------------------------------------------------------------------
    def graph_break(self, reason, line):
        if threading.get_ident() != self.thread:
            return
        if self.broken is None:
            self.broken = (reason, line)
            if self.fullgraph:
                raise Unsupported(f"graph break at {line}: {reason}. fullgraph=True does not allow graph "
                                  "breaks; remove it, or drop fullgraph=True to run that code eagerly.")

    # -- recording an op -----------------------------------------------------------------------
    def apply(self, original, cls, args):
        if self.depth or self.broken is not None or threading.get_ident() != self.thread:
            return original(cls, *args)
        if not (isinstance(cls, type) and issubclass(cls, Op)):
            self.graph_break(f"custom autograd.Function {cls.__name__} (only ember's ops are replayed)",
                             user_line())
            return original(cls, *args)
        watched = [(a, a._data.copy()) for a in args
                   if isinstance(a, Tensor) and self.kind[self.slot(a)] == "state"]
        self.depth += 1
        try:
            out = original(cls, *args)
        finally:
            self.depth -= 1
        for a, before in watched:
            if not _same(a._data, before):
                self.written.add(id(a))
        if any(_holds_array(a) for a in args if not isinstance(a, Tensor)):
            # e.g. index_select / gather / embedding indices, sort's permutation, where's condition:
            # arrays an op takes as plain arguments are usually computed from tensor values, and a
            # replay would reuse this call's values
            self.graph_break(f"{cls.__name__} takes an array argument (indices, a mask or a permutation computed "
                             "from tensor values), which the replay would freeze", user_line())
            return out
        arg_slots = tuple(self.slot(a) if isinstance(a, Tensor) else self.const(a) for a in args)
        outs = out if type(out) is tuple else (out,)
        node = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
        needs = input_meta = None
        if node is not None and node.fn is cls:
            needs = tuple(bool(n) for n in node.needs_input_grad)
            input_meta = tuple(node.input_meta)
        if needs is not None:
            for _, _, _, role in node._versions:      # inputs/state that backward reads: check their versions
                if role is not None and role[0] == "in" and self.kind[arg_slots[role[1]]] in ("in", "state"):
                    self.saved_slots.add(arg_slots[role[1]])
        out_slots = tuple(self._new_slot(o, "out") for o in outs)
        output_meta = (tuple((o._data.shape, o._data.dtype) for o in outs) if type(out) is tuple else None)
        self.steps.append(Step(cls, arg_slots, out_slots, needs, input_meta, output_meta))
        return out

    # -- the program -----------------------------------------------------------------------------
    def finish(self, result, inputs):
        """The Program for this call, or None after a graph break (``self.broken`` says why)."""
        if self.broken is not None:
            return None
        for i, t in enumerate(inputs):
            if t._vc[0] != self.input_versions[i]:
                self.graph_break("an in-place op on an input (in-place ops are not replayed)", self.where)
                return None
        counters, bumps = [], []
        for t, before, version in self.snapshots.values():
            changed = not _same(t._data, before)
            if id(t) in self.written:
                if t._vc[0] != version:
                    bumps.append((t, t._vc[0] - version))
            elif changed and t._data.ndim == 0 and t._data.dtype.kind in "iu":
                counters.append((t, t._data - before))       # e.g. BatchNorm's num_batches_tracked
                if t._vc[0] != version:
                    bumps.append((t, t._vc[0] - version))
            elif changed or t._vc[0] != version:
                self.graph_break(f"a tensor of shape {tuple(t.shape)} was written outside an op (e.g. an "
                                 "optimizer step inside the compiled function)", self.where)
                return None
        out_tensors = []
        tree = flatten(result, out_tensors)
        outputs = []
        for t in out_tensors:
            s = self.slot_of.get(id(t))
            if s is None or self.kind[s] != "out":
                self.graph_break("the function returns a tensor that no op in it computed (an input or "
                                 "a captured tensor)", self.where)
                return None
            outputs.append(s)
        grad_slots = []
        used = {a for st in self.steps if st.grad for a, n in zip(st.args, st.needs) if n}
        for slot in sorted(used):
            kind = self.kind[slot]
            if kind == "in":
                grad_slots.append((slot, "in", slot, None))
            elif kind == "state":
                grad_slots.append((slot, "state", None, self.keep_of(slot)))
        saved = [(s, "in", s, None) if self.kind[s] == "in" else (s, "state", None, self.keep_of(s))
                 for s in sorted(self.saved_slots)]
        # Slots whose arrays may reach the caller: the outputs and any array they view. The fast
        # replay never writes those into a reused buffer (codegen.py).
        fresh = set(outputs)
        for s in outputs:
            out = self.arrays[s]
            fresh.update(k for k, a in self.arrays.items() if np.may_share_memory(a, out))
        grad = _State.enabled and bool(grad_slots)
        return Program(self.steps, len(self.kind), self.constants, self.n_inputs, self.state, outputs, tree,
                       grad_slots, tuple(t.requires_grad for t in out_tensors), counters, bumps, saved,
                       kinds=list(self.kind), meta=self.meta, fresh=fresh, grad=grad)

    def keep_of(self, slot):
        return next(t for s, t in self.state if s == slot)

    # -- the swap --------------------------------------------------------------------------------
    def __enter__(self):
        self._patch = patched(self)
        self._patch.__enter__()
        self._route = route_apply(self.apply).__enter__()
        self.input_versions = [t._vc[0] for t in self.keep[:self.n_inputs]]
        return self

    def __exit__(self, *exc):
        self._route.__exit__(*exc)
        self._patch.__exit__(*exc)
        return False


def _holds_array(value):
    """True if ``value`` is, or is a tuple / list holding, a NumPy array of one or more dimensions."""
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    if isinstance(value, (tuple, list)):
        return any(_holds_array(v) for v in value)
    return False


def _same(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
