"""Read files written by ``torch.save`` without unpickling: a restricted pickle reader.

A ``torch.save`` file is either a zip archive (``<name>/data.pkl`` plus one record
``<name>/data/<key>`` of raw little-endian bytes per storage) or, from old PyTorch versions or
``_use_new_zipfile_serialization=False``, the legacy stream (a magic-number pickle, a protocol
pickle, a system-info pickle, the object pickle, a pickle of the storage keys, then each
storage as an 8-byte element count and its bytes).

The object's pickle is never given to ``pickle.load``. ``_Reader`` walks its opcodes
(``pickletools.genops`` only decodes them) with a stack and a memo, and understands only the
globals a PyTorch state dict uses, the set PyTorch's ``weights_only=True`` loader accepts:
tensor and parameter rebuilds, typed storages, ``OrderedDict``, ``torch.Size``, ``torch.device``,
dtypes, ``set``/``frozenset``/``complex``/``bytearray`` and ``_codecs.encode`` (how protocol 2
writes ``bytes``). Any other global raises ``pickle.UnpicklingError`` naming it, before anything
is built; nothing is imported and no function named in the file is called.

Sizes are checked against the file: a storage must have exactly the bytes its declared element
count needs, a tensor must lie inside its storage, and decompression may not produce more than
a small multiple of the file's size. Loaded tensors are views of their storage (one writable copy
of the file's bytes), so tensors that share a storage in PyTorch share memory in ember too.

Example:
    >>> sd = ember.load("resnet18.pt")                      # written by torch.save
    >>> model.load_state_dict(sd)
"""
import io
import os
import pickle
import pickletools
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from ._dtype import _from_name
from ._tensor import Size, _wrap, device
from .nn.parameter import Parameter

__all__ = ["is_torch_file", "load_torch"]

ZIP_MAGIC = b"PK\x03\x04"
# the legacy format starts with a protocol-2 pickle of this LONG1 magic number
LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_LEGACY_PROTOCOL = 1001

# storage class name -> (NumPy dtype of the raw bytes, ember dtype name)
STORAGES = {"FloatStorage": ("<f4", "float32"), "DoubleStorage": ("<f8", "float64"),
            "HalfStorage": ("<f2", "float16"), "BFloat16Storage": ("<u2", "float32"),
            "LongStorage": ("<i8", "int64"), "IntStorage": ("<i4", "int32"),
            "ShortStorage": ("<i2", "int16"), "CharStorage": ("<i1", "int8"),
            "ByteStorage": ("<u1", "uint8"), "BoolStorage": ("|b1", "bool")}
# torch dtype name -> ember dtype name (bfloat16 loads as float32: exact, NumPy has no bfloat16)
DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
          "float16": "float16", "half": "float16", "bfloat16": "float32", "int64": "int64", "long": "int64",
          "int32": "int32", "int": "int32", "int16": "int16", "short": "int16", "int8": "int8",
          "uint8": "uint8", "bool": "bool"}
_MAX_EXPANSION = 4          # decompressed bytes may be at most this multiple of the file's size


