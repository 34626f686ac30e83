"""Reading a checkpoint's structure back: JSON nodes plus named arrays -> Python objects.

The node kinds are described in ``ember._checkpoint_encode``. Nothing a file names is imported or
called: every class or function comes from ``_safe_globals.resolve`` (the allowlist, and ember's
own classes when ``weights_only=False``), and an object of an allowed class is rebuilt as
pickle's default protocol would: ``cls.__new__(cls, *args)``, then list/dict items, then
``__setstate__(state)`` if the class defines it, else its ``__dict__`` and slots are filled.
``__init__`` never runs. Malformed structures raise ``RuntimeError`` naming the file; nesting
deeper than ``_MAX_DEPTH`` levels is refused.

Memory is bounded by the structure's size: ``parse_structure`` refuses a structure whose JSON lists
and objects would cost more than ``_BUDGET_PER_BYTE`` bytes of Python objects per byte of text
(a crafted ``[[],[],...]`` is refused before it is parsed), and the decoder rebuilds plain lists
in place and drops each JSON item once it is decoded, so the parsed tree and the rebuilt objects
are not both held whole. Range arguments to constructors draw on the same budget.
"""
import base64
import enum
import functools
import json
import types
from collections import Counter, OrderedDict, defaultdict

import numpy as np

from . import _safe_globals
from ._checkpoint_encode import _MAX_DEPTH, _NP_BIT_GENERATORS, _class_function
from ._dtype import _from_name
from ._tensor import Size, _wrap, device
from .nn.parameter import Parameter

_MAX_RANGE_ARG = 1 << 20  # longest range given to a constructor (tuple.__new__ would materialize it)
# Python objects a JSON container costs once parsed (CPython 3.11: a small list 88 bytes, a dict of
# up to 5 keys 184, plus the pointer to it); the budget per byte of structure text; a fixed
# allowance so small structures are never refused.
_LIST_COST, _DICT_COST = 96, 192
_BUDGET_PER_BYTE = 8
_BUDGET_FREE = 1 << 18


def _budget(text):
    return _BUDGET_FREE + _BUDGET_PER_BYTE * len(text)


def parse_structure(text, bad):
    """The JSON of a checkpoint's structure, refused (``bad(msg)``, a RuntimeError) if its lists and
    objects would need more memory than a small multiple of its size, or if it is not valid JSON.

    Example:
        >>> parse_structure('{"$": "dict", "items": []}', RuntimeError)
        {'$': 'dict', 'items': []}
    """
    lists, dicts = text.count("["), text.count("{")  # upper bounds (brackets inside strings count too)
    cost = _LIST_COST * lists + _DICT_COST * dicts
    if cost > _budget(text):
        raise bad(f"the structure has about {lists + dicts:,} lists and objects in {len(text):,} bytes, "
                  f"about {cost:,} bytes of Python objects (limit {_budget(text):,}: {_BUDGET_PER_BYTE} per byte); "
                  "a crafted structure like this would need far more memory than the file's size (save large "
                  "collections of small lists or tuples as a tensor or an array instead)")
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError) as e:
        raise bad(f"the structure metadata is not valid JSON ({type(e).__name__})") from None


def _drain(items):
    """Each item of a JSON list, dropping the list's reference to it once taken (so the parsed tree
    is freed while the objects are rebuilt)."""
    for i, v in enumerate(items):
        items[i] = None
        yield v


