"""A recorded ``Program`` as two generated Python functions: its forward and its backward.

A speed-up, not math: the replay in ``graph.py`` could loop over the steps, but a loop pays for
list building, attribute chains and dict lookups at every op. Instead, once per program, this
module writes the source of a straight-line function — one line per NumPy call or op call,
every array a local variable, every op class, constant and buffer bound by name — and ``exec``s
it. ``Program.source`` holds the text (print it to see what a compiled call runs).

Forward, ``forward(inputs) -> (outputs, saved, buffers)``:

- input and state arrays are read at call time (``x3 = S3._data``: an optimizer step is seen);
- an op with a kernel (``kernels.py``) runs as inline NumPy calls writing ``out=`` into a
  preallocated buffer; other ops run as ``F7(ctx, *arrays)`` with a fresh ``ctx`` (the generic
  path);
- **buffer ownership**: the buffers of one call form a *set*, taken from the program's pool and
  given back only when nothing can read them any more: at the end of the call without autograd,
  else when the call's graph node frees its saved values (after backward, or when the graph is
  dropped: ``_Lease``). A call made while an earlier call's graph is alive gets another set. An
  array returned to the user is never a buffer: a step whose result is returned, or whose result
  a returned array shares memory with (a view, found at recording), writes a fresh array.

Backward, ``backward(saved, grads, forward_buffers) -> input gradients``, runs the grad steps in reverse order:
kernels inline, generic steps through ``Op.backward`` with the engine's reduction to each input's
shape and dtype. Its scratch buffers form a set of their own, taken and given back per call;
gradients that leave (to the engine, to ``.grad``) are fresh arrays, never scratch buffers.
Which gradients exist is decided statically where it can be (``None`` checks only where a
gradient may be missing), so a chain of kernels is one straight run of ufunc calls.
"""
import functools

import numpy as np

from ..autograd.engine import sum_to_shape
from .. import _torch_sum
from ..ops import _math
from .kernels import SHAPE_STATIC, kernel_for

__all__ = ["generate"]

_NAMESPACE = {
    "ndarray": np.ndarray, "asarray": np.asarray, "empty": np.empty, "sum_to_shape": sum_to_shape,
    "stable_sigmoid": _math.sigmoid, "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
    "true_divide": np.true_divide, "negative": np.negative, "tanh": np.tanh, "exp": np.exp,
    "reciprocal": np.reciprocal, "maximum": np.maximum, "less_equal": np.less_equal, "invert": np.invert,
    "logical_not": np.logical_not, "minimum": np.minimum,
    "matmul": np.matmul,
    "one_minus_square": _math.one_minus_square, "torch_exp": _math.exp,
    "torch_order_total": _torch_sum.total,
}


def _own(g, scratch, forward_buffers):
    """``g``, or a copy of it if it is (or views) one of the program's buffers: a gradient that
    leaves the backward must never be a buffer a later call writes into."""
    if g is None:
        return g
    if g.base is None:
        for b in scratch:
            if g is b:
                return g.copy()
        for b in forward_buffers:
            if g is b:
                return g.copy()
        return g
    for b in scratch:
        if np.may_share_memory(g, b):
            return g.copy()
    for b in forward_buffers:
        if np.may_share_memory(g, b):
            return g.copy()
    return g


_NAMESPACE["own"] = _own


POOL_LIMIT = 4     # buffer sets kept per program (more are made while that many graphs are alive)


class _Lease:
    """Gives a buffer set back to its pool when the graph node holding it frees its saved values."""
    __slots__ = ("pool", "buffers")

    def __init__(self, pool, buffers):
        self.pool, self.buffers = pool, buffers

    def __del__(self):
        if len(self.pool) < POOL_LIMIT:
            self.pool.append(self.buffers)


