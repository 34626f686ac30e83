"""Which classes and functions a checkpoint may name: the allowlist behind ``ember.load``.

``ember.save`` stores an object that is not plain data (a module, an optimizer, an instance of a
user's class, an enum member, a function such as ``F.relu``) as the *name* of its class or
function (``module.qualname``) plus its attributes as data. ``ember.load`` turns such a name back
into a class or function only through :func:`resolve`, which never imports a module and never
calls anything:

- a name on the allowlist (:func:`add_safe_globals`, :class:`safe_globals`) gives the object that
  was put there (nothing is looked up by path);
- with ``weights_only=True`` (the default, as in PyTorch 2.6+) nothing else is allowed except
  the few data types PyTorch's ``weights_only`` loader also accepts (``set``, ``complex``,
  ``bytearray``, ``OrderedDict``, ``Counter``, ``Size``, ``device``; tensors, parameters, dtypes);
- with ``weights_only=False`` ember's own classes are allowed too (not those of the modules that
  run programs or write files: ``cli``, ``compat``, ``serialization``), and ember's math functions
  (``ember.ops``, ``nn.functional``, ``nn.init``, factories, ``default_collate``), looked up in
  modules that are *already imported* (through the modules' and classes' ``__dict__``, never
  ``getattr``), plus builtin data types (``frozenset``, ``slice``, ``range``, ``defaultdict``...)
  NumPy random generators (rebuilt from their state), ``functools.partial`` of allowed functions
  and bound methods (an allowed object + a function found by name in its class's ``__dict__``).

Anything else raises ``pickle.UnpicklingError`` (PyTorch's exception for a refused global) naming
the class and how to allow it. Allow only classes from sources you trust.

Example:
    >>> ember.serialization.add_safe_globals([MyNet])
    >>> with ember.serialization.safe_globals([MyNet]):
    ...     net = ember.load("net.ckpt", weights_only=False)
"""
import collections
import functools
import pickle
import sys
import types

import numpy as np

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

_entries = []    # what the user passed, in order (get_safe_globals returns these)
_by_name = {}    # "module.qualname" -> object

# What torch.load(weights_only=True) accepts without an allowlist (tensors, Parameters and dtypes
# have node kinds of their own and are always accepted).
_WEIGHTS_ONLY_DEFAULT = {"builtins.set": set, "builtins.complex": complex, "builtins.bytearray": bytearray,
                         "collections.OrderedDict": collections.OrderedDict,
                         "collections.Counter": collections.Counter}
# Harmless builtin data types, also allowed with weights_only=False (they are referenced, not called).
BUILTIN_DATA = {f"builtins.{t.__name__}": t for t in (dict, list, tuple, set, frozenset, int, float, complex,
                                                      str, bytes, bytearray, bool, slice, range, object)}
BUILTIN_DATA.update({"numpy.random._generator.Generator": np.random.Generator,
                      "numpy.random.bit_generator.BitGenerator": np.random.BitGenerator,
                      "functools.partial": functools.partial, "types.MethodType": types.MethodType,
                      "collections.OrderedDict": collections.OrderedDict,
                      "collections.Counter": collections.Counter,
                      "collections.defaultdict": collections.defaultdict})


# ember functions a file may name without the allowlist: math and layers (a model may keep F.relu,
# a DataLoader its default_collate). Other ember functions (ember.save, ...) must be allowlisted.
_EMBER_FUNCTION_MODULES = ("ember.ops", "ember.nn.functional", "ember.nn.init", "ember._creation",
                           "ember.utils.data.collate")
# ember modules whose classes are never rebuilt without the allowlist (they run programs, read files).
_EMBER_CLOSED_MODULES = ("ember.cli", "ember.__main__", "ember.compat", "ember.serialization", "ember._safe_globals",
                         "ember._checkpoint_encode", "ember._checkpoint_decode")


