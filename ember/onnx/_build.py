"""Turning traced ops into an ONNX graph: values, initializers, constant folding, inputs/outputs.

Imported by ``_export`` only when a model is exported (it needs the optional onnx package).
"""
import numpy as np
from onnx import helper, numpy_helper

from .._tensor import Tensor
from . import ops_activation, ops_math, ops_nn, ops_recurrent, ops_shape  # noqa: F401  (register translations)
from . import ops_scatter  # noqa: F401  (scatter_reduce)
from ._graph import Call, Graph, op_name
from ._registry import TRANSLATIONS, UnsupportedOperatorError as Unsupported
from ._trace import InplaceWrite


class Exporter:
    def __init__(self, model, opset, fold):
        self.model, self.opset, self.fold = model, opset, fold
        self.names = {}          # id(tensor or array) -> ONNX name
        self.live = set()        # ids of values computed from the inputs
        self.stale = set()       # ids of arrays changed by an in-place write through another tensor
        self.producer = {}       # id of an op's output array -> (step, step2) of that op
        self.param_names = {}
        if hasattr(model, "named_parameters"):
            for n, p in list(model.named_parameters()) + list(model.named_buffers()):
                self.param_names.setdefault(id(p), n)

    def _key(self, v):
        return id(v._data) if isinstance(v, Tensor) else id(v)

    def is_live(self, v):
        """True if traced value ``v`` is computed from the model's inputs."""
        return self._key(v) in self.live

    def lookup(self, v):
        if self._key(v) in self.stale:
            raise Unsupported("ember.onnx.export: a tensor is used after an in-place write into a tensor that "
                              "shares its memory (a view of it, or its base) changed it; write out of place "
                              "(x = x.relu() instead of x.relu_()) or clone() before writing")
        if isinstance(v, Tensor) and id(v) in self.names:
            return self.names[id(v)]
        return self.names.get(self._key(v))

    def bind(self, v, name, live=True):
        if isinstance(v, Tensor):
            self.names[id(v)] = name
        self.names.setdefault(self._key(v), name)
        if live:
            self.live.add(self._key(v))

    def value(self, v, v2=None):
        """The ONNX name of traced value ``v`` (``v2``: the same value in the second trace)."""
        name = self.lookup(v)
        if name is not None:
            return name
        arr = v._data if isinstance(v, Tensor) else np.asarray(v)
        arr2 = None if v2 is None else (v2._data if isinstance(v2, Tensor) else np.asarray(v2))
        if arr2 is not None and arr2.shape != arr.shape:
            flat = arr.reshape(-1)
            if flat.size == 0 or not (flat == flat[0]).all():
                raise Unsupported(f"ember.onnx.export: a tensor of shape {arr.shape} made inside the forward "
                                  f"(not computed by ember ops from the inputs) changes shape with the "
                                  f"dynamic axes ({arr2.shape} at other sizes) and is not constant-filled")
            shape = self.g.shape_vector(arr.shape, arr2.shape, "a tensor made inside the forward")
            name = self.g.node("ConstantOfShape", [shape], value=numpy_helper.from_array(flat[:1].copy()))
        else:
            if arr2 is not None and v2 is not v and not np.array_equal(arr, arr2, equal_nan=arr.dtype.kind in "fc"):
                raise Unsupported(f"ember.onnx.export: a tensor of shape {arr.shape} follows the input values but "
                                  f"was made outside ember's ops (a NumPy round trip, .item(), .tolist(), a "
                                  f"new tensor from values, or a random draw; also the indices of sort, topk, "
                                  f"median and the like, which have no ONNX translation), so the ONNX graph "
                                  f"would freeze it; compute it with tensor operations")
            pname = self.param_names.get(id(v))
            name = (self.g.named_const(arr, pname) if pname is not None and pname not in self._used
                    else self.g.const(arr, "const"))
            if pname is not None:
                self._used.add(pname)
        self.bind(v, name, live=False)
        return name

    def build(self, trace, trace2, inputs, inputs2, in_names, outputs, outputs2, out_names, axes):
        dims = []
        for t, t2, n in zip(inputs, inputs2, in_names):
            for ax in axes.get(n, {}):
                if not -t.dim() <= ax < t.dim():
                    raise ValueError(f"ember.onnx.export: dynamic_axes gives axis {ax} for input {n!r}, "
                                     f"which has {t.dim()} dimensions")
                ax %= t.dim()
                dims.append((n, ax, t.shape[ax], t2.shape[ax]))
        self.g = Graph(self.opset, dims)
        self._used = set(in_names) | set(out_names)     # a parameter's name never shadows these
        graph_inputs = []
        for t, n in zip(inputs, in_names):
            if self.lookup(t) is None:
                self.bind(t, n)
            named = {ax % max(t.dim(), 1): d for ax, d in axes.get(n, {}).items()}
            graph_inputs.append(helper.make_tensor_value_info(
                n, helper.np_dtype_to_tensor_dtype(t._data.dtype),
                [named.get(k, s) for k, s in enumerate(t.shape)]))
        for i, step in enumerate(trace.steps):
            step2 = trace2.steps[i] if trace2 is not None else None
            self._translate(step, step2)
        graph_outputs = []
        for k, (t, n) in enumerate(zip(outputs, out_names)):
            src = self.value(t, None if outputs2 is None else outputs2[k])
            self.g.nodes.append(helper.make_node("Identity", [src], [n], name=f"/output_{k}"))
            named = {ax % max(t.dim(), 1): d for ax, d in axes.get(n, {}).items()}
            shape2 = t.shape if outputs2 is None else outputs2[k].shape
            dims_out = [named.get(j, s if s == s2 else f"{n}_dim_{j}") for j, (s, s2) in
                        enumerate(zip(t.shape, shape2))]
            graph_outputs.append(helper.make_tensor_value_info(
                n, helper.np_dtype_to_tensor_dtype(t._data.dtype), dims_out))
        nodes, inits = _used(self.g.nodes, self.g.initializers, out_names)
        graph = helper.make_graph(nodes, "ember", graph_inputs, graph_outputs, inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                 producer_name="ember", ir_version=10)

    def _translate(self, step, step2):
        if step.cls is InplaceWrite:
            t, values = step.args
            self.stale |= step.caller["stale"]
            name = self.value(values, None if step2 is None else step2.args[1])
            self.names[id(t)] = self.names[self._key(t)] = name
            if self._key(values) in self.live:
                self.live.add(self._key(t))
            else:
                self.live.discard(self._key(t))
            return
        args = step.args
        live = any(self._key(a) in self.live for a in args if isinstance(a, (Tensor, np.ndarray)))
        same_shape = step2 is None or all(o._data.shape == o2._data.shape for o, o2 in zip(step.outs, step2.outs))
        if self.fold and not live and same_shape:
            return                       # constant folding: its outputs are written as initializers
        fn = TRANSLATIONS.get(step.cls)
        where = "model" + (f".{step.where}" if step.where else "")
        if fn is None:
            raise Unsupported(f"ember.onnx.export: no ONNX translation for op '{op_name(step.cls)}' "
                              f"({step.cls.__module__}.{step.cls.__name__}) (in {where})")
        try:
            names = fn(self.g, Call(self, step, step2))
        except Unsupported as e:
            if "(in model" in str(e):
                raise
            raise Unsupported(f"{e} (at op '{op_name(step.cls)}' in {where})") from None
        names = [names] if isinstance(names, str) else list(names)
        for o, n in zip(step.outs, names):
            if n is not None:
                self.bind(o, n)
                self.producer[self._key(o)] = (step, step2)

    def producer_of(self, v):
        """(step, step2) of the translated op that computed ``v``, or None."""
        return self.producer.get(self._key(v))


def _used(nodes, initializers, outputs):
    """The nodes and initializers the outputs depend on (a translation may leave some unused: a
    projection folded into a recurrent operator), in their order."""
    needed, keep = set(outputs), []
    for node in reversed(nodes):
        if needed.intersection(node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    return keep[::-1], [t for t in initializers if t.name in needed]
