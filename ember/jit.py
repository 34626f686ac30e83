"""``ember.jit`` (``torch.jit``): the TorchScript API as pass-throughs, since ember runs eagerly.

ember has no TorchScript compiler. Code written for PyTorch that scripts or traces a model still
runs: ``script(obj)`` returns ``obj`` unchanged, ``trace(func, example_inputs)`` runs ``func``
once on the example inputs (so an error surfaces where tracing would raise it) and returns
``func``; the decorators (``ignore``, ``unused``, ``export``, ``script_method``) return what they
decorate; ``is_scripting()`` and ``is_tracing()`` are False; ``Final`` and ``Attribute`` work as
annotations. What needs a TorchScript program -- ``save``, ``load``, ``freeze``,
``optimize_for_inference`` -- raises ``NotImplementedError`` pointing to ``ember.save`` (a
checkpoint) and ``ember.onnx.export`` (a deployable graph).

Example:
    >>> model = ember.jit.script(ember.nn.Linear(2, 3))     # the same module, run eagerly
    >>> traced = ember.jit.trace(model, ember.randn(4, 2))  # runs it once on the example
"""
from typing import Final  # noqa: F401  (torch.jit.Final is typing.Final)

from .nn.modules.module import Module

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "script_method", "is_scripting",
           "is_tracing", "annotate", "Attribute", "Final", "save", "load", "freeze", "optimize_for_inference",
           "fork", "wait", "interface", "ScriptModule", "ScriptFunction", "TracerWarning"]

_NO_TORCHSCRIPT = ("ember runs eagerly and has no TorchScript, so torch.jit.{name} has nothing to {what}. "
                   "Save the weights with ember.save(model.state_dict(), path) (or torch.save under ember run), "
                   "or export a deployable graph with ember.onnx.export(model, example_input, path)")


class TracerWarning(Warning):
    """PyTorch's warning class for tracing hazards (never emitted: ember does not trace)."""


class ScriptModule(Module):
    """``torch.jit.ScriptModule``: an ordinary ``nn.Module`` here (old code subclasses it and marks
    methods with ``@script_method``); ``script`` and ``trace`` never make one."""


class ScriptFunction:
    """Placeholder of ``torch.jit.ScriptFunction`` for ``isinstance`` checks: ember makes none."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a module, function or class) unchanged: ember runs it eagerly.

    Example:
        >>> f = ember.jit.script(lambda x: x * 2)
        >>> f(ember.ones(2))
        tensor([2., 2.])
    """
    return obj


def _as_args(example_inputs):
    if example_inputs is None:
        return ()
    return example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """Run ``func`` once on the example inputs (to surface errors as tracing would) and return it.

    Example:
        >>> layer = ember.nn.Linear(2, 1)
        >>> ember.jit.trace(layer, ember.randn(3, 2)) is layer
        True
    """
    if not callable(func):
        raise TypeError(f"torch.jit.trace expects a function or a Module to trace, but got {type(func).__name__}")
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("torch.jit.trace: example_inputs and example_kwarg_inputs cannot both be None; "
                           "pass the inputs to run the function on, e.g. trace(model, torch.randn(1, 3))")
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise RuntimeError(f"torch.jit.trace: example_kwarg_inputs should be a dict, but got "
                               f"{type(example_kwarg_inputs).__name__}")
        func(**example_kwarg_inputs)
    else:
        func(*_as_args(example_inputs))
    return func


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
                 strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
                 example_inputs_is_kwarg=False, _store_inputs=True):
    """Run each named method of ``mod`` once on its inputs (``{"forward": example, ...}``); return ``mod``."""
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs, e.g. {'forward': example}")
    for name, example in inputs.items():
        method = getattr(mod, name)
        if example_inputs_is_kwarg:
            method(**example)
        else:
            method(*_as_args(example))
    return mod


def ignore(drop=False, **kwargs):
    """Decorator (``@ignore`` or ``@ignore(drop=True)``): returns the function unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Decorator: returns ``fn`` unchanged (the compiler would skip it; ember compiles nothing)."""
    return fn


def export(fn):
    """Decorator: returns ``fn`` unchanged (marks a method to compile; ember compiles nothing)."""
    return fn


def script_method(fn):
    """Decorator: returns ``fn`` unchanged."""
    return fn


def interface(obj):
    """Decorator: returns the class unchanged."""
    return obj


def is_scripting():
    """False: ember code never runs as TorchScript."""
    return False


def is_tracing():
    """False: ember never traces with torch.jit."""
    return False


def annotate(the_type, the_value):
    """Return ``the_value`` (a type hint for the TorchScript compiler)."""
    return the_value


class Attribute:
    """``Attribute(value, type)``: a typed module attribute; ember uses the value as it is."""
    __slots__ = ()

    def __new__(cls, value, type=None):
        return value


class _Future:
    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def fork(func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` now and return a future whose ``wait()`` gives the result."""
    return _Future(func(*args, **kwargs))


def wait(future):
    """The result of a ``fork``."""
    return future.wait()


def save(m, f, _extra_files=None):
    """Not available: ember has no TorchScript (use ``ember.save`` or ``ember.onnx.export``)."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="save", what="serialize"))


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Not available: ember cannot read TorchScript archives (use ``ember.load`` on an ``ember.save`` file)."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="load", what="load") +
                              "; read such files back with ember.load / torch.load")


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """Not available: ember has no TorchScript module to freeze (call ``model.eval()``)."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="freeze", what="freeze") +
                              "; for inference call model.eval() under torch.no_grad()")


def optimize_for_inference(mod, other_methods=None):
    """Not available: ember has no TorchScript module to optimize (call ``model.eval()``)."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format(name="optimize_for_inference", what="optimize") +
                              "; for inference call model.eval() under torch.no_grad()")