class _Decoder:
    def __init__(self, arrays, where, weights_only=True):
        self.arrays = arrays
        self.where = where
        self.weights_only = weights_only
        self.tensors = {}  # name -> Tensor, so shared tensors stay shared
        self.memo = {}     # object id -> object, for {"$": "ref"} nodes
        self.range_left = _BUDGET_FREE // 36  # numbers all range constructor arguments may hold together

    def parse(self, text):
        """The structure's JSON (``parse_structure``); sets the range budget from its size."""
        self.range_left = _budget(text) // 36  # a number of a materialised range: a pointer and an int
        return parse_structure(text, self._bad)

    def _bad(self, msg):
        return RuntimeError(f"ember.load: {self.where} is not a valid ember checkpoint: {msg}")

    def _array(self, node):
        name = node.get("name")
        if not isinstance(name, str) or name not in self.arrays:
            raise self._bad(f"the structure refers to tensor {name!r}, which is not in the file")
        return self.arrays[name]

    def _items(self, node, pairs=False):
        items = node.get("items")
        if not isinstance(items, list) or (pairs and not all(isinstance(p, list) and len(p) == 2 for p in items)):
            raise self._bad(f"a {node['$']} node has no valid 'items' list"
                            + (" of [key, value] pairs" if pairs else ""))
        return items

    def _remember(self, node, obj):
        k = node.get("id")
        if k is not None:
            if type(k) is not int or k in self.memo:
                raise self._bad(f"invalid or repeated object id {k!r}")
            self.memo[k] = obj
        return obj

    def _allow(self, module, qualname):
        return _safe_globals.resolve(module, qualname, self.weights_only, self.where)

    def decode(self, node, depth=0):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if depth > _MAX_DEPTH:
            raise self._bad(f"the structure is nested too deeply (more than {_MAX_DEPTH} levels)")
        d = depth + 1
        if isinstance(node, list):  # rebuilt in place: the parsed list is not copied
            for i, v in enumerate(node):
                node[i] = self.decode(v, d)
            return node
        if not isinstance(node, dict) or "$" not in node:
            raise self._bad(f"unexpected JSON value {str(node)[:80]}")
        kind = node["$"]
        method = _DECODERS.get(kind) if isinstance(kind, str) else None
        if method is None:
            raise self._bad(f"unknown node type {kind!r} (only data types are allowed; nothing is imported or called)")
        return method(self, node, d)

    def _dec_dict(self, node, d):
        kind = node["$"]
        items = self._items(node, pairs=True)
        if kind == "defaultdict":
            self._allow("collections", "defaultdict")
            factory = self.decode(node.get("factory"), d)
            if factory is not None and not callable(factory):
                raise self._bad("a defaultdict's factory is not callable")
            out = defaultdict(factory)
        elif kind == "counter":
            self._allow("collections", "Counter")
            out = Counter()
        else:
            out = OrderedDict() if kind == "odict" else {}
        self._remember(node, out)
        for k, v in _drain(items):
            k = self.decode(k, d)
            try:
                hash(k)
            except TypeError:
                raise self._bad(f"a dict key decodes to an unhashable {type(k).__name__}") from None
            out[k] = self.decode(v, d)
        return out

    def _dec_list(self, node, d):
        out = self._remember(node, [])
        out.extend(self.decode(v, d) for v in _drain(self._items(node)))
        return out

    def _dec_set(self, node, d):
        out = self._remember(node, set())
        for v in _drain(self._items(node)):
            v = self.decode(v, d)
            try:
                out.add(v)
            except TypeError:
                raise self._bad(f"a set element decodes to an unhashable {type(v).__name__}") from None
        return out

    def _dec_frozen(self, node, d):
        if node["$"] == "frozenset":
            self._allow("builtins", "frozenset")  # (the check only: the builtin itself is used)
        items = [self.decode(v, d) for v in _drain(self._items(node))]
        try:
            return tuple(items) if node["$"] == "tuple" else frozenset(items)
        except TypeError:
            raise self._bad("a frozenset element is unhashable") from None

    def _dec_ref(self, node, d):
        k = node.get("id")
        if type(k) is not int or k not in self.memo:
            raise self._bad(f"a reference to object {k!r}, which is not defined before it")
        return self.memo[k]

    def _dec_tensor(self, node, d):
        name = node.get("name")
        if name in self.tensors:
            return self.tensors[name]
        t = self._tensor(self._array(node), node)
        self.tensors[name] = t
        return t

    def _dec_scalar(self, node, d):
        kind = node["$"]
        if kind == "ndarray":
            return self._array(node)
        if kind == "npscalar":
            arr = self._array(node)
            if arr.ndim != 0:
                raise self._bad(f"a NumPy scalar has shape {arr.shape}")
            return arr[()]
        if kind == "float":
            value = node.get("value")
            if value not in ("nan", "inf", "-inf"):
                raise self._bad(f"bad special float {value!r}")
            return float(value)
        if kind == "dtype":
            try:
                return _from_name(node.get("name"))
            except (KeyError, TypeError):
                raise self._bad(f"unknown dtype {node.get('name')!r}") from None
        try:
            raw = base64.b64decode(node.get("b64", ""), validate=True)
        except (ValueError, TypeError):
            raise self._bad(f"a {kind} node is not valid base64") from None
        if kind == "bytes":
            return raw
        self._allow("builtins", "bytearray")
        return bytearray(raw)

    def _dec_small(self, node, d):
        """Size, slice, range, complex, device: checked plain values into a builtin constructor."""
        kind = node["$"]
        if kind == "device":
            type_, index = node.get("type"), node.get("index")
            if not isinstance(type_, str) or not (index is None or type(index) is int):
                raise self._bad("a device node needs a string 'type' and an integer or null 'index'")
            return device(type_, index)
        items = [self.decode(v, d) for v in self._items(node)]
        if kind == "size" and all(type(v) is int for v in items):
            return Size(items)
        if kind == "slice" and len(items) == 3:
            self._allow("builtins", "slice")
            return slice(*items)
        if kind == "range" and len(items) == 3 and all(type(v) is int for v in items) and items[2] != 0:
            self._allow("builtins", "range")
            return range(*items)
        if kind == "complex" and len(items) == 2 and all(type(v) in (int, float) for v in items):
            self._allow("builtins", "complex")
            return complex(*items)
        raise self._bad(f"invalid {kind} node {str(node)[:80]}")

    def _dec_nprandom(self, node, d):
        """A NumPy Generator or bit generator: one of NumPy's bit generators (by name) and its state."""
        generator = node["$"] == "nprandom"
        if generator:
            self._allow("numpy.random._generator", "Generator")
        else:
            self._allow("numpy.random.bit_generator", "BitGenerator")
        state = self.decode(node.get("state"), d)
        name = state.get("bit_generator") if isinstance(state, dict) else None
        cls = {c.__name__: c for c in _NP_BIT_GENERATORS}.get(name)
        if cls is None:
            raise self._bad(f"unknown NumPy bit generator {name!r}")
        bits = cls()
        try:
            bits.state = state
        except (TypeError, ValueError, KeyError) as e:
            raise self._bad(f"invalid NumPy {name} state ({e})") from None
        return np.random.Generator(bits) if generator else bits

    def _dec_method(self, node, d):
        self._allow("types", "MethodType")
        owner = self.decode(node.get("self"), d)
        func, bound = _class_function(owner, node.get("name"))
        if func is None:
            raise self._bad(f"no method {node.get('name')!r} in the class of a saved bound method")
        return types.MethodType(func, bound)

    def _dec_partial(self, node, d):
        self._allow("functools", "partial")
        func = self.decode(node.get("func"), d)
        args, kwargs = node.get("args"), node.get("kwargs")
        if not callable(func) or not isinstance(args, list) or not isinstance(kwargs, dict):
            raise self._bad("a functools.partial node needs a callable 'func', an 'args' list and a 'kwargs' object")
        return functools.partial(func, *[self.decode(a, d) for a in args],
                                 **{k: self.decode(v, d) for k, v in kwargs.items()})

    def _dec_global(self, node, d):
        return self._allow(node.get("module"), node.get("qualname"))

    def _dec_enum(self, node, d):
        cls = self._allow(node.get("module"), node.get("qualname"))
        member = cls.__members__.get(node.get("name")) if isinstance(cls, type) and issubclass(cls, enum.Enum) else None
        if member is None:
            raise self._bad(f"no enum member {node.get('name')!r} in {node.get('module')}.{node.get('qualname')}")
        return member

    def _dec_instance(self, node, d):
        cls = self._allow(node.get("module"), node.get("qualname"))
        name = f"{node.get('module')}.{node.get('qualname')}"
        if not isinstance(cls, type):
            raise self._bad(f"{name} is not a class")
        if cls.__module__ == "builtins" or cls in _safe_globals.BUILTIN_DATA.values():
            raise self._bad(f"an instance of {name}: builtin types have node kinds of their own")
        args, kwargs = node.get("args", []), node.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise self._bad(f"an instance of {name} has invalid constructor arguments")
        args = [self.decode(a, d) for a in args]
        kwargs = {k: self.decode(v, d) for k, v in kwargs.items()}
        numbers = sum(len(a) for a in (*args, *kwargs.values()) if isinstance(a, range))
        limit = min(_MAX_RANGE_ARG, self.range_left)
        if numbers > limit:
            raise self._bad(f"an instance of {name} gets a range of more than {limit} numbers as a constructor "
                            f"argument ({numbers}; the limit depends on the structure's size; refused: it could "
                            "make ember allocate far more memory than the file's size)")
        self.range_left -= numbers
        try:
            obj = cls.__new__(cls, *args, **kwargs)  # the allowed class's allocator; __init__ is not run
        except Exception as e:
            raise self._bad(f"cannot create an instance of {name} ({type(e).__name__}: {e})") from None
        self._remember(node, obj)
        parts = {}
        for field in ("attrs", "state", "slots"):
            if field in node:
                value = node[field]
                if field != "state" and not isinstance(value, dict):
                    raise self._bad(f"the {field} of an instance of {name} is not a JSON object")
                parts[field] = ({k: self.decode(v, d) for k, v in value.items()} if field != "state"
                                else self.decode(value, d))
        items = node.get("list", [])
        if not isinstance(items, list):
            raise self._bad(f"the list items of an instance of {name} are not a list")
        items = [self.decode(v, d) for v in items]
        pairs = [(self.decode(k, d), self.decode(v, d)) for k, v in self._pairs(node.get("dict", []), name)]
        state = parts.get("attrs", parts.get("state"))
        if "slots" in parts:
            state = (state, parts["slots"])
        try:
            if items:
                obj.extend(items)
            for k, v in pairs:
                obj[k] = v
            if state is not None:
                _set_state(obj, state)
        except Exception as e:
            raise self._bad(f"cannot restore an instance of {name} ({type(e).__name__}: {e})") from None
        return obj

    def _pairs(self, pairs, name):
        if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise self._bad(f"the dict items of an instance of {name} are not [key, value] pairs")
        return pairs

    @staticmethod
    def _tensor(arr, node):
        t = _wrap(arr)
        if node.get("parameter"):
            return Parameter(t, requires_grad=bool(node.get("requires_grad", False)))
        if node.get("requires_grad") and arr.dtype.kind == "f":
            t.requires_grad = True
        return t


