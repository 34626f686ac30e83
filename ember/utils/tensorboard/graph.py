"""``add_graph``: a model's forward pass, recorded by ember's autograd, as a TensorBoard GraphDef.

The model runs once on the example input with grad mode on (float inputs are detached copies
that require grad, so every operation that depends on them is recorded). The graph is then read
from the outputs' ``grad_fn`` nodes backwards along ``next_edges``:

- an op node per recorded operation, named ``<module scope>/<Op>_<n>`` (``op`` is the Op class,
  e.g. ``Addmm``), with its inputs' node names;
- a parameter node per leaf that is a registered parameter (``<scope>/weight``), an input node
  per example input (``input/input.<i>``) and an output node per output (``output/output.<i>``).

The scope of an operation is the innermost module whose forward created it (forward hooks note,
when each module returns, which not-yet-claimed nodes its outputs reach), written as PyTorch
writes scopes: ``Net/Sequential[layers]/Linear[0]``.

Example:
    >>> graph_def = build_graph(model, ember.randn(1, 20))    # tensorboard's GraphDef proto
"""
from ... import autograd
from ..._tensor import Tensor
from ...autograd.function import AccumulateGrad
from ._deps import require

__all__ = ["build_graph"]


def _tensors(x):
    """The Tensors in an output (a Tensor, or tuples/lists/dicts of them), in order."""
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tensors(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _tensors(v)]
    return []


def _scopes(model):
    """module -> PyTorch-style scope name (``Net/Linear[fc1]``)."""
    names = {}
    root = type(model).__name__
    for path, mod in model.named_modules():
        if not path:
            names[id(mod)] = root
            continue
        parent, _, last = path.rpartition(".")
        parent_scope = names.get(id(model.get_submodule(parent)) if parent else id(model), root)
        names.setdefault(id(mod), f"{parent_scope}/{type(mod).__name__}[{last}]")
    return names


def build_graph(model, input_to_model):
    """Run ``model(*inputs)`` once and return (GraphDef, output tensors)."""
    graph_pb2, node_def_pb2 = require("tensorboard.compat.proto.graph_pb2"), require("tensorboard.compat.proto.node_def_pb2")
    attr_pb2, shape_pb2 = require("tensorboard.compat.proto.attr_value_pb2"), require("tensorboard.compat.proto.tensor_shape_pb2")
    if input_to_model is None:
        raise ValueError("add_graph: input_to_model is needed to run the model once (e.g. ember.randn(1, 20))")
    args = input_to_model if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
    inputs = []
    for a in args:
        if not isinstance(a, Tensor):
            raise TypeError(f"add_graph: input_to_model must be a Tensor or a tuple of Tensors, got {type(a).__name__}")
        inputs.append(a.detach().requires_grad_(True) if a.is_floating_point() else a)
    scope_of = _scopes(model)
    claimed, stops, handles = {}, {}, []

    def pre_hook(mod, mod_args):
        stops[id(mod)] = {id(t.grad_fn) for t in _tensors(mod_args) if t.grad_fn is not None}

    def post_hook(mod, mod_args, out):
        scope, stop = scope_of.get(id(mod), type(mod).__name__), stops.pop(id(mod), set())
        todo = [t.grad_fn for t in _tensors(out) if t.grad_fn is not None]
        while todo:
            node = todo.pop()
            if node is None or id(node) in claimed or id(node) in stop or isinstance(node, AccumulateGrad):
                continue
            claimed[id(node)] = scope
            todo.extend(e[0] for e in node.next_edges if e is not None)

    for mod in model.modules():
        handles.append(mod.register_forward_pre_hook(pre_hook))
        handles.append(mod.register_forward_hook(post_hook))
    try:
        with autograd.grad_mode.enable_grad():
            out = model(*inputs)
    finally:
        for h in handles:
            h.remove()

    param_names = {}
    for name, p in model.named_parameters():
        owner, _, leaf = name.rpartition(".")
        scope = scope_of.get(id(model.get_submodule(owner)) if owner else id(model), type(model).__name__)
        param_names[id(p)] = f"{scope}/{leaf}"
    input_names = {id(t): f"input/input.{i}" for i, t in enumerate(inputs)}

    def shape_attr(shape):
        dims = [shape_pb2.TensorShapeProto.Dim(size=int(s)) for s in shape]
        return {"_output_shapes": attr_pb2.AttrValue(list=attr_pb2.AttrValue.ListValue(
            shape=[shape_pb2.TensorShapeProto(dim=dims)]))}

    nodes, names, counter = [], {}, {}
    for t, name in ((t, input_names[id(t)]) for t in inputs):
        nodes.append(node_def_pb2.NodeDef(name=name, op="IO Node", attr=shape_attr(t.shape)))

    def node_name(node):
        """The GraphDef name of an autograd node (parameters and inputs by their own names)."""
        if isinstance(node, AccumulateGrad):
            var = node.variable
            return param_names.get(id(var)) or input_names.get(id(var)) or f"constant/{id(var):x}"
        return names[id(node)]

    # topological order: inputs of a node before the node (iterative post-order)
    outputs = _tensors(out)
    order, seen = [], set()
    for root in [t.grad_fn for t in outputs if t.grad_fn is not None]:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((e[0], False) for e in node.next_edges if e is not None and id(e[0]) not in seen)
    for node in order:
        if isinstance(node, AccumulateGrad):
            var = node.variable
            if id(var) in param_names:
                nodes.append(node_def_pb2.NodeDef(name=param_names[id(var)], op="Parameter",
                                                  attr=shape_attr(var.shape)))
            elif id(var) not in input_names:
                nodes.append(node_def_pb2.NodeDef(name=node_name(node), op="Constant", attr=shape_attr(var.shape)))
            continue
        op = node.fn.__name__ if node.fn is not None else node.name()
        scope = claimed.get(id(node), type(model).__name__)
        k = counter.get((scope, op), 0)
        counter[(scope, op)] = k + 1
        names[id(node)] = f"{scope}/{op}_{k}"
        nodes.append(node_def_pb2.NodeDef(name=names[id(node)], op=op,
                                          input=[node_name(e[0]) for e in node.next_edges if e is not None]))
    for i, t in enumerate(outputs):
        src = [node_name(t.grad_fn)] if t.grad_fn is not None else []
        nodes.append(node_def_pb2.NodeDef(name=f"output/output.{i}", op="IO Node", input=src,
                                          attr=shape_attr(t.shape)))
    version = require("tensorboard.compat.proto.versions_pb2").VersionDef(producer=22)
    return graph_pb2.GraphDef(node=nodes, versions=version), outputs

