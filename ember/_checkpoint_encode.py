"""The structure of an ember checkpoint, and writing it: Python objects -> JSON nodes + named arrays.

``ember.serialization`` puts the result in one safetensors file (``_checkpoint_decode`` reads it
back). The nodes:

- plain JSON for None, bool, int, finite float, str, list;
- ``{"$": kind, ...}`` nodes for everything else: ``tensor``/``ndarray``/``npscalar`` (pointing at
  an array entry by name), ``dict``/``odict``/``defaultdict``/``counter``/``tuple``/``set``/
  ``frozenset`` (``items``), ``float`` (nan/inf), ``dtype``, ``bytes``/``bytearray`` (base64),
  ``size``, ``device``, ``slice``, ``range``, ``complex``, ``nprandom``/``npbits`` (the state of a
  NumPy Generator / bit generator),
  ``partial`` (``functools.partial``), ``method`` (a bound method: object + name in its class);
- objects: ``instance`` (class ``module``/``qualname`` + ``attrs`` (``__dict__``), ``slots``,
  ``state`` (a ``__getstate__()`` result), ``args`` (``__getnewargs__``), ``list``/``dict`` items
  of list/dict subclasses), ``global`` (a function or class by name), ``enum`` (a member by name);
- identity: a container or instance that is reached again gets an ``id`` and later occurrences
  are ``{"$": "ref", "id": k}``, so shared and cyclic references load as one object.

An object is stored as pickle's default protocol sees it (``object.__reduce_ex__(obj, 2)``), but
only as data: a class whose pickling names other code (its own ``__reduce__``), or an object with
no attributes to store (a lambda, an open file, a lock, a generator), raises a ``TypeError`` that
is also a ``pickle.PicklingError``, naming the attribute path. Nesting deeper than ``_MAX_DEPTH``
levels is refused on save and on load.
"""
import base64
import copyreg
import enum
import functools
import math
import pickle
import sys
import types
from collections import Counter, OrderedDict, defaultdict

import numpy as np

from ._dtype import dtype as ember_dtype
from ._tensor import Size, Tensor, device
from .nn.parameter import Parameter

# NumPy's bit generators, stored by their state (a dict naming one of these)
_NP_BIT_GENERATORS = {np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64}
_MAX_DEPTH = 200  # nesting levels of the saved object (each level is 1-3 JSON levels)
# safetensors dtype names <-> NumPy dtypes (what NumPy can represent).
_ST_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
              "I32": np.int32, "U32": np.uint32, "I64": np.int64, "U64": np.uint64,
              "F16": np.float16, "F32": np.float32, "F64": np.float64}
_NP_TO_ST = {np.dtype(v): k for k, v in _ST_DTYPES.items()}


# --------------------------------------------------------------------------------------------
# encoding: Python object -> (JSON-able structure, {name: ndarray})
# --------------------------------------------------------------------------------------------
class _Attr(str):
    """A path step that is an attribute (shown as ``.name``), not a key (``['name']``)."""


class _SaveError(TypeError, pickle.PicklingError):
    """``ember.save`` cannot represent an object (catch it as TypeError or pickle.PicklingError)."""


# left out of tensor names, so a whole module's tensors are named like its state_dict ("fc1.weight")
_HIDDEN_IN_NAMES = {"_modules", "_parameters", "_buffers"}
_DICT_KINDS = {dict: "dict", OrderedDict: "odict", defaultdict: "defaultdict", Counter: "counter"}


