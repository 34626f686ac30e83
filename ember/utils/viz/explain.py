"""Backprop explained with numbers: the chain rule of a small graph, step by step.

``explain(loss)`` walks the autograd graph behind a one-element ``loss`` and lists its steps in
evaluation (forward) order. For each step: what it computes, its value, the local derivative of
its output with respect to each input, the gradient arriving at its output (dL/d output) and
the gradient it sends to each input, which is the chain rule:

    dL/d input = dL/d output * d output/d input

The gradients are computed with each node's own backward (the numbers ``loss.backward()``
would put into ``.grad``), without touching any ``.grad``. A graph node does not keep every
intermediate value, so build the loss inside ``with recording():`` to see them all (values
the graph did not keep are shown as ``?`` otherwise). Tensor hooks are not run.

The table prints every number, so it is meant for small graphs: at most ``max_nodes`` steps and
tensors of at most ``max_elements`` elements; larger graphs are refused with a message saying
what to use instead (``make_dot``).

Example (the tutorials' worked example, y_hat = w2 * (w1 * x), L = 1/2 (y - y_hat)^2):
    >>> x, y = ember.tensor(2.0), ember.tensor(10.0)
    >>> w1, w2 = ember.tensor(1.5, requires_grad=True), ember.tensor(0.5, requires_grad=True)
    >>> with recording():
    ...     y_hat = w2 * (w1 * x)
    ...     loss = 0.5 * (y - y_hat) ** 2
    >>> ex = explain(loss, names={"x": x, "y": y, "w1": w1, "w2": w2, "y_hat": y_hat})
    >>> print(ex)                       # the table
    >>> ex["w1"]["gradient"]            # dL/dw1 = (y_hat - y) * w2 * x = -8.5
"""
import itertools
import threading

import numpy as np

from ..._tensor import Tensor
from ...autograd.engine import sum_to_shape
from ...autograd.function import Function, Op

__all__ = ["explain", "recording", "Explanation"]

MAX_NODES = 40
MAX_ELEMENTS = 16
_SEQ = itertools.count()
_SYMBOLS = {"Mul": "*", "Add": "+", "Sub": "-", "Div": "/", "Pow": "**", "Matmul": "@", "Mm": "@"}


# -- recording values during a forward ------------------------------------------------------------
class recording:
    """Context manager: while active (in this thread), each recorded op keeps a copy of its
    inputs and outputs on its graph node, so :func:`explain` can show every intermediate value.

    Example:
        >>> with recording():
        ...     loss = ((w * x - y) ** 2).sum()
        >>> print(explain(loss))
    """

    def __enter__(self):
        self._thread = threading.get_ident()
        self._saved = {c: c.__dict__["apply"] for c in (Function, Op) if "apply" in c.__dict__}
        for cls, original in self._saved.items():
            setattr(cls, "apply", classmethod(self._wrap(original.__func__)))
        return self

    def _wrap(self, apply):
        thread = self._thread

        def recorded_apply(cls, *args):
            out = apply(cls, *args)
            if threading.get_ident() == thread:
                _note(args, out)
            return out
        return recorded_apply

    def __exit__(self, *exc):
        for cls, original in self._saved.items():
            setattr(cls, "apply", original)
        return False


def _note(args, out):
    outs = out if isinstance(out, tuple) else (out,)
    for o in outs:
        node = getattr(o, "grad_fn", None) if isinstance(o, Tensor) else None
        if node is None:
            continue
        if "_viz_seq" not in node.__dict__:
            node._viz_seq = next(_SEQ)
        values = node.__dict__.setdefault("_viz_values", {})
        values[o._out_idx] = np.array(o._data)
        if "_viz_args" not in node.__dict__:
            node._viz_args = tuple((id(a), np.array(a._data)) if isinstance(a, Tensor) else (None, a) for a in args)


# -- the table ------------------------------------------------------------------------------------
def _num(a):
    """A value as short text: a number, or a small array on one line."""
    if a is None:
        return "?"
    a = np.asarray(a)
    if a.size == 1:
        v = a.reshape(()).item()
        return f"{v:.6g}" if isinstance(v, float) else str(v)
    body = np.array2string(a, precision=4, separator=", ", max_line_width=10 ** 6, suppress_small=True)
    return " ".join(body.split())


def _arg(v):
    if callable(v):              # a function an op was given to call (e.g. which reduction): not data
        return ""
    return _num(v) if isinstance(v, (int, float, np.ndarray, np.number)) and not isinstance(v, bool) else str(v)


def _op_name(node):
    name = node.name()
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


