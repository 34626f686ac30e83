"""``ember.compile``: record a function's ops on its first call, replay them on later calls.

How it works (see ``docs/ARCHITECTURE.md``, "ember.compile"):

- **guards**: a call is keyed by grad mode, the train/eval flags of the module's submodules, the
  shape, dtype and ``requires_grad`` of every input tensor and the values of the other arguments;
- **record**: the first call with a new key runs eagerly while ``Recorder`` notes every op
  (``recorder.py``) and watches for graph breaks (``breaks.py``);
- **replay**: later calls with that key run the recorded ``Program`` (``graph.py``): the ops'
  forwards on arrays and one ``CompiledFunctionBackward`` node for the whole call;
- a graph break makes the function eager from then on, with one warning naming the line
  (``fullgraph=True``: an ``Unsupported`` error instead); more than ``config.cache_size_limit``
  keys make new keys run eagerly, with one warning.
"""
import functools
import inspect
import warnings
import weakref

from .._tensor import Tensor
from ..autograd.grad_mode import _State
from .breaks import Unsupported
from .graph import flatten, unflatten
from .recorder import Recorder


class config:
    """Settings, as ``torch._dynamo.config``: ``cache_size_limit`` recorded signatures per function."""
    cache_size_limit = 8


_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs")
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_compiled = weakref.WeakSet()          # every compiled callable, for reset()
_recording = [0]
# Bumped by nn.Module whenever a parameter, buffer or submodule is (re)assigned or removed: a
# recorded program reads the tensor objects it saw, so a replaced one must be noticed.
module_structure = [0]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """Compile a function or module: the first call per input signature runs eagerly and is
    recorded; later calls replay the recorded NumPy ops with one graph node for backward.

    As ``torch.compile``: also ``@ember.compile`` and ``@ember.compile(fullgraph=True)``.
    Results equal eager ember's; parameters are read at each call (optimizer steps are seen).

    Example:
        >>> model = ember.compile(ember.nn.Linear(4, 2))
        >>> model(ember.randn(3, 4)).sum().backward()     # records; the next call replays
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    if not callable(model):
        raise TypeError(f"ember.compile expects a function or an nn.Module, got {type(model).__name__}")
    _check_options(dynamic, backend, mode, options)
    if disable:
        return model
    if _is_module(model):
        return OptimizedModule(model, fullgraph)
    return functools.wraps(model)(CompiledFunction(model, fullgraph))


def _check_options(dynamic, backend, mode, options):
    if dynamic:
        raise NotImplementedError("ember.compile(dynamic=True): symbolic shapes are not implemented; a new "
                                  "input shape is recorded again (dynamic=None or False)")
    if not isinstance(backend, str):
        raise NotImplementedError("ember.compile(backend=<callable>): custom backends are not implemented; use "
                                  "backend='inductor' (the default)")
    if backend not in _BACKENDS:
        raise ValueError(f"ember.compile: unknown backend {backend!r}; expected one of {', '.join(_BACKENDS)}")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: "
                           f"{', '.join(m for m in _MODES if m)}")
    if options:
        raise NotImplementedError(f"ember.compile(options=...): inductor options are not implemented "
                                  f"(got {sorted(options)}); pass options=None")


def _is_module(obj):
    return hasattr(obj, "named_parameters") and hasattr(obj, "training") and hasattr(obj, "forward")


def is_compiling():
    """True while ember.compile records a call (``torch.compiler.is_compiling``)."""
    return bool(_recording[0])


def reset():
    """Forget every recorded program (``torch.compiler.reset``); the next calls record again."""
    for c in _compiled:
        c._cache.clear()


class CompiledFunction:
    """A compiled function: a cache of recorded programs keyed by guard signature."""

    def __init__(self, fn, fullgraph, module=None, hooks_inside=False):
        self._fn = fn
        self._hooks_inside = hooks_inside     # fn is module.__call__: the module's own hooks run in it
        self._fullgraph = fullgraph
        self._module = module
        self._owners = [module] if module is not None else _modules_used_by(fn)
        self._modules = self._reachable_modules()
        self._structure, self._state_ids = module_structure[0], self._state_identity()
        self._cache = {}
        self._eager = False
        self._limit_warned = False
        try:
            code = inspect.unwrap(fn).__code__
            self._where = f"{code.co_filename}:{code.co_firstlineno}"
        except AttributeError:
            self._where = repr(fn)
        _compiled.add(self)

    def _reachable_modules(self):
        return list({id(m): m for o in self._owners for m in o.modules()}.values())

    def _state_identity(self):
        return tuple(id(t) for m in self._modules for t in (*m._parameters.values(), *m._buffers.values()))

    def _check_structure(self):
        """After a parameter, buffer or submodule was (re)assigned anywhere: if one of ours is a new
        object, the recorded programs (which read the old ones) are dropped and re-recorded."""
        self._structure = module_structure[0]
        self._modules = self._reachable_modules()
        ids = self._state_identity()
        if ids != self._state_ids:
            self._state_ids = ids
            self._cache.clear()

    def __call__(self, *args, **kwargs):
        if self._eager or _recording[0]:     # inside another compiled call: its recorder sees our ops
            return self._fn(*args, **kwargs)
        if self._structure != module_structure[0]:
            self._check_structure()
        tensors = args
        spec = len(args)                             # the common case: tensors only
        if kwargs:
            spec = None
        else:
            for a in args:
                if not isinstance(a, Tensor):
                    spec = None
                    break
        if spec is None:
            tensors = []
            spec = flatten((args, kwargs), tensors)
        try:
            key = (_State.enabled, tuple([(m.training, _hooked(m)) for m in self._modules]) if self._modules else (),
                   spec, tuple([(t._data.shape, t._data.dtype, t.requires_grad) for t in tensors]))
            program = self._cache.get(key)
        except TypeError:        # an unhashable argument: nothing to guard on
            return self._fn(*args, **kwargs)
        if program is not None and program.matches_state():
            outs = program.run(tensors)
            if program.single_output:
                return outs[0]
            return unflatten(program.out_tree, iter(outs))
        if program is None and len(self._cache) >= config.cache_size_limit:
            if not self._limit_warned:
                self._limit_warned = True
                warnings.warn(f"ember.compile: {self._where} was recorded for {config.cache_size_limit} different "
                              f"input signatures (config.cache_size_limit); further new signatures run eagerly. "
                              f"Last signature: {_describe(tensors)}", UserWarning, stacklevel=2)
            return self._fn(*args, **kwargs)
        return self._record(key, tensors, args, kwargs)

    def _record(self, key, tensors, args, kwargs):
        state = []
        if self._module is not None:
            hooked = [m for m in self._modules if _hooked(m)]
            if hooked and (self._hooks_inside or hooked != [self._module]):
                return self._graph_break(f"module hooks on {type(hooked[0]).__name__} (hooks are not replayed)",
                                         self._where, args, kwargs)
            cumulative = [m for m in self._modules if m.training and getattr(m, "momentum", 0) is None
                          and getattr(m, "num_batches_tracked", None) is not None]
            if cumulative:
                return self._graph_break(f"{type(cumulative[0]).__name__}(momentum=None) in training: its "
                                         "averaging factor 1/num_batches_tracked changes every call",
                                         self._where, args, kwargs)
            seen = set()
            for t in list(self._module.parameters()) + [b for b in self._module.buffers() if b is not None]:
                if id(t) not in seen:
                    seen.add(id(t))
                    state.append(t)
        rec = Recorder(tensors, state, self._fullgraph, self._where)
        _recording[0] += 1
        try:
            with rec:
                result = self._fn(*args, **kwargs)
        finally:
            _recording[0] -= 1
        program = rec.finish(result, tensors)
        if program is None:
            self._graph_break(*rec.broken)
            return result
        self._cache[key] = program
        return result

    def _graph_break(self, reason, line, args=None, kwargs=None):
        if self._fullgraph:
            raise Unsupported(f"graph break at {line}: {reason}. fullgraph=True does not allow graph breaks.")
        self._eager = True
        self._cache.clear()
        warnings.warn(f"ember.compile: graph break in {getattr(self._fn, '__qualname__', self._where)} at {line}: "
                      f"{reason}. This function runs eagerly from now on.", UserWarning, stacklevel=3)
        if args is not None:
            return self._fn(*args, **kwargs)


def _modules_used_by(fn):
    """Modules a function reaches directly (``self`` of a bound method, closure cells, globals it
    names), so their train/eval flags and hooks are part of its guards."""
    fn = inspect.unwrap(fn)
    found = []
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        found.append(owner)
        fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is not None:
        found += [c.cell_contents for c in (fn.__closure__ or ()) if _cell_filled(c)]
        names = getattr(fn, "__globals__", {})
        found += [names[n] for n in code.co_names if n in names]
    return [m for m in found if _is_module(m) and callable(getattr(m, "modules", None))]


def _cell_filled(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _hooked(m):
    return bool(m._forward_pre_hooks or m._forward_hooks or m._backward_hooks or m._backward_pre_hooks)


def _describe(tensors):
    return ", ".join(f"{tuple(t._data.shape)} {t._data.dtype}{' requires_grad' if t.requires_grad else ''}"
                     for t in tensors)


class OptimizedModule:
    """What ``ember.compile(module)`` returns, as PyTorch's ``OptimizedModule``: calls run the
    compiled forward; every other attribute is the original module's (``_orig_mod``)."""

    def __init__(self, module, fullgraph):
        self.__dict__["_orig_mod"] = module
        self.__dict__["_compiled"] = CompiledFunction(module.__call__, fullgraph, module, True)

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.__dict__["_orig_mod"], name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __repr__(self):
        return f"OptimizedModule(\n  (_orig_mod): {self._orig_mod!r}\n)"

    def train(self, mode=True):
        self._orig_mod.train(mode)
        return self

    def eval(self):
        return self.train(False)


def compile_module_in_place(module, *args, **kwargs):
    """``module.compile(...)``: compile its forward in place (``nn.Module.compile``)."""
    forward = type(module).forward.__get__(module)
    _check_options(kwargs.get("dynamic"), kwargs.get("backend", "inductor"), kwargs.get("mode"),
                   kwargs.get("options"))
    if kwargs.get("disable"):
        return None
    unknown = set(kwargs) - {"fullgraph", "dynamic", "backend", "mode", "options", "disable"}
    if args or unknown:
        raise TypeError(f"Module.compile() takes keyword arguments of ember.compile only; got "
                        f"{len(args)} positional and {sorted(unknown)}")
    module.__dict__["forward"] = CompiledFunction(forward, bool(kwargs.get("fullgraph")), module)
    return None
