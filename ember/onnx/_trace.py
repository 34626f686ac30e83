"""Tracing one eager forward into a list of ember ops, for the ONNX exporter.

While a ``Trace`` is active, ``Op.apply`` (and ``Function.apply``) are swapped for a version
that runs the op exactly as before and notes it: the op's class, its arguments (tensors by
identity, everything else as the constant it was) and its outputs, plus the dotted path of the
module whose forward called it (``layer3.0.conv1``). Only the outermost op is noted (an op run
inside another op's forward is part of it). The swap is undone on exit, so eager code never pays
for it; ``ember.compile``'s recorder (``ember/compiler/recorder.py``) uses the same technique
for a different purpose and is independent of this one.
"""
import sys
import threading

from .._tensor import Tensor
from ..autograd.function import Function, Op


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

    def __enter__(self):
        self._saved = {c: c.__dict__.get("apply") for c in (Function, Op)}
        tracer = self
        for c, own in self._saved.items():
            original = (own if own is not None else Function.__dict__["apply"]).__func__

            def tracing(cls, *args, _original=original):
                return tracer._apply(_original, cls, args)
            c.apply = classmethod(tracing)
        self._module_hooks()
        return self

    def __exit__(self, *exc):
        for c, own in self._saved.items():
            if own is None:
                del c.apply
            else:
                c.apply = own
        for h in self._hooks:
            h.remove()
        self._hooks = []
        return False


# Ops whose arguments are arrays computed from the input (a mask instead of the threshold; the
# index array instead of the index tensor): the numbers and tensors are read from the function
# that applied them (``hardshrink(input, lambd)``, ``embedding(input, weight)``).
_READS_CALLER = {"Threshold", "Hardshrink", "Softshrink", "Embedding"}


def _caller_values():
    f = sys._getframe(3)          # _caller_numbers <- Trace._apply <- tracing apply <- the op's function
    return {k: v for k, v in f.f_locals.items()
            if isinstance(v, (int, float, Tensor)) and not isinstance(v, bool)}
