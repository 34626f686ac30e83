"""Safe checkpoints: ``ember.save`` / ``ember.load`` without pickle.

A checkpoint is ONE safetensors file. Every tensor and NumPy array in the saved object becomes a
safetensors entry (named after its path in the object, e.g. ``model.fc1.weight``), and the
structure around them (dicts, lists, tuples, numbers, strings, None) is JSON stored in the
safetensors header metadata under ``ember.structure``. So:

- loading parses JSON and raw little-endian arrays only: an untrusted file cannot run code;
- the weights open with any safetensors reader (``safetensors.numpy.load_file``);
- a plain safetensors file written by another tool loads as a flat ``{name: Tensor}`` dict;
- a CRC-32 of the structure and the arrays (``ember.crc32`` in the metadata) catches corrupted
  bytes; truncated files and inconsistent headers are caught while parsing.

Writes are atomic: the bytes go to a temporary file in the target directory, are flushed to
disk, and then ``os.replace`` puts the file in place, so a crash mid-save leaves the previous
checkpoint intact.

Example:
    >>> ember.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
    >>> ckpt = ember.load("ckpt.safetensors")
    >>> model.load_state_dict(ckpt["model"])
"""
import base64
import json
import math
import os
import struct
import tempfile
import zlib
from collections import OrderedDict

import numpy as np

from ._dtype import _from_name, dtype as ember_dtype
from ._tensor import Size, Tensor, _wrap
from .nn.parameter import Parameter

__all__ = ["save", "load"]

_FORMAT_KEY = "ember.format"
_FORMAT = "ember-checkpoint/1"
_STRUCT_KEY = "ember.structure"
_CRC_KEY = "ember.crc32"
_MAX_HEADER = 100 * 1024 * 1024  # the safetensors reference implementation's limit
_CHUNK = 1 << 22
# safetensors dtype names <-> NumPy dtypes (what NumPy can represent).
_ST_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
              "I32": np.int32, "U32": np.uint32, "I64": np.int64, "U64": np.uint64,
              "F16": np.float16, "F32": np.float32, "F64": np.float64}
_NP_TO_ST = {np.dtype(v): k for k, v in _ST_DTYPES.items()}


