"""Tracing one eager forward into a list of ember ops, for the ONNX exporter.

While a ``Trace`` is active, ``Op.apply`` (and ``Function.apply``) are swapped for a version
that runs the op exactly as before and notes it: the op's class, its arguments (tensors by
identity, everything else as the constant it was) and its outputs, plus the dotted path of the
module whose forward called it (``layer3.0.conv1``). Only the outermost op is noted (an op run
inside another op's forward is part of it; a custom ``autograd.Function`` is inlined: its ops are
noted). A few things make tensors without an ``Op`` and are noted too, as pseudo-ops with their
own classes here: comparisons and logic (``x > 0``, ``~m``), ``argmax``/``argmin``, ``arange``
and in-place writes (``x.relu_()``); ``x[i]`` is sent through its op. Everything is undone on
exit, so eager code never pays for it. ``ember.compile``'s recorder (``ember/compiler/
recorder.py``) uses the same technique for another purpose and is independent of this one.
"""
import sys
import threading

import numpy as np

from .. import _creation, _inplace, ops
from .._tensor import Tensor
from ..autograd.function import Op, route_apply
from ..ops import comparison, reduce


class Step:
    """One op call: ``cls`` applied to ``args`` gave ``outs`` inside module ``where``."""
    __slots__ = ("cls", "args", "outs", "where", "caller")

    def __init__(self, cls, args, outs, where, caller=None):
        self.cls, self.args, self.outs, self.where = cls, args, outs, where
        self.caller = caller or {}

    def __repr__(self):
        return f"Step({self.cls.__name__} in {self.where or '<model>'})"


class Trace:
    """Context manager recording every op applied on this thread during ``with``."""

    def __init__(self, model=None):
        self.steps = []
        self.keep = []             # every tensor seen, alive while tracing (ids stay unique)
        self.depth = 0
        self.thread = threading.get_ident()
        self.stack = []
        self.model = model
        self._hooks = []

    def _apply(self, original, cls, args):
        if self.depth or threading.get_ident() != self.thread:
            return original(cls, *args)
        if not issubclass(cls, Op):           # a custom autograd.Function: inlined, its ops are traced
            return original(cls, *args)
        self.depth += 1
        try:
            out = original(cls, *args)
        finally:
            self.depth -= 1
        outs = out if type(out) is tuple else (out,)
        self.keep.extend(a for a in args if isinstance(a, Tensor))
        self.keep.extend(outs)
        caller = _caller_values() if cls.__name__ in _READS_CALLER else None
        self.steps.append(Step(cls, tuple(args), tuple(outs), self.stack[-1] if self.stack else "", caller))
        return out

    def _module_hooks(self):
        if self.model is None or not hasattr(self.model, "named_modules"):
            return
        for name, m in self.model.named_modules():
            def pre(mod, inputs, _name=name):
                self.stack.append(_name)

            def post(mod, inputs, output):
                self.stack.pop()
            self._hooks.append(m.register_forward_pre_hook(pre))
            self._hooks.append(m.register_forward_hook(post))

    def _record_function(self, cls, original, normalize=None):
        def traced(*args, **kwargs):
            self.depth += 1
            try:
                out = original(*args, **kwargs)
            finally:
                self.depth -= 1
            if not self.depth and threading.get_ident() == self.thread and isinstance(out, Tensor) and \
                    any(isinstance(a, Tensor) for a in args):
                if normalize is not None:
                    args = normalize(*args, **kwargs)
                self.keep.extend(a for a in args if isinstance(a, Tensor))
                self.keep.append(out)
                self.steps.append(Step(cls, tuple(args), (out,), self.stack[-1] if self.stack else ""))
            return out
        traced.__name__ = getattr(original, "__name__", cls.__name__)
        return traced

    def _patch(self, owner, name, replacement):
        self._patched.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)

    def _patch_functions(self):
        """Comparisons, logic and argmax/argmin make tensors without an Op (no gradient): trace them
        too, wherever they are reached from (``ember.gt``, ``x.gt``, ``x > y``, ``~m``), and send
        ``x[i]`` through its op (its fast path skips the op for tensors that need no gradient)."""
        top = sys.modules.get("ember")
        for name, cls in LOGIC.items():
            fn = getattr(comparison, name)
            for owner in (comparison, ops, top):
                if owner is not None and owner.__dict__.get(name) is fn:
                    self._patch(owner, name, self._record_function(cls, fn))
            if Tensor.__dict__.get(name) is not None:
                self._patch(Tensor, name, self._record_function(cls, Tensor.__dict__[name]))
        for name, cls in ARG_EXTREMES.items():
            fn = getattr(reduce, name)
            for owner in (reduce, ops, top, Tensor):
                if owner is not None and owner.__dict__.get(name) is fn:
                    self._patch(owner, name, self._record_function(cls, fn, _arg_extreme_args))
        for dunder, name in _DUNDERS.items():
            if dunder in Tensor.__dict__:
                self._patch(Tensor, dunder, self._record_function(LOGIC[name], Tensor.__dict__[dunder]))
        original = Tensor.__dict__["__getitem__"]

        def getitem(t, key):
            return original(t, (key,) if type(key) is int else key)
        self._patch(Tensor, "__getitem__", getitem)
        self._patch(_inplace, "_write", self._record_write(_inplace._write))
        arange = _creation.arange
        for owner in (_creation, top):
            if owner is not None and owner.__dict__.get("arange") is arange:
                self._patch(owner, "arange", self._record_arange(arange))

    def _record_arange(self, original):
        """``ember.arange(n)`` with ``n`` read from a shape (``x.shape[1]``): noted as an ``Arange``
        step so the exporter can compute it at run time when ``n`` follows a dynamic axis."""
        def arange(*args, **kwargs):
            out = original(*args, **kwargs)
            if not self.depth and threading.get_ident() == self.thread:
                start, end, step = _arange_bounds(*args, **kwargs)
                self.keep.append(out)
                self.steps.append(Step(Arange, (start, end, step), (out,), self.stack[-1] if self.stack else ""))
            return out
        return arange

    def _record_write(self, original):
        """An in-place write (``x.relu_()``, ``x += y``, ``nn.ReLU(inplace=True)``) makes ``x`` the
        written values: noted as an ``InplaceWrite`` step, with the traced arrays that share ``x``'s
        memory (views of it, or its base), whose values change unseen: using them later is refused."""
        def write(t, values):
            old = t._data
            original(t, values)
            if not self.depth and threading.get_ident() == self.thread:
                stale = {id(k._data) for k in self.keep if k._data is not old and np.may_share_memory(k._data, old)}
                self.keep.extend((t, _Held(values)))
                self.steps.append(Step(InplaceWrite, (t, values), (t,), self.stack[-1] if self.stack else "",
                                       {"stale": stale}))
        return write

    def __enter__(self):
        self._route = route_apply(self._apply).__enter__()
        self._patched = []
        try:
            self._module_hooks()
            self._patch_functions()
        except BaseException:
            self.__exit__(None, None, None)          # nothing stays patched
            raise
        return self

    def __exit__(self, *exc):
        self._route.__exit__(*exc)
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        for h in self._hooks:
            h.remove()
        self._hooks = []
        return False