class Generated:
    """The generated ``forward`` and ``backward`` of one program, their buffer pools and source."""

    def __init__(self):
        self.forward = self.backward = None
        self.pool, self.backward_pool = [], []
        self.specs, self.backward_specs = [], []    # (shape, dtype) of each buffer of a set
        self.source = ""

    def alloc(self):
        return [np.empty(s, d) for s, d in self.specs]

    def alloc_backward(self):
        return [np.empty(s, d) for s, d in self.backward_specs]

    def lease(self, buffers):
        return _Lease(self.pool, buffers)


def _typed_constant(ns, dtype, value):
    """The name of a 0-d array holding ``value`` in ``dtype`` (bound in ``ns``): what NumPy makes
    of a Python number combined with an array of that dtype. A value that would overflow the
    dtype stays a Python number."""
    key = ("constant", dtype.str, type(value), value)
    name = ns.get(key)
    if name is None:
        with np.errstate(over="ignore"):
            arr = np.asarray(value, dtype=dtype)
        if np.isfinite(value) and not np.isfinite(arr):
            return repr(value)
        name = ns[key] = f"C_{dtype.str[1:]}_{len(ns)}"
        ns[name] = arr
    return name


def _literal(value):
    """Source text for a constant that is safe to inline, else None."""
    if value is None or type(value) in (bool, int):
        return repr(value)
    if type(value) is float and np.isfinite(value):
        return repr(value)
    if type(value) is tuple and all(type(v) is int for v in value):
        return repr(value)
    return None


def generate(program, kinds, meta, fresh, grad):
    """Build ``Generated`` for ``program``.

    ``kinds[slot]``: "in", "state", "out" or "const"; ``meta[slot]``: (shape, dtype) of each array
    slot as recorded; ``fresh``: slots whose array may reach the user (never a buffer); ``grad``:
    whether calls of this program build a graph node (its guards fix grad mode).
    """
    gen = Generated()
    ns = dict(_NAMESPACE)
    ns["pool"], ns["alloc"], ns["POOL_LIMIT"] = gen.pool, gen.alloc, POOL_LIMIT
    ns["backward_pool"], ns["alloc_backward"] = gen.backward_pool, gen.alloc_backward
    env = {}                                         # slot -> source expression

    def arg(slot):
        if slot in env:
            return env[slot]
        value = program.template[slot]
        text = _literal(value)
        if text is None:
            text = f"K{slot}"
            ns[text] = value
        env[slot] = text
        return text

    # -- forward -----------------------------------------------------------------------------------
    body, saved = [], []
    for i in range(program.n_inputs):
        env[i] = f"x{i}"
        body.append(f"x{i} = inputs[{i}]._data")
    for slot, t in program.state:
        env[slot] = f"x{slot}"
        ns[f"S{slot}"] = t
        body.append(f"x{slot} = S{slot}._data")
    static = {s for s, kind in enumerate(kinds) if kind != "out"}   # slots whose shapes the guards fix
    plans = []                                       # per step: its kernel or None
    consts = {}                                      # per kernel step: its typed-constant namer
    for k, step in enumerate(program.steps):
        a = [arg(s) for s in step.args]
        outs = [f"x{s}" for s in step.outs]
        for s, o in zip(step.outs, outs):
            env[s] = o
        kernel = None
        if step.single and all(s in static for s in step.args):
            descr = tuple(("arr",) + meta[s] if kinds[s] != "const" else ("const", program.template[s])
                          for s in step.args)
            kernel = kernel_for(step.cls, descr, meta.get(step.outs[0]))
        plans.append(kernel)
        if kernel is not None or step.cls in SHAPE_STATIC:
            static.update(step.outs)
        if kernel is not None:
            dtype = meta[step.outs[0]][1]
            c = functools.partial(_typed_constant, ns, dtype)
            consts[k] = c
            a = [c(program.template[s]) if kinds[s] == "const" and type(program.template[s]) in (int, float)
                 else x for s, x in zip(step.args, a)]
            o = outs[0]
            dest = None
            if step.outs[0] not in fresh:
                dest = f"b{len(gen.specs)}"
                gen.specs.append(meta[step.outs[0]])
            body.extend(kernel.forward(a, o, dest, c))
            if grad and step.grad:
                saved.extend(v for v in kernel.saves(a, o) if v not in saved)
            continue
        ns[f"N{k}"], ns[f"F{k}"] = step.node, step.cls.forward
        body.append(f"c{k} = N{k}()")
        if grad and step.grad:
            ns[f"NEEDS{k}"] = step.needs
            body.append(f"c{k}.needs_input_grad = NEEDS{k}")
            saved.append(f"c{k}")
        call = f"F{k}(c{k}{''.join(', ' + x for x in a)})"
        if step.single:
            body += [f"{outs[0]} = {call}", f"if type({outs[0]}) is not ndarray: {outs[0]} = asarray({outs[0]})"]
        else:
            ns[f"OM{k}"] = step.output_meta
            body += [f"c{k}.n_outputs, c{k}.output_meta = {step.n_outputs}, OM{k}",
                     f"{', '.join(outs)}, = [v if type(v) is ndarray else asarray(v) for v in {call}]"]
    head = ["def forward(inputs):"]
    if gen.specs:
        names = ", ".join(f"b{i}" for i in range(len(gen.specs)))
        head += ["    try:", "        B = pool.pop()", "    except IndexError:", "        B = alloc()",
                 f"    {names}, = B"]
    else:
        body.append("B = None")
    ret = "".join(f"{env[s]}, " for s in program.outputs)
    body.append(f"return ({ret}), ({''.join(v + ', ' for v in saved)}), B")
    source = "\n".join(head + ["    " + line for line in body])

    # -- backward ----------------------------------------------------------------------------------
    if grad:
        source += "\n\n" + _backward(program, plans, consts, kinds, meta, saved, env, ns, gen)
    gen.source = source
    exec(compile(source, f"<ember.compile {getattr(program, 'where', 'program')}>", "exec"), ns)
    gen.forward = ns["forward"]
    gen.backward = ns.get("backward")
    return gen


