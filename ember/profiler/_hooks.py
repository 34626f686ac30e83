"""Where the profiler listens, attached only while it records (nothing is checked when it is off):

- every op: ``route_apply`` (``autograd/function.py``) routes this thread's ``Op.apply`` /
  ``Function.apply`` calls through ``_apply``, which times the call under PyTorch's name;
- backward: the engine runs its reference loop (``engine.run_nodes``) with a leaf-gradient policy
  whose ``run``/``accumulate`` time each node (``autograd::engine::evaluate_function: X`` around
  ``X``) and each leaf (``torch::autograd::AccumulateGrad``);
- optimizers: global step pre/post hooks open and close ``Optimizer.step#SGD.step``;
  ``Optimizer.zero_grad`` is swapped for a timed one (``Optimizer.zero_grad#SGD.zero_grad``);
- factories called as ``ember.zeros(...)`` / ``torch.randn(...)`` (``_FACTORIES``): the package's
  names are swapped for timed ones (``aten::zeros``); a name imported earlier (``from torch import
  zeros``) and ember's internal calls are not seen;
- in-place methods: ``Tensor._inplace_apply`` (``x.add_(y)`` -> ``aten::add_``) and the write methods
  (``zero_``, ``fill_``, ``copy_``, ...) are swapped for timed ones.

Example:
    >>> attach(recorder); ...; detach()
"""
import sys
import threading

from .._tensor import Tensor
from ..autograd import engine
from ..autograd.function import route_apply
from ..optim import optimizer as _optimizer
from ._flops import flops
from ._names import op_name
from ._recorder import ACTIVE, DROPPED

_EMBER = sys.modules[__name__.split(".")[0]]     # the package (being imported): its factories are swapped
_FACTORIES = ("zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm", "arange", "linspace",
              "logspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
              "randint_like")
_WRITES = ("zero_", "fill_", "copy_", "uniform_", "normal_", "bernoulli_", "random_", "exponential_")
_EVAL = "autograd::engine::evaluate_function: "
_ACC = "torch::autograd::AccumulateGrad"
_state = {}
_lock = threading.Lock()


def _apply(original, cls, args):
    rec = ACTIVE[0]
    handlers = route_apply._local.handlers
    pos = handlers.index(_apply)
    if rec is None:
        return handlers[pos - 1](original, cls, args) if pos else original(cls, *args)
    name = op_name(cls, args)
    ev = rec.begin(name, args)
    out = None
    try:
        out = handlers[pos - 1](original, cls, args) if pos else original(cls, *args)
        if rec.with_flops:
            ev.flops = flops(name, args, out)
        return out
    finally:
        rec.end(ev, out)


def _profiled_policy(base):
    """``base`` (the engine's leaf-gradient policy) with each node's backward and each leaf timed."""

    class Profiled(base):
        __slots__ = ()

        def run(self, node, grads):
            rec = ACTIVE[0]
            if rec is None:
                return base.run(self, node, grads)
            name = node.name()
            outer = rec.begin(_EVAL + name)
            inner = rec.begin(name)
            result = None
            try:
                result = base.run(self, node, grads)
                return result
            finally:
                rec.end(inner, result)
                rec.end(outer)

        def accumulate(self, var, g):
            rec = ACTIVE[0]
            if rec is None:
                return base.accumulate(self, var, g)
            outer = rec.begin(_EVAL + _ACC)
            inner = rec.begin(_ACC)
            try:
                return base.accumulate(self, var, g)
            finally:
                rec.end(inner)
                rec.end(outer)

    Profiled.__name__ = "Profiled" + base.__name__
    return Profiled


_open_steps = {}


def _step_pre(optimizer, args, kwargs):
    rec = ACTIVE[0]
    if rec is not None:
        name = f"Optimizer.step#{type(optimizer).__name__}.step"
        _open_steps.setdefault(id(optimizer), []).append(rec.begin(name, category="user_annotation"))


def _step_post(optimizer, args, kwargs):
    rec = ACTIVE[0]
    opened = _open_steps.get(id(optimizer))
    if rec is not None and opened:
        rec.end(opened.pop())


def _profiled_zero_grad(original):
    def zero_grad(self, *args, **kwargs):
        rec = ACTIVE[0]
        if rec is None:
            return original(self, *args, **kwargs)
        ev = rec.begin(f"Optimizer.zero_grad#{type(self).__name__}.zero_grad", category="user_annotation")
        try:
            return original(self, *args, **kwargs)
        finally:
            rec.end(ev)
    zero_grad.__doc__, zero_grad.__wrapped__ = original.__doc__, original
    return zero_grad


