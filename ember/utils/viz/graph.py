"""Seeing backprop: the autograd graph behind a tensor as Graphviz DOT text.

``make_dot(loss)`` walks ``loss.grad_fn`` and its ``next_functions`` back to the leaves and
describes each step: the backward node's name (``MulBackward0``, ``AddmmBackward0``...), the
shape of the value it produced, and the leaf tensors the gradients flow into (blue boxes, named
from ``params`` when given). Arrows follow the forward data flow: leaves at the top, the
output at the bottom; ``backward()`` walks them in reverse.

Example:
    >>> w = ember.tensor([1.5], requires_grad=True)
    >>> loss = (w * 2.0).sum()
    >>> print(make_dot(loss, params={"w": w}))
    >>> render(make_dot(loss), "graph.svg")      # needs Graphviz's `dot` program
"""
import os
import shutil
import subprocess

from ..._tensor import Tensor

__all__ = ["make_dot", "render"]


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


def make_dot(var, params=None, show_dtype=False):
    """Describe the computation graph that produced ``var`` as Graphviz DOT source.

    Args:
        var: a Tensor (or a list/tuple of Tensors) produced by operations on tensors that
            require grad.
        params: optional ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) used to
            label leaf tensors.
        show_dtype: add each value's dtype to its label.

    Returns:
        str: DOT text; paste it into any Graphviz viewer or pass it to :func:`render`.

    Example:
        >>> x = ember.randn(4, 3)
        >>> fc = ember.nn.Linear(3, 2)
        >>> dot = make_dot(fc(x).sum(), params=dict(fc.named_parameters()))
        >>> "AccumulateGrad" not in dot and "weight" in dot
        True
    """

    roots = list(var) if isinstance(var, (list, tuple)) else [var]
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"make_dot: expected a Tensor (or a list of Tensors), got {type(r).__name__}")
    names = {}
    for name, p in (params or {}).items():
        if not isinstance(p, Tensor):
            raise TypeError(f"make_dot: params[{name!r}] should be a Tensor, got {type(p).__name__}")
        names[id(p)] = name

    ids = {}
    lines = ["digraph {",
             '\tgraph [fontname="Helvetica" rankdir=TB]',
             '\tnode [shape=box style=filled fillcolor=lightgrey fontname="Helvetica" fontsize=10 height=0.2]',
             "\tedge [arrowsize=0.6]"]
    out_shapes = {}  # id(node) -> {output index: (shape, dtype)} learned from consumers' input_meta

    def node_id(obj):
        key = id(obj)
        if key not in ids:
            ids[key] = f"n{len(ids)}"
        return ids[key]

    def describe(shape, dtype):
        s = _shape(shape)
        return f"{s} {dtype}" if show_dtype and dtype is not None else s

    def leaf_label(t):
        label = names.get(id(t), "")
        label = (label + "\n" if label else "") + describe(t._data.shape, t._data.dtype)
        return label + ("\nrequires_grad" if t.requires_grad else "")

    # 1) collect the nodes (iteratively: graphs can be deeper than Python's recursion limit)
    order, seen, stack = [], set(), []
    for r in roots:
        if r.grad_fn is not None:
            stack.append(r.grad_fn)
            out_shapes.setdefault(id(r.grad_fn), {})[r._out_idx] = (r._data.shape, r._data.dtype)
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(fn)
        meta = getattr(fn, "input_meta", ()) or ()
        for i, (nxt, idx) in enumerate(fn.next_functions):
            if nxt is None:
                continue
            if i < len(meta) and meta[i] is not None:
                out_shapes.setdefault(id(nxt), {})[idx] = meta[i]
            stack.append(nxt)

    # 2) emit them
    for fn in order:
        if hasattr(fn, "variable"):  # AccumulateGrad: draw the leaf tensor itself
            t = fn.variable
            lines.append(f"\t{node_id(fn)} [label={_quote(leaf_label(t))} fillcolor=lightblue]")
            continue
        shapes = out_shapes.get(id(fn), {})
        label = fn.name()
        if shapes:
            label += "\n" + " ".join(describe(*shapes[k]) for k in sorted(shapes))
        lines.append(f"\t{node_id(fn)} [label={_quote(label)}]")
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                lines.append(f"\t{node_id(nxt)} -> {node_id(fn)}")

    # 3) the outputs themselves (green), including a root that is a leaf or has no graph
    for k, r in enumerate(roots):
        rid = f"out{k}"
        label = describe(r._data.shape, r._data.dtype)
        if r.grad_fn is None:
            if r.requires_grad:
                label = leaf_label(r)
            else:
                label += "\n(no graph: this tensor does not require grad)"
        elif names.get(id(r)):
            label = names[id(r)] + "\n" + label
        lines.append(f"\t{rid} [label={_quote(label)} fillcolor=darkolivegreen1]")
        if r.grad_fn is not None:
            lines.append(f"\t{node_id(r.grad_fn)} -> {rid}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text, path, format=None):
    """Render DOT text to ``path`` (format from the suffix: .svg, .png, .pdf...) with Graphviz.

    Raises ``RuntimeError`` when the ``dot`` program is not installed or fails.

    Example:
        >>> render(make_dot(loss), "loss_graph.svg")
        'loss_graph.svg'
    """
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".").lower()
    if not fmt:
        raise ValueError(f"render: cannot tell the output format from {path!r}; use a suffix like .svg or .png "
                         "or pass format='svg'")
    if fmt == "dot" or fmt == "gv":
        with open(path, "w") as fh:
            fh.write(dot_text)
        return path
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(f"render: Graphviz's 'dot' program was not found on PATH, so {path!r} cannot be drawn. "
                           "Install Graphviz (apt install graphviz / brew install graphviz / conda install graphviz), "
                           "or save the text with a .dot suffix and open it in any Graphviz viewer.")
    proc = subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot_text.encode(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"render: 'dot -T{fmt}' failed (exit {proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()[:500]}")
    return path