def _backward(program, plans, consts, kinds, meta, saved, env, ns, gen):
    lines = []
    state = {}        # slot -> (status, pooled): status "set" (an array), "maybe" (array or None)

    def emit(line, depth):
        lines.append("    " * (depth + 1) + line)

    def scratch(shape, dtype):
        gen.backward_specs.append((shape, np.dtype(dtype)))
        return f"bb{len(gen.backward_specs) - 1}"

    def accumulate(slot, expr, certain, pooled, depth):
        status, was_pooled = state.get(slot, (None, False))
        g = f"g{slot}"
        if status is None:
            emit(f"{g} = {expr}", depth)
            state[slot] = ("set" if certain else "maybe", pooled)
        elif status == "set" and kinds[slot] == "out" and slot in meta:
            # an intermediate gradient: the sum goes into a scratch buffer of its own
            emit(f"{g} = add({g}, {expr}, out={scratch(*meta[slot])})", depth)
            state[slot] = ("set", True)
        elif status == "set":
            emit(f"{g} = {g} + {expr}", depth)
            # a fresh sum; inside a None check, g may also still be the old array
            state[slot] = ("set", False if certain else was_pooled)
        else:
            emit(f"{g} = {expr} if {g} is None else {g} + {expr}", depth)
            state[slot] = ("maybe", was_pooled or pooled)

    single = len(program.outputs) == 1
    for i, slot in enumerate(program.outputs):
        if slot in state:
            accumulate(slot, f"grads[{i}]", single, False, 0)
        else:
            emit(f"g{slot} = grads[{i}]", 0)
            state[slot] = ("set" if single else "maybe", False)
    grad_steps = [(k, s) for k, s in enumerate(program.steps) if s.grad]
    for k, step in reversed(grad_steps):
        statuses = [state.get(s, (None, False)) for s in step.outs]
        if all(st[0] is None for st in statuses):
            continue                       # no gradient reaches this step
        pooled_in = any(st[1] for st in statuses)
        kernel = plans[k]
        if kernel is not None:
            o, g = step.outs[0], f"g{step.outs[0]}"
            depth = 0
            if statuses[0][0] == "maybe":
                emit(f"if {g} is not None:", 0)
                depth = 1
            out_meta = meta[o]
            shapes = [meta[s][0] if kinds[s] != "const" else None for s in step.args]

            def dest(i, _step=step):
                s = _step.args[i]
                return scratch(*meta[s]) if kinds[s] == "out" else None

            def tmp(dtype=None, _m=out_meta):
                return scratch(_m[0], _m[1] if dtype is None else dtype)
            c = consts[k]
            a = [c(program.template[s]) if kinds[s] == "const" and type(program.template[s]) in (int, float)
                 else env[s] for s in step.args]
            body, results = kernel.backward(a, env[o], g, step.needs, dest, tmp, shapes, c)
            for line in body:
                emit(line, depth)
            for s, r, need in zip(step.args, results, step.needs):
                if need and r is not None:
                    pooled = pooled_in if r == g else (kinds[s] == "out")
                    accumulate(s, r, depth == 0, pooled, depth)
            continue
        ns[f"BW{k}"] = step.cls.backward
        if step.single:
            g = f"g{step.outs[0]}"
            depth = 0
            if statuses[0][0] == "maybe":
                emit(f"if {g} is not None:", 0)
                depth = 1
            emit(f"r = BW{k}(c{k}, {g})", depth)
            emit("if type(r) is not tuple: r = (r,)", depth)
        else:
            gs = ", ".join(f"g{s}" if st[0] is not None else "None" for s, st in zip(step.outs, statuses))
            emit(f"if not all(v is None for v in ({gs},)):", 0)
            depth = 1
            emit(f"r = c{k}.backward_arrays([{gs}])", depth)
        for i, (s, need, m) in enumerate(zip(step.args, step.needs, step.input_meta)):
            if not need:
                continue
            ns[f"M{k}_{i}"], ns[f"D{k}_{i}"] = m[0], m[1]
            emit(f"t = r[{i}]", depth)
            emit("if t is not None:", depth)
            emit(f"    if t.shape != M{k}_{i}: t = sum_to_shape(t, M{k}_{i})", depth)
            emit(f"    if t.dtype != D{k}_{i}: t = t.astype(D{k}_{i})", depth)
            accumulate(s, "t", False, pooled_in or bool(gen.specs), depth + 1)
    results = []
    for slot, _, _, _ in program.grad_slots:
        status, pooled = state.get(slot, (None, False))
        g = f"g{slot}"
        if status is None:
            results.append("None")
        elif not pooled:
            results.append(g)
        else:                              # may be a scratch buffer or a view of one: checked per call
            results.append(f"own({g}, BB, FB)")
    head = ["def backward(saved, grads, FB):", f"    {''.join(v + ', ' for v in saved)} = saved" if saved else "",
            "    " + "".join(f"g{s} = " for s in sorted({s for s in state} | {s for s, *_ in program.grad_slots}))
            + "None"]
    if gen.backward_specs:
        names = ", ".join(f"bb{i}" for i in range(len(gen.backward_specs)))
        head += ["    try:", "        BB = backward_pool.pop()", "    except IndexError:",
                 "        BB = alloc_backward()", f"    {names}, = BB"]
    else:
        head.append("    BB = ()")
    lines.append(f"    result = ({''.join(r + ', ' for r in results)})")
    if gen.backward_specs:
        lines.append("    if len(backward_pool) < POOL_LIMIT: backward_pool.append(BB)")
    lines.append("    return result")
    return "\n".join(h for h in head if h) + "\n" + "\n".join(lines)
