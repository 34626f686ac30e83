"""Graph breaks: what makes a recorded function unsafe to replay, and where it happened.

While ``ember.compile`` records a call, ``patched(recorder)`` swaps in checking versions of the
few places through which a function can depend on values (``item``, ``bool``, ``numpy``, ...),
draw random numbers, write in place or install hooks; each reports a *graph break* to the
recorder with the user's line. Outside recording nothing is patched: eager code pays nothing.
"""
import os
import sys

from .. import _inplace, _tensor
from ..ops import index as _index
from .._random import Generator
from .._tensor import Tensor

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Unsupported(RuntimeError):
    """A graph break under ``fullgraph=True`` (PyTorch's ``torch._dynamo.exc.Unsupported``)."""


def user_line():
    """``file:line`` of the innermost frame outside ember's own package (the user's code)."""
    f = sys._getframe(1)
    while f is not None:
        name = os.path.abspath(f.f_code.co_filename)
        if not name.startswith(_EMBER_DIR + os.sep):
            return f"{f.f_code.co_filename}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


# name -> (what it means, does it only matter for tensors the recorder knows)
_VALUE_READS = {
    "item": "Tensor.item() reads a traced value into Python (data-dependent control flow)",
    "tolist": "Tensor.tolist() reads traced values into Python",
    "numpy": "Tensor.numpy() hands a traced buffer to NumPy",
    "__bool__": "bool() of a traced tensor (data-dependent control flow, e.g. `if x.sum() > 0:`)",
    "__float__": "float() of a traced tensor (data-dependent value)",
    "__int__": "int() of a traced tensor (data-dependent value)",
}
_HOOKS = {
    "register_hook": "Tensor.register_hook on a traced tensor (hooks are not replayed)",
    "retain_grad": "Tensor.retain_grad on a traced tensor (the replayed graph keeps no intermediates)",
}


def _value_read(name, original, reason):
    def method(self, *args, **kwargs):
        rec = _Active.recorder
        if rec is not None and not rec.depth:
            rec.graph_break(reason, user_line())
        return original(self, *args, **kwargs)
    method.__name__ = name
    return method


def _hook(name, original, reason):
    def method(self, *args, **kwargs):
        rec = _Active.recorder
        if rec is not None and (rec.knows(self) or rec.made_here(self)):
            rec.graph_break(reason, user_line())
        return original(self, *args, **kwargs)
    method.__name__ = name
    return method


def _tracking_wrap(original):
    def wrap(data, requires_grad=False):
        t = original(data, requires_grad)
        rec = _Active.recorder
        if rec is not None:
            rec.created(t)
        return t
    return wrap


def _tracking_init(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        rec = _Active.recorder
        if rec is not None:
            rec.created(self)
    return __init__


def _random(original):
    def draw(self, n):
        rec = _Active.recorder
        if rec is not None:
            rec.graph_break("a random op (the generator's state is not replayed); e.g. Dropout in "
                            "training mode, randn, rand_like", user_line())
        return original(self, n)
    return draw


def _write(original):
    def write(self, values):
        rec = _Active.recorder
        if rec is not None:
            what = "an input" if rec.is_input(self) else "a tensor"
            rec.graph_break(f"an in-place write into {what} (in-place ops are not replayed)", user_line())
        return original(self, values)
    return write


def _tensor_index(original):
    def index_key(key, shape=None):
        rec = _Active.recorder
        if rec is not None and not rec.depth and any(isinstance(k, Tensor) for k in
                                                     (key if isinstance(key, tuple) else (key,))):
            rec.graph_break("indexing with a tensor (x[idx], x[mask], masked_select, index_put): the index's "
                            "values would be frozen into the replay", user_line())
        return original(key, shape)
    return index_key


class _Active:
    recorder = None


class patched:
    """Context manager: while recording, report graph breaks to ``recorder``."""

    def __init__(self, recorder):
        self.recorder = recorder
        self.saved = []

    def _swap(self, owner, name, new):
        self.saved.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, new)

    def __enter__(self):
        _Active.recorder = self.recorder
        for name, reason in _VALUE_READS.items():
            self._swap(Tensor, name, _value_read(name, getattr(Tensor, name), reason))
        for name, reason in _HOOKS.items():
            self._swap(Tensor, name, _hook(name, getattr(Tensor, name), reason))
        self._swap(Tensor, "__init__", _tracking_init(Tensor.__init__))
        # every ember module's reference to _wrap: tensors made outside the ops are noticed
        wrap = _tensor._wrap
        tracking = _tracking_wrap(wrap)
        for name, mod in list(sys.modules.items()):
            if (name == "ember" or name.startswith("ember.")) and getattr(mod, "_wrap", None) is wrap:
                self.saved.append((mod, "_wrap", wrap))
                mod._wrap = tracking
        self._swap(Generator, "_u32", _random(Generator._u32))
        self.saved.append((_index, "_index_key", _index._index_key))
        _index._index_key = _tensor_index(_index._index_key)
        self.saved.append((_inplace, "_write", _inplace._write))
        _inplace._write = _write(_inplace._write)
        return self

    def __exit__(self, *exc):
        _Active.recorder = None
        for owner, name, old in reversed(self.saved):
            if isinstance(owner, type):
                if old is None:
                    delattr(owner, name)
                else:
                    setattr(owner, name, old)
            else:
                setattr(owner, name, old)
        self.saved.clear()
        return False