class Explanation:
    """The result of :func:`explain`: ``str()`` is the table, ``rows`` the same as data.

    Each row is a dict: ``index``, ``name``, ``kind`` (``"leaf"`` or ``"op"``), ``op``,
    ``computes`` (text), ``inputs`` (names), ``value``, ``incoming`` (dL/d this value),
    ``local`` and ``gradients`` (``{input name: array}``: d value/d input, and the gradient sent
    to that input); a leaf's ``gradient`` is the total it receives (what ``.grad`` would get).
    ``explanation[name]`` returns the row of that name.
    """

    def __init__(self, rows, loss_name, notes):
        self.rows, self.loss_name, self.notes = rows, loss_name, notes

    def __getitem__(self, name):
        for r in self.rows:
            if r["name"] == name:
                return r
        raise KeyError(f"explain: no step named {name!r}; names are {', '.join(r['name'] for r in self.rows)}")

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        return f"<Explanation of {self.loss_name}: {len(self.rows)} steps>"

    def __str__(self):
        header = ["#", "name", "computes", "value", "local derivative", f"dL/d(name)", "gradient sent on (chain rule)"]
        table = []
        for r in self.rows:
            n = r["name"]
            if r["kind"] == "leaf":
                table.append([str(r["index"]), n, r["computes"], _num(r["value"]), "",
                              _num(r["gradient"]), f"-> {n}.grad"])
                continue
            local, sent = [], []
            for inp, d in r["local"].items():
                local.append(f"d{n}/d{inp} = {_num(d) if d is not None else '(see the gradient)'}")
            for inp, g in r["gradients"].items():
                d = r["local"].get(inp)
                if d is not None and np.size(d) == 1 and np.size(r["incoming"]) == 1:
                    sent.append(f"dL/d{inp} = {_num(r['incoming'])} * {_num(d)} = {_num(g)}")
                else:
                    sent.append(f"dL/d{inp} = {_num(g)}")
            table.append([str(r["index"]), n, r["computes"], _num(r["value"]), "\n".join(local),
                          _num(r["incoming"]), "\n".join(sent)])
        lines = [f"backprop of {self.loss_name}, in evaluation order (read the last two columns from the bottom up: "
                 f"dL/d input = dL/d output * d output/d input)", _render(header, table)]
        lines += self.notes
        return "\n".join(lines)