# Ops whose arguments are arrays computed from the input (a mask instead of the threshold; the
# index array instead of the index tensor): the numbers and tensors are read from the function
# that applied them (``hardshrink(input, lambd)``, ``embedding(input, weight)``, a pool's ``ceil_mode``).
_READS_CALLER = {"Threshold", "Hardshrink", "Softshrink", "Embedding", "MaxPool2d", "AvgPool2d"}


def _caller_values():
    f = sys._getframe(3)          # _caller_values <- Trace._apply <- route_apply's routed <- the op's function
    return {k: v for k, v in f.f_locals.items()
            if isinstance(v, (bool, int, float, Tensor))}


class Logic:
    """A traced comparison or logical function (not an ``Op``: it has no gradient); ``onnx``
    names the ONNX operator that computes it."""
    onnx = None


def _logic(name, onnx_op):
    return type("".join(w.title() for w in name.split("_")), (Logic,), {"onnx": onnx_op, "__module__": __name__})


LOGIC = {name: _logic(name, op) for name, op in [
    ("eq", "Equal"), ("ne", "NotEqual"), ("lt", "Less"), ("le", "LessOrEqual"), ("gt", "Greater"),
    ("ge", "GreaterOrEqual"), ("logical_and", "And"), ("logical_or", "Or"), ("logical_xor", "Xor"),
    ("logical_not", "Not"), ("bitwise_and", "BitwiseAnd"), ("bitwise_or", "BitwiseOr"),
    ("bitwise_xor", "BitwiseXor"), ("bitwise_not", "BitwiseNot"), ("isnan", "IsNaN"), ("isinf", "IsInf")]}
for _alias, _name in [("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"), ("greater", "gt"),
                      ("greater_equal", "ge")]:
    LOGIC[_alias] = LOGIC[_name]
_DUNDERS = {"__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
            "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor", "__invert__": "bitwise_not"}


class InplaceWrite:
    """A traced in-place write: ``args = (tensor, values)``; the tensor holds ``values`` after it."""


class _Held:
    """Keeps an array alive (its id stays unique) while tracing."""
    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = data


class Arange:
    """A traced ``ember.arange``: ``args = (start, end, step)``."""


def _arange_bounds(start, end=None, step=1, **kwargs):
    start, end = (0, start) if end is None else (start, end)
    return tuple(v.item() if isinstance(v, Tensor) else v for v in (start, end, step))


class ArgExtreme:
    """A traced ``argmax``/``argmin``: ``args = (input, dim, keepdim)``; ``onnx`` is the operator."""
    onnx = None


ARG_EXTREMES = {"argmax": type("Argmax", (ArgExtreme,), {"onnx": "ArgMax", "__module__": __name__}),
                "argmin": type("Argmin", (ArgExtreme,), {"onnx": "ArgMin", "__module__": __name__})}


def _arg_extreme_args(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return input, (axis if dim is None else dim), bool(keepdim if keepdims is None else keepdims)