class _Global:
    """A global the file names and the reader allows (never imported: a name and a handler)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __repr__(self):
        return f"{self.module}.{self.name}"


class _Storage:
    __slots__ = ("array", "key", "bfloat16")

    def __init__(self, array, key, bfloat16):
        self.array, self.key, self.bfloat16 = array, key, bfloat16


def _refuse(what, where):
    return pickle.UnpicklingError(
        f"ember.load: {where} names {what}, which a PyTorch weights-only checkpoint never needs; ember "
        "refuses it and runs nothing (only tensors, storages, OrderedDict, torch.Size, torch.device, dtypes "
        "and plain containers and numbers are read). If you trust the file, load it with torch.load("
        "weights_only=False) and re-save its state_dict()")


def _corrupt(msg, where):
    return RuntimeError(f"ember.load: {where} is not a valid torch.save file: {msg}")


class _Reader:
    """Runs the opcodes of one pickle against a stack, building only allowed objects."""

    def __init__(self, where, load_storage, handlers=None):
        self.where = where
        self.load_storage = load_storage      # persistent id tuple -> _Storage
        self.handlers = _HANDLERS if handlers is None else handlers

    # ---- globals ---------------------------------------------------------------------------
    def find_global(self, module, name):
        module = {"__builtin__": "builtins"}.get(module, module)
        full = f"{module}.{name}"
        if module == "torch" and name in DTYPES:
            return _from_name(DTYPES[name])
        if full in self.handlers or (module == "torch" and name in STORAGES):
            return _Global(module, name)
        if module == "torch" and name.endswith("Storage"):
            raise pickle.UnpicklingError(f"ember.load: {self.where} holds a tensor stored as torch.{name}, a "
                                         f"dtype ember does not have (it has {', '.join(sorted(set(DTYPES.values())))})")
        raise _refuse(f"the global {full!r}", self.where)

    def call(self, func, args):
        if not isinstance(func, _Global):
            raise _corrupt(f"a call of {type(func).__name__} (only named globals can be called)", self.where)
        if not isinstance(args, tuple):
            raise _corrupt("call arguments are not a tuple", self.where)
        full = repr(func)
        handler = self.handlers.get(full)
        if handler is None:              # a storage class or a type used as a function
            raise _refuse(f"a call of {full!r}", self.where)
        try:
            return handler(self, *args)
        except TypeError as e:
            raise _corrupt(f"{full} was called with {len(args)} unexpected arguments ({e})", self.where) from None

    # ---- the interpreter -------------------------------------------------------------------
    def run(self, stream):
        """Read one pickle from ``stream`` (a BytesIO) up to its STOP; return the object."""
        stack, marks, memo = [], [], {}

        def pop_mark():
            if not marks:
                raise _corrupt("MARK expected", self.where)
            i = marks.pop()
            items = stack[i:]
            del stack[i:]
            return items

        def pop():
            if not stack:
                raise _corrupt("the pickle stack is empty", self.where)
            return stack.pop()

        try:
            ops = pickletools.genops(stream)
            for op, arg, pos in ops:
                code = op.name
                if code in ("PROTO", "FRAME"):
                    continue
                if code == "STOP":
                    if len(stack) != 1 or marks:
                        raise _corrupt("the pickle ends with a malformed stack", self.where)
                    return stack[0]
                if code == "MARK":
                    marks.append(len(stack))
                elif code in _CONSTANTS:
                    stack.append(_CONSTANTS[code])
                elif code in ("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "BINFLOAT", "BINUNICODE",
                              "SHORT_BINUNICODE", "BINUNICODE8", "SHORT_BINBYTES", "BINBYTES", "BINBYTES8",
                              "SHORT_BINSTRING", "BINSTRING", "INT", "LONG", "FLOAT", "UNICODE"):
                    if code == "INT" and isinstance(arg, bool):
                        stack.append(arg)
                    elif code in ("SHORT_BINSTRING", "BINSTRING"):
                        stack.append(arg.encode("latin1") if isinstance(arg, str) else arg)
                    else:
                        stack.append(arg)
                elif code == "EMPTY_DICT":
                    stack.append({})
                elif code == "EMPTY_LIST":
                    stack.append([])
                elif code == "EMPTY_TUPLE":
                    stack.append(())
                elif code == "EMPTY_SET":
                    stack.append(set())
                elif code == "TUPLE":
                    stack.append(tuple(pop_mark()))
                elif code in ("TUPLE1", "TUPLE2", "TUPLE3"):
                    n = int(code[-1])
                    if len(stack) < n:
                        raise _corrupt("the pickle stack is too short", self.where)
                    items = tuple(stack[-n:])
                    del stack[-n:]
                    stack.append(items)
                elif code == "LIST":
                    stack.append(pop_mark())
                elif code == "DICT":
                    items = pop_mark()
                    stack.append(dict(zip(items[::2], items[1::2])))
                elif code == "FROZENSET":
                    stack.append(frozenset(pop_mark()))
                elif code in ("BINPUT", "LONG_BINPUT", "PUT"):
                    if not stack:
                        raise _corrupt("memo store from an empty stack", self.where)
                    memo[arg] = stack[-1]
                elif code == "MEMOIZE":
                    if not stack:
                        raise _corrupt("memo store from an empty stack", self.where)
                    memo[len(memo)] = stack[-1]
                elif code in ("BINGET", "LONG_BINGET", "GET"):
                    if arg not in memo:
                        raise _corrupt(f"memo entry {arg} is read before it is written", self.where)
                    stack.append(memo[arg])
                elif code == "POP":
                    pop()
                elif code == "POP_MARK":
                    pop_mark()
                elif code == "DUP":
                    stack.append(stack[-1] if stack else pop())
                elif code == "GLOBAL":
                    module, _, name = arg.partition(" ")
                    stack.append(self.find_global(module, name))
                elif code == "STACK_GLOBAL":
                    name, module = pop(), pop()
                    if not (isinstance(module, str) and isinstance(name, str)):
                        raise _corrupt("STACK_GLOBAL needs two strings", self.where)
                    stack.append(self.find_global(module, name))
                elif code == "REDUCE":
                    args = pop()
                    stack.append(self.call(pop(), args))
                elif code == "NEWOBJ":
                    args = pop()
                    stack.append(self.call(pop(), args))
                elif code == "BUILD":
                    state = pop()
                    if not stack:
                        raise _corrupt("BUILD on an empty stack", self.where)
                    self.build(stack[-1], state)
                elif code in ("SETITEM", "SETITEMS"):
                    items = [pop(), pop()][::-1] if code == "SETITEM" else pop_mark()
                    target = stack[-1] if stack else None
                    if not isinstance(target, dict) or len(items) % 2:
                        raise _corrupt(f"{code} on a {type(target).__name__}", self.where)
                    for k, v in zip(items[::2], items[1::2]):
                        target[k] = v
                elif code in ("APPEND", "APPENDS"):
                    items = [pop()] if code == "APPEND" else pop_mark()
                    target = stack[-1] if stack else None
                    if not isinstance(target, list):
                        raise _corrupt(f"{code} on a {type(target).__name__}", self.where)
                    target.extend(items)
                elif code == "ADDITEMS":
                    items = pop_mark()
                    target = stack[-1] if stack else None
                    if not isinstance(target, set):
                        raise _corrupt(f"ADDITEMS on a {type(target).__name__}", self.where)
                    target.update(items)
                elif code == "BINPERSID":
                    stack.append(self.load_storage(pop()))
                else:
                    raise _refuse(f"the pickle opcode {code} (at byte {pos})", self.where)
        except (ValueError, EOFError, struct.error) as e:   # genops on a truncated or garbled stream
            raise _corrupt(f"the pickle is truncated or garbled ({e})", self.where) from None
        except TypeError as e:                              # e.g. an unhashable dict key
            raise _corrupt(f"the pickle is malformed ({e})", self.where) from None
        raise _corrupt("the pickle has no STOP opcode (truncated file?)", self.where)

    def build(self, obj, state):
        if state is None or state == {} or state == ():
            return
        if isinstance(obj, OrderedDict) and isinstance(state, dict):
            for k, v in state.items():     # a state dict's `_metadata` (module versions)
                if not isinstance(k, str) or k.startswith("__"):
                    raise _corrupt(f"an attribute named {k!r}", self.where)
                setattr(obj, k, v)
            return
        raise _refuse(f"a state for a {type(obj).__name__} object", self.where)


# ---- what each allowed global does when called -------------------------------------------------
def _ints(reader, value, what):
    if not isinstance(value, (tuple, list)) or not all(type(v) is int for v in value):
        raise _corrupt(f"the tensor {what} {value!r} is not a tuple of integers", reader.where)
    return tuple(value)


def _rebuild_tensor_v2(reader, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    if not isinstance(storage, _Storage):
        raise _corrupt("a tensor is rebuilt from something that is not a storage", reader.where)
    size, stride = _ints(reader, size, "size"), _ints(reader, stride, "stride")
    if type(storage_offset) is not int or storage_offset < 0 or len(size) != len(stride) \
            or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise _corrupt(f"a tensor has an invalid layout (offset {storage_offset!r}, size {size}, stride {stride})",
                       reader.where)
    arr = storage.array
    n = len(arr)
    if all(s > 0 for s in size):
        last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= n:
            raise _corrupt(f"a tensor of size {list(size)}, stride {list(stride)} at offset {storage_offset} "
                           f"reaches element {last} of storage {storage.key!r}, which has {n} elements", reader.where)
        view = np.lib.stride_tricks.as_strided(arr[storage_offset:], shape=size,
                                               strides=tuple(st * arr.itemsize for st in stride))
    else:
        view = np.empty(size, arr.dtype)
    if storage.bfloat16:      # bfloat16 bits are the top half of a float32
        view = (view.astype(np.uint32) << 16).view(np.float32)
    t = _wrap(view)
    if requires_grad is True and view.dtype.kind == "f":
        t.requires_grad = True
    return t


def _rebuild_parameter(reader, data, requires_grad=True, backward_hooks=None, state=None):
    if not hasattr(data, "_data"):
        raise _corrupt("a parameter is rebuilt from something that is not a tensor", reader.where)
    return Parameter(data, requires_grad=bool(requires_grad) and data._data.dtype.kind == "f")


def _rebuild_from_type_v2(reader, func, new_type, args, state):
    if repr(new_type) not in ("torch.Tensor", "torch.nn.parameter.Parameter") or not reader.handlers.get(repr(func)):
        raise _refuse(f"a tensor of type {new_type!r}", reader.where)
    t = reader.call(func, args)
    if state:
        raise _refuse(f"a tensor with attributes {sorted(state)[:5]}", reader.where)
    return Parameter(t) if repr(new_type).endswith("Parameter") and not isinstance(t, Parameter) else t


def _ordered_dict(reader, items=()):
    return OrderedDict(items)


def _codecs_encode(reader, text, encoding="latin1"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _corrupt(f"_codecs.encode({type(text).__name__}, {encoding!r})", reader.where)
    return text.encode("latin1")


def _size(reader, dims=()):
    return Size(_ints(reader, dims, "size"))


def _device(reader, kind="cpu", index=None):
    if not isinstance(kind, str):
        raise _corrupt(f"torch.device({kind!r})", reader.where)
    return device(kind.split(":")[0], index)


def _typed(kind, build):
    def handler(reader, *args):
        if not all(isinstance(a, kind) for a in args):
            raise _corrupt(f"{build.__name__}() of {[type(a).__name__ for a in args]}", reader.where)
        return build(*args)
    return handler


_HANDLERS = {
    "collections.OrderedDict": _ordered_dict,
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    "torch.Tensor": None, "torch.nn.parameter.Parameter": None,   # named as types only, never called
    "torch.Size": _size,
    "torch.device": _device,
    "_codecs.encode": _codecs_encode,
    "builtins.set": _typed((list, tuple, set, frozenset), set),
    "builtins.frozenset": _typed((list, tuple, set, frozenset), frozenset),
    "builtins.complex": _typed((int, float), complex),
    "builtins.bytearray": lambda reader, *a: bytearray(_codecs_encode(reader, *a) if a and isinstance(a[0], str)
                                                       else _typed((bytes,), bytes)(reader, *a)),
}
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}


# ---- the two file layouts ------------------------------------------------------------------
def _storage_array(raw, cls, key, numel, where):
    np_dtype, _ = STORAGES[cls.name]
    itemsize = np.dtype(np_dtype).itemsize
    if type(numel) is not int or numel < 0:
        raise _corrupt(f"storage {key!r} declares {numel!r} elements", where)
    if len(raw) != numel * itemsize:
        raise _corrupt(f"storage {key!r} declares {numel} elements of torch.{cls.name} ({numel * itemsize} bytes) "
                       f"but holds {len(raw)} bytes (a lying or truncated storage)", where)
    arr = np.frombuffer(bytearray(raw), dtype=np_dtype)     # one writable copy of the file's bytes
    return _Storage(arr.astype(arr.dtype.newbyteorder("="), copy=False), key, cls.name == "BFloat16Storage")


def _load_zip(raw, where):
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        names = zf.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise _corrupt(f"the zip archive is truncated or damaged ({e})", where) from None
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if len(pkl) != 1:
        raise _corrupt(f"expected one '<name>/data.pkl' record in the zip, found {len(pkl)} "
                       f"(records: {names[:6]})", where)
    prefix = pkl[0][:-len("data.pkl")]
    budget = [_MAX_EXPANSION * len(raw) + (1 << 20)]

    def read(name):
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise _corrupt(f"the record {name!r} is missing", where) from None
        if info.file_size > budget[0]:
            raise _corrupt(f"the record {name!r} declares {info.file_size} bytes, more than "
                           f"{_MAX_EXPANSION}x the file's {len(raw)} bytes allow", where)
        budget[0] -= info.file_size
        try:
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as e:
            raise _corrupt(f"the record {name!r} cannot be read ({e})", where) from None
        if len(data) != info.file_size:
            raise _corrupt(f"the record {name!r} has {len(data)} bytes, not the {info.file_size} declared", where)
        return data

    byteorder = prefix + "byteorder"
    if byteorder in names and read(byteorder).strip() not in (b"little", b""):
        raise _corrupt("the file was written on a big-endian machine; ember reads little-endian files only", where)
    storages = {}

    def load_storage(pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _Global)
                and pid[1].name in STORAGES and isinstance(pid[2], str)):
            raise _corrupt(f"unexpected persistent id {str(pid)[:120]}", where)
        _, cls, key, _location, numel = pid
        if key not in storages:
            storages[key] = _storage_array(read(f"{prefix}data/{key}"), cls, key, numel, where)
        return storages[key]

    return _Reader(where, load_storage).run(io.BytesIO(read(pkl[0])))


def _load_legacy(raw, where):
    stream = io.BytesIO(raw)
    declared, storages = {}, {}

    def check_pid(pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage" and isinstance(pid[1], _Global)
                and pid[1].name in STORAGES and isinstance(pid[2], str)):
            raise _corrupt(f"unexpected persistent id {str(pid)[:120]}", where)
        if pid[5] is not None:
            raise _corrupt("storage views of the pre-1.0 format are not supported", where)
        if type(pid[4]) is not int or pid[4] < 0:
            raise _corrupt(f"storage {pid[2]!r} declares {pid[4]!r} elements", where)
        return pid

    def declare(pid):      # first pass: note the storages, build nothing from them
        _, cls, key, _location, numel, _ = check_pid(pid)
        declared.setdefault(key, (cls, numel))
        return _Storage(None, key, False)

    def no_storage(pid):
        raise _corrupt("a persistent id in the header", where)

    header = _Reader(where, no_storage)
    header.run(stream)                       # the magic number (checked by sniff)
    protocol = header.run(stream)
    if protocol != _LEGACY_PROTOCOL:
        raise _corrupt(f"legacy protocol version {protocol!r} (expected {_LEGACY_PROTOCOL})", where)
    info = header.run(stream)
    if isinstance(info, dict) and info.get("little_endian") is False:
        raise _corrupt("the file was written on a big-endian machine; ember reads little-endian files only", where)
    start = stream.tell()
    _Reader(where, declare, dict(_HANDLERS, **{"torch._utils._rebuild_tensor_v2": lambda rd, *a: _wrap(
        np.empty(0, np.float32))})).run(stream)
    keys = header.run(stream)
    if not isinstance(keys, list) or set(keys) != set(declared):
        raise _corrupt("the list of storage keys does not match the storages used", where)
    for key in keys:
        cls, numel = declared[key]
        head = stream.read(8)
        if len(head) != 8:
            raise _corrupt(f"storage {key!r} is missing (truncated file)", where)
        (count,) = struct.unpack("<q", head)
        nbytes = count * np.dtype(STORAGES[cls.name][0]).itemsize
        if count != numel or nbytes > len(raw) - stream.tell():
            raise _corrupt(f"storage {key!r} declares {numel} elements but its record says {count} and "
                           f"{len(raw) - stream.tell()} bytes remain (a lying or truncated storage)", where)
        storages[key] = _storage_array(stream.read(nbytes), cls, key, numel, where)
    stream.seek(start)                       # second pass: the same pickle with the storages at hand
    return _Reader(where, lambda pid: storages[check_pid(pid)[2]]).run(stream)


# ---- entry points --------------------------------------------------------------------------
def sniff(head):
    """'zip', 'legacy' or None for the first bytes of a file."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(LEGACY_MAGIC):
        return "legacy"
    return None