def _under(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def name_of(obj):
    """``module.qualname`` of a class or function (the name a checkpoint stores)."""
    return f"{obj.__module__}.{obj.__qualname__}"


def _normalize(safe_globals, caller):
    if not isinstance(safe_globals, (list, tuple, set, frozenset)):
        raise TypeError(f"{caller}: expected a list of classes or functions (or (object, 'module.name') "
                        f"tuples), got {type(safe_globals).__name__}; e.g. {caller}([MyNet])")
    out = []
    for g in safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2 or not isinstance(g[1], str):
                raise TypeError(f"{caller}: a tuple entry must be (object, 'module.name'), got {g!r}")
            obj, name = g
        else:
            obj, name = g, None
        if not (isinstance(obj, type) or callable(obj)) or not hasattr(obj, "__qualname__"):
            raise TypeError(f"{caller}: entries must be classes or functions, got {obj!r} "
                            f"({type(obj).__name__}); pass the class itself, e.g. {caller}([MyNet])")
        out.append((g, name or name_of(obj), obj))
    return out


def add_safe_globals(safe_globals):
    """Allow ``ember.load`` to rebuild instances of these classes (or return these functions).

    Entries are classes/functions, or ``(obj, "module.name")`` tuples to allow ``obj`` under a
    different stored name. Only allow classes from sources you trust.

    Example:
        >>> ember.serialization.add_safe_globals([MyNet])
        >>> net = ember.load("net.ckpt", weights_only=False)
    """
    for entry, name, obj in _normalize(safe_globals, "add_safe_globals"):
        if name not in _by_name or _by_name[name] is not obj:
            _entries.append(entry)
        _by_name[name] = obj


def get_safe_globals():
    """The user-allowed classes and functions, as passed to :func:`add_safe_globals`.

    Example:
        >>> ember.serialization.get_safe_globals()
        [<class '__main__.MyNet'>]
    """
    return list(_entries)


def clear_safe_globals():
    """Forget every class and function allowed with :func:`add_safe_globals`.

    Example:
        >>> ember.serialization.clear_safe_globals()
    """
    _entries.clear()
    _by_name.clear()


class safe_globals:
    """Context manager: allow these classes/functions inside the ``with`` block only.

    Example:
        >>> with ember.serialization.safe_globals([MyNet]):
        ...     net = ember.load("net.ckpt", weights_only=False)
    """

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals
        _normalize(safe_globals, "safe_globals")

    def __enter__(self):
        self._saved = (list(_entries), dict(_by_name))
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        entries, by_name = self._saved
        _entries[:] = entries
        _by_name.clear()
        _by_name.update(by_name)
        return False


def is_ember_module(module):
    return module == "ember" or (isinstance(module, str) and module.startswith("ember."))


def _lookup_ember(module, qualname):
    """An ember class or function by name, from an already-imported module; None if not found.

    Only dictionaries are read (no ``getattr``, so no module ``__getattr__`` or descriptor runs),
    nothing is imported, and the object must be *defined* there (not an import such as ``os``).
    """
    mod = sys.modules.get(module)
    parts = qualname.split(".")
    if mod is None or not all(p.isidentifier() for p in parts):
        return None
    obj = vars(mod).get(parts[0])
    for part in parts[1:]:
        if not isinstance(obj, type):
            return None
        obj = vars(obj).get(part)
    if not isinstance(obj, (type, types.FunctionType)):
        return None
    if getattr(obj, "__module__", None) != module or obj.__qualname__ != qualname:
        return None
    return obj


def allowed_by_default(path):
    """Whether ``weights_only=True`` accepts the class or function named ``path`` (no lookup)."""
    return path in _by_name or path in _WEIGHTS_ONLY_DEFAULT


def resolve(module, qualname, weights_only, where="the file"):
    """The class or function a checkpoint names, if allowed; else ``pickle.UnpicklingError``."""
    if not (isinstance(module, str) and isinstance(qualname, str)):
        raise pickle.UnpicklingError(f"ember.load: a class name in {where} is not a pair of strings "
                                     f"({module!r}, {qualname!r})")
    path = f"{module}.{qualname}"
    if path in _by_name:
        return _by_name[path]
    if weights_only:
        if path in _WEIGHTS_ONLY_DEFAULT:
            return _WEIGHTS_ONLY_DEFAULT[path]
        raise weights_only_error(path, is_ember_module(module) or path in BUILTIN_DATA)
    if path in BUILTIN_DATA:
        return BUILTIN_DATA[path]
    if is_ember_module(module) and not _under(module, _EMBER_CLOSED_MODULES):
        obj = _lookup_ember(module, qualname)
        if isinstance(obj, type) or (obj is not None and _under(module, _EMBER_FUNCTION_MODULES)):
            return obj
        if obj is None:
            why = ("its module is not imported (ember never imports a module named in a file; import it "
                   "before loading)" if module not in sys.modules else "no such class or function is defined there")
            raise pickle.UnpicklingError(f"ember.load: {where} names {path}, which cannot be used: {why}")
    raise pickle.UnpicklingError(
        f"ember.load: {where} names {path}, which is not an allowed global. ember never imports or runs "
        f"code named in a file; it rebuilds only ember's own classes (and refers to ember's math functions) "
        f"and the ones you allow. If you trust "
        f"the source of this file, allow it with `ember.serialization.add_safe_globals([{_shown(path)}])` or "
        f"the `ember.serialization.safe_globals([{_shown(path)}])` context manager, then load again.")


def _shown(path):
    """How a user refers to the class in code: a class of the running script by its bare name."""
    return path[len("__main__."):] if path.startswith("__main__.") else path


def weights_only_error(path, allowed_when_false):
    allow = (f"`ember.serialization.add_safe_globals([{_shown(path)}])` or the `ember.serialization.safe_globals"
             f"([{_shown(path)}])` context manager")
    if allowed_when_false:
        options = ("(1) ember.load defaults to weights_only=True, as PyTorch 2.6+ does. Re-running ember.load "
                   "with weights_only=False will likely succeed (ember still runs no code named in the file: "
                   "it rebuilds only ember's own classes, builtin data types and the ones you allow).\n"
                   f"\t(2) Alternatively, to load with weights_only=True, allowlist this class with {allow}.")
    else:
        options = (f"Allowlist it with {allow} (needed with weights_only=True or False: ember never imports "
                   "a class a file names unless you allow it).")
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded; do this only if you trust the source "
        f"of the checkpoint.\n\t{options}\n\tWeightsUnpickler error: Unsupported global: GLOBAL {path} was "
        "not an allowed global by default.")