def _render(header, rows):
    cells = [header] + rows
    split = [[c.split("\n") for c in row] for row in cells]
    widths = [max(len(line) for row in split for line in row[i]) for i in range(len(header))]
    out = []
    for k, row in enumerate(split):
        height = max(len(c) for c in row)
        for h in range(height):
            out.append("  ".join((c[h] if h < len(c) else "").ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# -- walking the graph ------------------------------------------------------------------------------
def _evaluation_order(root, max_nodes):
    """Nodes reachable from ``root`` with every node after its inputs (iterative post-order)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > max_nodes:
            raise ValueError(
                f"explain: the graph behind this loss has more than {max_nodes} steps (operations and leaf "
                f"tensors); the table is for small graphs, where every number can be read. For a large model, "
                f"look at the graph's shape with ember.utils.viz.make_dot(loss), or explain a smaller piece "
                f"(one layer on one example); raise the limit with explain(loss, max_nodes=N)")
        stack.append((node, True))
        for nxt, _ in reversed(node.next_functions):
            if nxt is not None and id(nxt) not in seen:
                stack.append((nxt, False))
    return order


def _place_leaves(order):
    """Operations in the order they ran when recorded (else graph order), each leaf just before
    the first operation that uses it."""
    ops = [n for n in order if not hasattr(n, "variable")]
    if all("_viz_seq" in n.__dict__ for n in ops):
        ops.sort(key=lambda n: n._viz_seq)
    placed, seen = [], set()
    for n in ops:
        for nxt, _ in n.next_functions:
            if nxt is not None and hasattr(nxt, "variable") and id(nxt) not in seen:
                seen.add(id(nxt))
                placed.append(nxt)
        placed.append(n)
    return placed


def _check_size(shape, what, max_elements):
    size = int(np.prod(shape)) if len(shape) else 1
    if size > max_elements:
        raise ValueError(
            f"explain: {what} has shape {tuple(shape)} ({size} elements); the table prints every number, so tensors "
            f"are limited to {max_elements} elements. Explain a smaller example (fewer features or one sample), "
            f"use ember.utils.viz.make_dot(loss) for the graph's shape, or raise the limit with "
            f"explain(loss, max_elements=N)")


def _fit(g, meta):
    if g.shape != meta[0]:
        g = sum_to_shape(g, meta[0])
    return g.astype(meta[1], copy=False)


def explain(loss, names=None, *, max_nodes=MAX_NODES, max_elements=MAX_ELEMENTS):
    """The chain rule behind ``loss.backward()``, with numbers, as a table (an :class:`Explanation`).

    Args:
        loss: a one-element Tensor produced by operations on tensors that require grad.
        names: optional ``{name: tensor}`` naming leaves, constants and intermediate results
            (e.g. ``{"w1": w1, "x": x, "y_hat": y_hat}``); others are called ``v1, v2, ...``
            (results), ``a, b, ...`` (leaves); the loss is ``L`` unless named.
        max_nodes: refuse graphs with more steps (operations and leaves) than this.
        max_elements: refuse graphs with a tensor of more elements than this.

    Example:
        >>> with recording():
        ...     loss = 0.5 * (y - w2 * (w1 * x)) ** 2
        >>> print(explain(loss, names={"w1": w1, "w2": w2, "x": x, "y": y}))
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"explain: expected the loss Tensor, got {type(loss).__name__}")
    if loss._data.size != 1:
        raise ValueError(f"explain: backprop starts from a single number, but the loss has shape "
                         f"{tuple(loss._data.shape)}; reduce it first, e.g. explain(loss.sum()) or explain(loss.mean())")
    if loss.grad_fn is None:
        raise ValueError("explain: the loss has no graph to explain (it was not computed from tensors with "
                         "requires_grad=True, or it was computed under no_grad()); create the weights with "
                         "requires_grad=True")
    for key in ("max_nodes", "max_elements"):
        v = max_nodes if key == "max_nodes" else max_elements
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"explain: {key} must be a positive integer, got {v!r}")
    by_tensor, by_output = {}, {}
    for name, t in (names or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"explain: names[{name!r}] should be a Tensor, got {type(t).__name__}")
        by_tensor[id(t)] = name
        if t.grad_fn is not None:
            by_output[(id(t.grad_fn), t._out_idx)] = name
    by_output.setdefault((id(loss.grad_fn), loss._out_idx), by_tensor.get(id(loss), "L"))

    order = _place_leaves(_evaluation_order(loss.grad_fn, max_nodes))
    out_meta = {(id(loss.grad_fn), loss._out_idx): (loss._data.shape, loss._data.dtype)}
    for node in order:           # (shape, dtype) of every output, as its consumers saw it
        for edge, meta in zip(node.next_edges, node.input_meta):
            if edge is not None and meta is not None:
                out_meta[(id(edge[0]), edge[1])] = meta
    label, values = {}, {}       # (id(node), output index) -> name / value
    n_leaf = n_op = 0
    notes, unknown = [], False
    for node in order:           # names and sizes first: refuse before computing anything
        if hasattr(node, "variable"):
            t = node.variable
            _check_size(t._data.shape, f"leaf {by_tensor.get(id(t), '')}".rstrip(), max_elements)
            n_leaf += 1
            label[(id(node), 0)] = by_tensor.get(id(t)) or _leaf_name(n_leaf)
            values[(id(node), 0)] = t._data
            continue
        for i in range(node.n_outputs):
            if (id(node), i) in out_meta:
                _check_size(out_meta[(id(node), i)][0], f"the output of {node.name()}", max_elements)
        for meta in node.input_meta:
            if meta is not None:
                _check_size(meta[0], f"an input of {node.name()}", max_elements)
        for i in range(node.n_outputs):
            if (id(node), i) in by_output:
                label[(id(node), i)] = by_output[(id(node), i)]
            else:
                n_op += 1
                label[(id(node), i)] = f"v{n_op}" if node.n_outputs == 1 else f"v{n_op}[{i}]"
        for i, v in node.__dict__.get("_viz_values", {}).items():
            values[(id(node), i)] = v
    for node in order:           # values the graph kept without recording: saved inputs and outputs
        for _, _, pos, role in getattr(node, "_versions", ()) or ():
            if role is None:
                continue
            kind, i = role
            key = (id(node), i) if kind == "out" else (
                None if node.next_edges[i] is None else (id(node.next_edges[i][0]), node.next_edges[i][1]))
            if key is not None and key not in values and node._saved and pos < len(node._saved):
                s = node._saved[pos]
                values[key] = s._data if isinstance(s, Tensor) else s
    values.setdefault((id(loss.grad_fn), loss._out_idx), loss._data)

    # backward, node by node in reverse evaluation order: what the engine does
    incoming = {(id(loss.grad_fn), loss._out_idx): np.ones(loss._data.shape, loss._data.dtype)}
    local, sent = {}, {}
    for node in reversed(order):
        if hasattr(node, "variable"):
            continue
        grads = [incoming.get((id(node), i)) for i in range(node.n_outputs)]
        metas = [out_meta.get((id(node), i), ((0,), np.float32)) for i in range(node.n_outputs)]
        filled = [np.zeros(m[0], m[1]) if g is None else g for g, m in zip(grads, metas)]
        result = node.backward_arrays([np.array(g) for g in filled])
        sent[id(node)] = {}
        for i, edge in enumerate(node.next_edges):
            if edge is None or i >= len(result) or result[i] is None:
                continue
            g = _fit(np.asarray(result[i]), node.input_meta[i])
            sent[id(node)][i] = g
            key = (id(edge[0]), edge[1])
            incoming[key] = g.copy() if key not in incoming else incoming[key] + g
        local[id(node)] = _jacobians(node, metas) if node.n_outputs == 1 else {}

    rows = []
    for k, node in enumerate(order):
        key = (id(node), 0)
        if hasattr(node, "variable"):
            rows.append({"index": k + 1, "name": label[key], "kind": "leaf", "op": "leaf",
                         "computes": "leaf (requires_grad)", "inputs": [], "value": np.array(values[key]),
                         "incoming": incoming.get(key), "gradient": incoming.get(key), "local": {}, "gradients": {}})
            continue
        args = node.__dict__.get("_viz_args")
        inputs = []
        for i, edge in enumerate(node.next_edges):
            if edge is not None:
                inputs.append(label[(id(edge[0]), edge[1])])
            elif args is not None and i < len(args):
                tid, v = args[i]
                inputs.append(by_tensor.get(tid) or _num(v) if tid is not None else _arg(v))
            else:
                inputs.append("const")
        while len(inputs) > 1 and inputs[-1] in ("None", "False", "") and node.next_edges[len(inputs) - 1] is None:
            inputs.pop()         # trailing default arguments (dim=None, keepdim=False): not worth a column
        dup = {n for n in inputs if inputs.count(n) > 1}
        inputs = [f"{n} (input {i + 1})" if n in dup else n for i, n in enumerate(inputs)]
        value = values.get(key)
        unknown |= value is None
        op = _op_name(node)
        sym = _SYMBOLS.get(op)
        computes = (f"{inputs[0]} {sym} {inputs[1]}" if sym and len(inputs) == 2 else f"{op.lower()}({', '.join(inputs)})")
        rows.append({"index": k + 1, "name": label[key], "kind": "op", "op": op, "computes": computes,
                     "inputs": inputs[:len(node.next_edges)], "value": None if value is None else np.array(value),
                     "incoming": incoming.get(key),
                     "local": {inputs[i]: d for i, d in local[id(node)].items()},
                     "gradients": {inputs[i]: g for i, g in sent[id(node)].items()}})
    if unknown:
        notes.append("? = a value the graph did not keep; build the loss inside "
                     "`with ember.utils.viz.recording():` to see every value")
    return Explanation(rows, label[(id(loss.grad_fn), loss._out_idx)], notes)