class _Encoder:
    def __init__(self):
        self.arrays = {}
        self.by_id = {}      # id(tensor or array) -> (name, obj): one tensor saved twice is stored once
        self.memo = {}       # id(container or instance) -> [node, obj]: shared and cyclic references
        self.building = set()  # ids of tuples/frozensets being encoded (a cycle through them is refused)
        self.list_ids = {}   # id(JSON list) -> object id, for lists referenced more than once
        self.next_id = 0
        self.objects = False  # a node kind beyond format 1.0 was written

    def _name(self, path):
        base = ".".join(str(p) for p in path if not (isinstance(p, _Attr) and p in _HIDDEN_IN_NAMES)) or "tensor"
        name, i = base, 1
        while name in self.arrays:
            name = f"{base}#{i}"
            i += 1
        return name

    def _array(self, obj, kind, path, extra=None):
        key = id(obj)
        if key in self.by_id:
            name = self.by_id[key][0]
        else:
            arr = obj._data if isinstance(obj, Tensor) else obj
            if arr.dtype not in _NP_TO_ST:
                raise TypeError(f"ember.save: {_where(path)} has dtype {arr.dtype}, which cannot be stored; "
                                f"supported: {', '.join(str(np.dtype(d)) for d in _ST_DTYPES.values())}")
            name = self._name(path)
            # safetensors stores little-endian, C-contiguous data
            # (np.ascontiguousarray would turn 0-d arrays into shape (1,))
            self.arrays[name] = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
            self.by_id[key] = (name, obj)  # holding obj keeps its id from being reused
        node = {"$": kind, "name": name}
        if extra:
            node.update(extra)
        return node

    def _ref(self, key):
        node = self.memo[key][0]
        if isinstance(node, list):
            k = self.list_ids.setdefault(id(node), self.next_id)
        else:
            k = node.setdefault("id", self.next_id)
        if k == self.next_id:
            self.next_id += 1
        self.objects = True
        return {"$": "ref", "id": k}

    def encode(self, obj, path=(), depth=0):
        if depth > _MAX_DEPTH:
            raise ValueError(f"ember.save: {_where(path)} is nested more than {_MAX_DEPTH} levels deep; "
                             "ember refuses structures that deep (flatten it, or save a state_dict())")
        if isinstance(obj, enum.Enum):
            return self._named(obj, path, {"$": "enum", "name": obj.name}, type(obj))
        if isinstance(obj, (np.str_, np.bytes_)):
            obj = obj.item()
        elif isinstance(obj, np.generic):  # NumPy scalar (np.float64 is also a float): keep its dtype
            return self._array(np.asarray(obj), "npscalar", path)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is not bool:
            return obj if type(obj) is int else int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"$": "float", "value": repr(float(obj))}
        if isinstance(obj, Tensor):
            extra = {"requires_grad": True} if obj.requires_grad else {}
            if _is_parameter(obj):
                extra["parameter"] = True
            return self._array(obj, "tensor", path, extra)
        if isinstance(obj, np.ndarray):
            return self._array(obj, "ndarray", path)
        if isinstance(obj, ember_dtype):
            return {"$": "dtype", "name": obj.name}
        if isinstance(obj, bytes):
            return {"$": "bytes", "b64": base64.b64encode(bytes(obj)).decode("ascii")}
        t = type(obj)
        d = depth + 1
        if t in _SIMPLE_KINDS:
            self.objects = True
            return _SIMPLE_KINDS[t](self, obj, path, d)
        key = id(obj)
        if key in self.memo:
            return self._ref(key)
        if key in self.building:
            raise _SaveError(f"ember.save: {_where(path)} refers back to an object that contains it; ember "
                             "cannot save a cycle through a tuple, a frozenset or constructor arguments (use a list)")
        if t in _DICT_KINDS:
            return self._dict(obj, path, d)
        if t is list:
            out = []
            self.memo[key] = [out, obj]
            out.extend(self.encode(v, path + (i,), d) for i, v in enumerate(obj))
            return out
        if t is set:
            self.objects = True
            node = {"$": "set", "items": []}
            self.memo[key] = [node, obj]
            node["items"].extend(self.encode(v, path + (i,), d) for i, v in enumerate(obj))
            return node
        if t is tuple or t is frozenset:
            self.building.add(key)
            try:
                items = [self.encode(v, path + (i,), d) for i, v in enumerate(obj)]
            finally:
                self.building.discard(key)
            if t is frozenset:
                self.objects = True
            return {"$": "tuple" if t is tuple else "frozenset", "items": items}
        if isinstance(obj, types.BuiltinFunctionType) and not isinstance(obj.__self__, (types.ModuleType, type(None))):
            raise self._cannot(obj, path, f"{obj!r} is a bound method of a builtin object, which has no "
                                          "attributes to store")
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            return self._named(obj, path, {"$": "global"}, obj, subject=repr(obj))
        if t is types.MethodType:
            return self._method(obj, path, d)
        if t is functools.partial and not obj.__dict__:
            self.objects = True
            return {"$": "partial", "func": self.encode(obj.func, path + (_Attr("func"),), d),
                    "args": [self.encode(a, path + (_Attr(f"args[{i}]"),), d) for i, a in enumerate(obj.args)],
                    "kwargs": {k: self.encode(v, path + (_Attr(k),), d) for k, v in obj.keywords.items()}}
        if t is np.random.Generator or t in _NP_BIT_GENERATORS:  # NumPy's pickling names code; state is data
            self.objects = True
            bits = obj.bit_generator if t is np.random.Generator else obj
            return {"$": "nprandom" if t is np.random.Generator else "npbits",
                    "state": self.encode(bits.state, path + (_Attr("state"),), d)}
        return self._instance(obj, path, d)

    def _dict(self, obj, path, d):
        items = []
        node = {"$": _DICT_KINDS[type(obj)], "items": items}
        self.memo[id(obj)] = [node, obj]
        if type(obj) is defaultdict:
            self.objects = True
            node["factory"] = self.encode(obj.default_factory, path + (_Attr("default_factory"),), d)
        elif type(obj) is Counter:
            self.objects = True
        for k, v in obj.items():
            try:
                key = self.encode(k, path + ("key",), d)
            except TypeError as e:
                raise type(e)(f"ember.save: {_where(path)} has a key of type {type(k).__name__} ({str(k)[:60]}) "
                              f"that cannot be saved ({e})") from None
            step = k if k is None or type(k) in (str, int, float, bool) else f"#{len(items)}"
            items.append([key, self.encode(v, path + (step,), d)])
        return node

    def _named(self, obj, path, node, named, subject=None):
        """A node naming a class or function by ``module.qualname`` (checked to lead back to it)."""
        module, qualname = getattr(named, "__module__", None), getattr(named, "__qualname__", None)
        found = None
        if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
            found = sys.modules.get(module)
            for part in qualname.split("."):
                found = getattr(found, part, None)
        if found is not named:
            subject = subject or f"its class {module}.{qualname}"
            kind = "is a lambda or is defined inside a function" if "<" in str(qualname) \
                else f"cannot be found as {module}.{qualname}"
            raise _SaveError(f"ember.save: cannot save {_where(path)}: {subject} {kind}, and ember stores "
                             "classes and functions by name only. Define it at the top level of a module, "
                             "remove the attribute, or save obj.state_dict() instead of the whole object")
        self.objects = True
        node.update({"module": module, "qualname": qualname})
        return node

    def _method(self, obj, path, d):
        """A bound method: its object (or class) and the function's name, found in the class's dict."""
        owner, name = obj.__self__, obj.__func__.__name__
        if _class_function(owner, name)[0] is not obj.__func__:
            raise _SaveError(f"ember.save: cannot save {_where(path)}: the bound method {obj!r} is not found "
                             f"as {name!r} in its class. Remove the attribute, or save obj.state_dict() instead")
        self.objects = True
        return {"$": "method", "self": self.encode(owner, path + (_Attr("__self__"),), d), "name": name}

    def _instance(self, obj, path, d):
        cls = type(obj)
        if cls.__reduce_ex__ is not object.__reduce_ex__ or cls.__reduce__ is not object.__reduce__:
            raise self._cannot(obj, path, "its class defines its own pickling (__reduce__), which names code "
                                          "to run at load time; ember stores attributes only")
        try:
            rv = object.__reduce_ex__(obj, 2)  # what pickle would store: (new, args, state, items...)
        except Exception as e:
            raise self._cannot(obj, path, f"it has no attributes to store ({e})") from None
        func, newargs, state, listitems, dictitems = (tuple(rv) + (None,) * 5)[:5]
        args, kwargs = (newargs[1], newargs[2]) if func is copyreg.__newobj_ex__ else (newargs[1:], {})
        node = self._named(obj, path, {"$": "instance"}, cls)
        key = id(obj)
        if args or kwargs:  # __getnewargs__: arguments for cls.__new__ (no cycle can go through them)
            self.building.add(key)
            try:
                if args:
                    node["args"] = [self.encode(a, path + (_Attr(f"__getnewargs__()[{i}]"),), d)
                                    for i, a in enumerate(args)]
                if kwargs:
                    node["kwargs"] = {k: self.encode(v, path + (_Attr(k),), d) for k, v in kwargs.items()}
            finally:
                self.building.discard(key)
        self.memo[key] = [node, obj]
        slots = None
        if isinstance(state, tuple) and len(state) == 2 and getattr(cls, "__getstate__", None) is object.__getstate__:
            state, slots = state  # the default state of a class with __slots__: (__dict__ or None, slots)
        if type(state) is dict and all(type(k) is str for k in state):
            node["attrs"] = {k: self.encode(v, path + (_Attr(k),), d) for k, v in state.items()}
        elif state is not None:
            node["state"] = self.encode(state, path + (_Attr("__getstate__()"),), d)
        if slots:
            node["slots"] = {k: self.encode(v, path + (_Attr(k),), d) for k, v in slots.items()}
        if listitems is not None:
            node["list"] = [self.encode(v, path + (i,), d) for i, v in enumerate(listitems)]
        if dictitems is not None:
            node["dict"] = [[self.encode(k, path + ("key",), d), self.encode(v, path + (f"#{i}",), d)]
                            for i, (k, v) in enumerate(dictitems)]
        return node

    def _cannot(self, obj, path, why):
        cls = type(obj)
        return _SaveError(f"ember.save: cannot save {_where(path)} of type {cls.__module__}.{cls.__qualname__}: "
                          f"{why}. Remove or replace that attribute, or save obj.state_dict() (modules, "
                          "optimizers) instead of the whole object")

    def finish(self, structure):
        """Wrap each list referenced more than once as {"$": "list", "id": k, "items": [...]}."""
        ids = self.list_ids
        if not ids:
            return structure
        stack = [structure]
        if isinstance(structure, list) and id(structure) in ids:
            structure = {"$": "list", "id": ids[id(structure)], "items": structure}
        while stack:
            x = stack.pop()
            for k, v in (x.items() if isinstance(x, dict) else enumerate(x)):
                if isinstance(v, list):
                    if id(v) in ids:
                        x[k] = {"$": "list", "id": ids[id(v)], "items": v}
                    stack.append(v)
                elif isinstance(v, dict):
                    stack.append(v)
        return structure