def _profiled_factory(name, original):
    """``ember.<name>`` recorded as ``aten::<name>`` (factories make tensors without an op)."""
    def factory(*args, **kwargs):
        rec = ACTIVE[0]
        if rec is None:
            return original(*args, **kwargs)
        ev = rec.begin("aten::" + name, args)
        out = None
        try:
            out = original(*args, **kwargs)
            return out
        finally:
            rec.end(ev, out)
    factory.__name__, factory.__doc__, factory.__wrapped__ = name, original.__doc__, original
    return factory


def _profiled_inplace(original):
    """``Tensor._inplace_apply`` (every ``x.add_(...)``-style method) recorded as ``aten::add_``: one
    range, as PyTorch's in-place kernel, with the out-of-place op it computes with folded into it."""
    def inplace_apply(self, fn, *args, **kwargs):
        rec = ACTIVE[0]
        if rec is None:
            return original(self, fn, *args, **kwargs)
        name = "aten::" + getattr(fn, "__name__", "op") + "_"
        ev = rec.begin(name, (self,) + args)
        try:
            return original(self, fn, *args, **kwargs)
        finally:
            rec.end(ev)
            if len(ev.children) == 1 and ev.children[0].name == name[:-1]:
                inner = ev.children[0]
                inner.category = DROPPED
                ev.children, ev.flops = inner.children, inner.flops
    return inplace_apply


def _profiled_write(name, original):
    """A Tensor write method (``zero_``, ``fill_``, ``copy_``, ...) recorded as ``aten::<name>``."""
    def write(self, *args, **kwargs):
        rec = ACTIVE[0]
        if rec is None:
            return original(self, *args, **kwargs)
        ev = rec.begin("aten::" + name, (self,) + args)
        try:
            return original(self, *args, **kwargs)
        finally:
            rec.end(ev)
    write.__name__, write.__doc__, write.__wrapped__ = name, original.__doc__, original
    return write


def attach(recorder):
    """Start delivering ops, backward nodes and optimizer steps to ``recorder`` (this thread's ops)."""
    with _lock:
        if _state:
            raise RuntimeError("a profiler is already recording; stop it before starting another "
                               "(ember records one profiler at a time)")
        _state["route"] = route_apply(_apply).__enter__()
        _state["engine"] = (engine.first_order_loop, engine.leaf_grad_policy)
        engine.first_order_loop = engine.run_nodes
        engine.leaf_grad_policy = _profiled_policy(engine.leaf_grad_policy)
        _state["hooks"] = (_optimizer.register_optimizer_step_pre_hook(_step_pre),
                           _optimizer.register_optimizer_step_post_hook(_step_post))
        _state["zero_grad"] = _optimizer.Optimizer.__dict__["zero_grad"]
        _optimizer.Optimizer.zero_grad = _profiled_zero_grad(_state["zero_grad"])
        _state["factories"] = {n: getattr(_EMBER, n) for n in _FACTORIES if hasattr(_EMBER, n)}
        for n, f in _state["factories"].items():
            setattr(_EMBER, n, _profiled_factory(n, f))
        _state["tensor"] = {n: Tensor.__dict__[n] for n in ("_inplace_apply",) + _WRITES if n in Tensor.__dict__}
        for n, f in _state["tensor"].items():
            setattr(Tensor, n, _profiled_inplace(f) if n == "_inplace_apply" else _profiled_write(n, f))
        _state["thread"] = threading.get_ident()
        ACTIVE[0] = recorder


def detach():
    """Undo ``attach`` (safe to call when nothing is attached)."""
    with _lock:
        if not _state:
            return
        ACTIVE[0] = None
        if threading.get_ident() == _state["thread"]:
            _state["route"].__exit__(None, None, None)
        else:   # stopped from another thread: take the route off the thread that entered it
            route_apply._active -= 1
            if route_apply._active == 0:
                route_apply._uninstall()
        engine.first_order_loop, engine.leaf_grad_policy = _state["engine"]
        for h in _state["hooks"]:
            h.remove()
        _optimizer.Optimizer.zero_grad = _state["zero_grad"]
        for n, f in _state["factories"].items():
            setattr(_EMBER, n, f)
        for n, f in _state["tensor"].items():
            setattr(Tensor, n, f)
        _open_steps.clear()
        _state.clear()


def is_attached():
    return bool(_state)