# --------------------------------------------------------------------------------------------
# encoding: Python object -> (JSON-able structure, {name: ndarray})
# --------------------------------------------------------------------------------------------
class _Encoder:
    def __init__(self):
        self.arrays = {}
        self.by_id = {}  # id(obj) -> (name, obj), so one tensor saved twice is stored once

    def _name(self, path):
        base = ".".join(path) or "tensor"
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

    def encode(self, obj, path=()):
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
        if isinstance(obj, (bytes, bytearray)):
            return {"$": "bytes", "b64": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (str, int, float, bool, tuple))):
                    raise TypeError(f"ember.save: {_where(path)} has a key of type {type(k).__name__} ({k!r}); "
                                    "dict keys must be str, int, float, bool, None or tuples of those")
                items.append([self.encode(k, path + ("key",)), self.encode(v, path + (str(k),))])
            node = {"$": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
            return node
        if isinstance(obj, Size):
            return {"$": "tuple", "items": [self.encode(v, path + (str(i),)) for i, v in enumerate(obj)]}
        if isinstance(obj, tuple):
            return {"$": "tuple", "items": [self.encode(v, path + (str(i),)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, path + (str(i),)) for i, v in enumerate(obj)]
        raise TypeError(f"ember.save: cannot save {_where(path)} of type {type(obj).__module__}.{type(obj).__qualname__}; "
                        "checkpoints hold tensors, NumPy arrays, numbers, strings, None, bytes and "
                        "dicts/lists/tuples of those (save obj.state_dict() instead of a module or optimizer)")


def _where(path):
    return "obj" + "".join(f"[{p!r}]" for p in path) if path else "the object"


def _is_parameter(t):
    return isinstance(t, Parameter)


# --------------------------------------------------------------------------------------------
# decoding: (structure, arrays) -> Python object
# --------------------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, arrays, where):
        self.arrays = arrays
        self.where = where
        self.tensors = {}  # name -> Tensor, so shared tensors stay shared

    def _bad(self, msg):
        return RuntimeError(f"ember.load: {self.where} is not a valid ember checkpoint: {msg}")

    def _array(self, node):
        name = node.get("name")
        if not isinstance(name, str) or name not in self.arrays:
            raise self._bad(f"the structure refers to tensor {name!r}, which is not in the file")
        return self.arrays[name]

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "$" not in node:
            raise self._bad(f"unexpected JSON value {str(node)[:80]}")
        kind = node["$"]
        if kind in ("dict", "odict"):
            items = node.get("items")
            if not isinstance(items, list) or not all(isinstance(p, list) and len(p) == 2 for p in items):
                raise self._bad("a dict node has no valid 'items' list of [key, value] pairs")
            out = OrderedDict() if kind == "odict" else {}
            for k, v in items:
                k = self.decode(k)
                if isinstance(k, list):
                    raise self._bad("a dict key decodes to a list")
                out[k] = self.decode(v)
            return out
        if kind == "tuple":
            items = node.get("items")
            if not isinstance(items, list):
                raise self._bad("a tuple node has no 'items' list")
            return tuple(self.decode(v) for v in items)
        if kind == "tensor":
            name = node.get("name")
            if name in self.tensors:
                return self.tensors[name]
            t = self._tensor(self._array(node), node)
            self.tensors[name] = t
            return t
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
        if kind == "bytes":
            try:
                return base64.b64decode(node.get("b64", ""), validate=True)
            except (ValueError, TypeError):
                raise self._bad("a bytes node is not valid base64") from None
        raise self._bad(f"unknown node type {kind!r} (only data types are allowed; nothing is imported or called)")

    @staticmethod
    def _tensor(arr, node):
        t = _wrap(arr)
        if node.get("parameter"):
            return Parameter(t, requires_grad=bool(node.get("requires_grad", False)))
        if node.get("requires_grad") and arr.dtype.kind == "f":
            t.requires_grad = True
        return t


# --------------------------------------------------------------------------------------------
# the safetensors container (header parsed here so a bad file gets a precise message)
# --------------------------------------------------------------------------------------------
def _serialize(arrays, metadata):
    from safetensors.numpy import save as st_save
    return st_save(arrays, metadata=metadata)


def _parse(raw, where):
    def bad(msg):
        return RuntimeError(f"ember.load: {where} is not a valid ember checkpoint: {msg}")

    def not_safetensors(msg):
        if raw[:1] == b"\x80" or raw[:4] == b"PK\x03\x04":
            return bad("it looks like a pickle or torch.save zip file, which ember refuses to load because "
                       "unpickling can run arbitrary code; re-save the weights with safetensors or ember.save")
        return bad(msg)

    if len(raw) < 8:
        raise bad(f"the file has {len(raw)} bytes, fewer than the 8-byte safetensors header size "
                  "(empty or truncated file)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER:
        raise not_safetensors(f"the header claims {n} bytes (limit {_MAX_HEADER}); the file is corrupted or not a checkpoint")
    if 8 + n > len(raw):
        raise not_safetensors(f"the header claims {n} bytes but the file has only {len(raw) - 8} after the size field "
                  "(truncated file?)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise not_safetensors(f"the header is not valid JSON ({type(e).__name__}: {str(e)[:80]})") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    data_len = len(raw) - 8 - n
    arrays = {}
    buf = memoryview(raw)[8 + n:]
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dt = np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")
            shape = tuple(int(s) for s in info["shape"])
            start, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise bad(f"tensor {name!r} has an invalid header entry {str(info)[:120]}") from None
        if any(s < 0 for s in shape):
            raise bad(f"tensor {name!r} has a negative dimension in shape {shape}")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if not (0 <= start <= end <= data_len) or end - start != nbytes:
            raise bad(f"tensor {name!r} ({info['dtype']}, shape {list(shape)}) needs {nbytes} bytes at "
                      f"[{start}, {end}) but the data section has {data_len} bytes (truncated or corrupted file)")
        arr = np.frombuffer(buf[start:end], dtype=dt).reshape(shape)
        arrays[name] = arr.astype(arr.dtype.newbyteorder("="), copy=True)  # own, writable, native order
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise bad("__metadata__ is not a JSON object")
    return arrays, meta


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` (tensors, arrays, numbers, strings, None and dicts/lists/tuples of them) to ``f``.

    ``f`` is a path (written atomically: temp file + rename) or a binary file-like object.
    Integer dict keys (optimizer state) stay integers; dtypes, 0-d tensors and OrderedDicts are
    kept. Modules and optimizers are saved via their ``state_dict()``.

    Example:
        >>> ember.save({"model": model.state_dict(), "epoch": 3}, "run/checkpoint")
    """
    if pickle_module is not None:
        raise ValueError("ember.save never pickles; pickle_module is not supported")
    enc = _Encoder()
    structure = enc.encode(obj)
    text = json.dumps(structure, allow_nan=False, separators=(",", ":"))
    meta = {_FORMAT_KEY: _FORMAT, _STRUCT_KEY: text, _CRC_KEY: _checksum(text, enc.arrays)}
    data = _serialize(enc.arrays, meta)
    if hasattr(f, "write"):
        _write_all(f, data)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"ember.save: directory {directory!r} does not exist (for {path!r}); create it first")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _checksum(structure_text, arrays):
    """CRC-32 of the structure and every array (in name order), as 8 hex digits."""
    crc = zlib.crc32(structure_text.encode("utf-8"))
    for name in sorted(arrays):
        a = arrays[name]
        crc = zlib.crc32(name.encode("utf-8"), crc)
        crc = zlib.crc32(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).view(np.uint8).reshape(-1)
                         if a.size else b"", crc)
    return f"{crc:08x}"


def _write_all(fh, data):
    view = memoryview(data)
    for i in range(0, len(view), _CHUNK):
        fh.write(view[i:i + _CHUNK])


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Load an object written by ``ember.save`` (or any safetensors file) from a path or file object.

    Only data is read: nothing is imported or called, so untrusted files are safe to load. A file
    that is truncated, corrupted or not a checkpoint raises ``RuntimeError`` naming the file and
    the problem. ``map_location`` and ``weights_only`` are accepted for PyTorch compatibility and
    ignored (ember is CPU-only and never unpickles). A safetensors file without ember's structure
    loads as a flat ``{name: Tensor}`` dict.

    Example:
        >>> model.load_state_dict(ember.load("run/checkpoint")["model"])
    """
    if hasattr(f, "read"):
        where = repr(getattr(f, "name", "<file object>"))
        raw = f.read()
    else:
        path = os.fspath(f)
        where = repr(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"ember.load: no such file {path!r}")
        with open(path, "rb") as fh:
            raw = fh.read()
    raw = bytes(raw)
    arrays, meta = _parse(raw, where)
    dec = _Decoder(arrays, where)
    if _STRUCT_KEY not in meta:
        # a plain safetensors file from another tool: a flat dict of tensors
        return OrderedDict((name, dec._tensor(arr, {})) for name, arr in arrays.items())
    crc = meta.get(_CRC_KEY)
    if crc is not None and crc != _checksum(meta[_STRUCT_KEY], arrays):
        raise dec._bad("its checksum does not match its contents (the file is corrupted)")
    try:
        structure = json.loads(meta[_STRUCT_KEY])
    except (ValueError, TypeError, RecursionError) as e:
        raise dec._bad(f"the structure metadata is not valid JSON ({type(e).__name__})") from None
    try:
        return dec.decode(structure)
    except RecursionError:
        raise dec._bad("the structure is nested too deeply") from None