def _set_state(obj, state):
    """pickle's BUILD step: ``__setstate__`` if the class defines one, else fill __dict__ and slots."""
    setstate = getattr(type(obj), "__setstate__", None)
    if setstate is not None:
        setstate(obj, state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        obj.__dict__.update(state)
    for k, v in (slots or {}).items():
        if not isinstance(k, str) or (k.startswith("__") and k.endswith("__")):
            raise ValueError(f"invalid slot name {k!r}")
        setattr(obj, k, v)


_DECODERS = {
    "dict": _Decoder._dec_dict, "odict": _Decoder._dec_dict, "defaultdict": _Decoder._dec_dict,
    "counter": _Decoder._dec_dict, "list": _Decoder._dec_list, "set": _Decoder._dec_set,
    "tuple": _Decoder._dec_frozen, "frozenset": _Decoder._dec_frozen, "ref": _Decoder._dec_ref,
    "tensor": _Decoder._dec_tensor, "ndarray": _Decoder._dec_scalar, "npscalar": _Decoder._dec_scalar,
    "float": _Decoder._dec_scalar, "dtype": _Decoder._dec_scalar, "bytes": _Decoder._dec_scalar,
    "bytearray": _Decoder._dec_scalar, "size": _Decoder._dec_small, "slice": _Decoder._dec_small,
    "range": _Decoder._dec_small, "complex": _Decoder._dec_small, "device": _Decoder._dec_small,
    "nprandom": _Decoder._dec_nprandom, "npbits": _Decoder._dec_nprandom, "global": _Decoder._dec_global,
    "enum": _Decoder._dec_enum, "instance": _Decoder._dec_instance, "method": _Decoder._dec_method,
    "partial": _Decoder._dec_partial,
}