def _class_function(owner, name):
    """(function, object to bind) for ``name`` in the class dicts of ``owner`` (a method or classmethod).

    Only class ``__dict__``s are read, so no descriptor or ``__getattr__`` runs.
    """
    cls = owner if isinstance(owner, type) else type(owner)
    raw = next((vars(c)[name] for c in cls.__mro__ if name in vars(c)), None) if isinstance(name, str) else None
    if isinstance(raw, classmethod):
        return raw.__func__, cls
    if isinstance(raw, types.FunctionType) and not isinstance(owner, type):
        return raw, owner
    return None, None


def _enc_items(kind):
    return lambda enc, obj, path, d: {"$": kind, "items": [enc.encode(v, path + (i,), d)
                                                           for i, v in enumerate(obj)]}


# types stored as small data nodes (no identity kept)
_SIMPLE_KINDS = {
    Size: _enc_items("size"),
    slice: lambda enc, obj, path, d: {"$": "slice", "items": [enc.encode(v, path, d)
                                                              for v in (obj.start, obj.stop, obj.step)]},
    range: lambda enc, obj, path, d: {"$": "range", "items": [obj.start, obj.stop, obj.step]},
    complex: lambda enc, obj, path, d: {"$": "complex", "items": [enc.encode(obj.real, path, d),
                                                                  enc.encode(obj.imag, path, d)]},
    bytearray: lambda enc, obj, path, d: {"$": "bytearray", "b64": base64.b64encode(bytes(obj)).decode("ascii")},
    device: lambda enc, obj, path, d: {"$": "device", "type": obj.type, "index": obj.index},
}


def _where(path):
    if not path:
        return "the object"
    steps = [f".{p}" if isinstance(p, _Attr) else f"[{p!r}]" for p in path]
    if len(steps) > 16:
        steps = steps[:4] + ["..."] + steps[-10:]
    return "obj" + "".join(steps)


def _is_parameter(t):
    return isinstance(t, Parameter)