def _leaf_name(n):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[(n - 1) % 26] + ("" if n <= 26 else str((n - 1) // 26))


def _jacobians(node, metas):
    """``{input index: d output/d input}`` of a one-output node, from its backward with one-hot gradients:
    the input's shape when the Jacobian is diagonal (elementwise ops) or the output is one number,
    else the full matrix (output elements x input elements)."""
    shape, dtype = metas[0]
    size = int(np.prod(shape)) if len(shape) else 1
    cols = {}
    for k in range(size):
        onehot = np.zeros(size, dtype)
        onehot[k] = 1
        result = node.backward_arrays([onehot.reshape(shape)])
        for i, edge in enumerate(node.next_edges):
            if edge is None or i >= len(result) or result[i] is None:
                continue
            cols.setdefault(i, []).append(_fit(np.asarray(result[i]), node.input_meta[i]).reshape(-1))
    out = {}
    for i, rows in cols.items():
        jac = np.stack(rows)                        # (output elements, input elements)
        in_shape = node.input_meta[i][0]
        if size == 1:
            out[i] = jac.reshape(in_shape)
        elif jac.shape[0] == jac.shape[1] and np.count_nonzero(jac - np.diag(np.diag(jac))) == 0 \
                and tuple(in_shape) == tuple(shape):
            out[i] = np.diag(jac).reshape(in_shape)
        else:
            out[i] = jac
    return out