def is_torch_file(f):
    """True when ``f`` (a path or a seekable binary file) starts like a ``torch.save`` file."""
    if hasattr(f, "read"):
        if not (hasattr(f, "seek") and hasattr(f, "tell")) or not getattr(f, "seekable", lambda: True)():
            return False
        pos = f.tell()
        head = f.read(len(LEGACY_MAGIC))
        f.seek(pos)
    else:
        try:
            with open(os.fspath(f), "rb") as fh:
                head = fh.read(len(LEGACY_MAGIC))
        except OSError:
            return False
    return sniff(bytes(head)) is not None


def load_torch(f):
    """Load a ``torch.save`` file (zip or legacy) from a path or binary file object, running nothing.

    Example:
        >>> sd = ember._torch_load.load_torch("linear.pt")
    """
    if hasattr(f, "read"):
        where, raw = repr(getattr(f, "name", "<file object>")), bytes(f.read())
    else:
        path = os.fspath(f)
        where = repr(path)
        with open(path, "rb") as fh:
            raw = fh.read()
    kind = sniff(raw[:len(LEGACY_MAGIC)])
    if kind is None:
        raise _corrupt("it starts neither with a zip header nor with the legacy magic number", where)
    return _load_zip(raw, where) if kind == "zip" else _load_legacy(raw, where)
