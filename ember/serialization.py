"""Safe checkpoints: ``ember.save`` / ``ember.load`` without pickle.

A checkpoint is ONE safetensors file. Every tensor and NumPy array in the saved object becomes a
safetensors entry (named after its path in the object, e.g. ``model.fc1.weight``), and the
structure around them (dicts, lists, tuples, numbers, strings, None, ...) is JSON stored in the
safetensors header metadata under ``ember.structure`` (the node kinds: ``_checkpoint_encode``).

Whole objects too (``torch.save(model)``): a module, an optimizer or an instance of any class is
stored as its class name (``module.qualname``) and its attributes, as data; shared and cyclic
references are kept. ``ember.load(f, weights_only=False)`` rebuilds ember's own classes, and
other classes only once allowed with ``add_safe_globals([cls])`` / ``safe_globals([cls])``
(PyTorch's ``torch.serialization`` names); with ``weights_only=True`` (the default, as in PyTorch
2.6+) only data and allowlisted classes load. The rest raises ``pickle.UnpicklingError``. So:

- loading parses JSON and raw little-endian arrays and rebuilds allowed classes only, as
  ``cls.__new__`` + ``__setstate__``/attributes: an untrusted file imports nothing and runs
  no code it names (``_safe_globals``);
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
    >>> ember.save(model, "model.ckpt")                       # the whole module
    >>> with ember.serialization.safe_globals([MyNet]):       # MyNet: the user's class
    ...     model = ember.load("model.ckpt", weights_only=False)
"""
import io
import json
import math
import os
import re
import struct
import tempfile
import time
import zlib
from collections import OrderedDict

import numpy as np

from ._checkpoint_encode import _ST_DTYPES, _Encoder
from ._checkpoint_decode import _Decoder
from . import _safe_globals
from . import _torch_load, _torch_save
from ._safe_globals import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint"]

_FORMAT_KEY = "ember.format"
_FORMAT = "ember-checkpoint/1"        # plain data (dicts, lists, tuples, tensors, ...)
_FORMAT_OBJECTS = "ember-checkpoint/1.1"  # also objects, shared references, sets, enums, ...
_STRUCT_KEY = "ember.structure"
_CRC_KEY = "ember.crc32"
_MAX_HEADER = 100 * 1024 * 1024  # the safetensors reference implementation's limit
_CHUNK = 1 << 22


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
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dt = np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")
            shape, offsets = list(info["shape"]), list(info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise bad(f"tensor {name!r} has an invalid header entry {str(info)[:120]}") from None
        if not all(_is_int(v) for v in shape + offsets) or len(offsets) != 2:
            raise bad(f"tensor {name!r} has an invalid header entry {str(info)[:120]}: the shape and the two "
                      "data_offsets must be integers")
        if any(v < 0 for v in shape):
            raise bad(f"tensor {name!r} has a negative dimension in shape {shape}")
        start, end = offsets
        nbytes = math.prod(shape) * dt.itemsize  # Python ints: no overflow for shapes like [2**62, 4]
        if not (0 <= start <= end <= data_len) or end - start != nbytes:
            raise bad(f"tensor {name!r} ({info['dtype']}, shape {shape}) needs {nbytes} bytes at "
                      f"[{start}, {end}) but the data section has {data_len} bytes (truncated or corrupted file)")
        entries.append((start, end, name, dt, tuple(shape)))
    pos = 0
    for start, end, name, _, _ in sorted(entries, key=lambda e: (e[0], e[1])):
        if start != pos:
            what = "overlaps the previous tensor" if start < pos else f"leaves a gap of {start - pos} bytes before it"
            raise bad(f"tensor {name!r} at [{start}, {end}) {what}; a checkpoint's tensors must tile its data "
                      "section exactly (corrupted or crafted file)")
        pos = end
    if pos != data_len:
        raise bad(f"the data section has {data_len - pos} bytes after the last tensor (trailing bytes: "
                  "corrupted or crafted file)")
    for start, end, name, dt, shape in entries:
        arr = np.frombuffer(buf[start:end], dtype=dt).reshape(shape)
        arrays[name] = arr.astype(arr.dtype.newbyteorder("="), copy=True)  # own, writable, native order
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise bad("__metadata__ is not a JSON object of strings")
    return arrays, meta, {name: (info["dtype"], list(info["shape"])) for name, info in header.items()
                          if name != "__metadata__"}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True, *, format=None):
    """Save ``obj`` to ``f``: tensors, arrays, numbers, strings, containers, or whole objects.

    ``f`` is a path (written atomically: temp file + rename) or a binary file-like object.
    Integer dict keys (optimizer state) stay integers; dtypes, 0-d tensors and OrderedDicts are
    kept. A module, an optimizer or any other object is stored as its class name and its
    attributes (shared and cyclic references kept); loading it back needs ``weights_only=False``
    (and, for classes that are not ember's, ``ember.serialization.add_safe_globals``). An object
    that has no attributes to store (a lambda, an open file, a lock) raises ``TypeError``.

    Example:
        >>> ember.save({"model": model.state_dict(), "epoch": 3}, "run/checkpoint")
        >>> ember.save(model, "run/model")     # the whole module
        >>> ember.save(model.state_dict(), "model.pt", format="torch")   # for torch.load(weights_only=True)

    ``format="torch"`` writes PyTorch's zip format (``ember/_torch_save.py``) for state dicts of
    models and optimizers; the default (``None`` or ``"ember"``) is ember's safetensors checkpoint.
    """
    if pickle_module is not None:
        raise ValueError("ember.save never pickles; pickle_module is not supported")
    if format not in (None, "ember", "torch"):
        raise ValueError(f"ember.save: format must be None, 'ember' or 'torch', got {format!r}")
    if format == "torch":
        buf = io.BytesIO()
        _torch_save.save_torch(obj, buf)
        return _write_file(buf.getvalue(), f)
    enc = _Encoder()
    try:
        structure = enc.finish(enc.encode(obj))
        text = json.dumps(structure, allow_nan=False, separators=(",", ":"))
    except RecursionError:
        raise ValueError("ember.save: the object is nested too deeply to save (Python's recursion limit was "
                         "reached); flatten it, or save a state_dict()") from None
    meta = {_FORMAT_KEY: _FORMAT_OBJECTS if enc.objects else _FORMAT, _STRUCT_KEY: text}
    meta[_CRC_KEY] = _header_checksum(meta, {k: (_st_dtype(a), list(a.shape)) for k, a in enc.arrays.items()},
                                      enc.arrays)
    data = _serialize(enc.arrays, meta)
    _write_file(data, f)


def _write_file(data, f):
    if hasattr(f, "write"):
        _write_all(f, data)
        return
    path = os.fspath(f)
    if os.path.islink(path):
        path = os.path.realpath(path)  # write through a symlink (as PyTorch does), keep the link
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"ember.save: directory {directory!r} does not exist (for {path!r}); create it first")
    try:
        mode = os.stat(path).st_mode & 0o7777  # re-saving keeps the file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    _remove_stale_temporaries(directory, os.path.basename(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_LEGACY_TMP_AGE = 600  # seconds: a temporary without a pid older than this is a leftover


def _remove_stale_temporaries(directory, base):
    """Delete temporaries of earlier saves to ``directory/base`` whose process is gone (killed
    mid-save). Only ember's own names are touched: ``.{base}.{pid}.{8 random}.tmp``, and
    ``.{base}.{8 random}.tmp`` of older versions once they are ten minutes old."""
    pattern = re.compile(r"\." + re.escape(base) + r"\.(?:(\d+)\.)?[a-z0-9_]{8}\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    now = time.time()
    for name in names:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        full = os.path.join(directory, name)
        try:
            if m.group(1) is not None:
                if _alive(int(m.group(1))):
                    continue
            elif now - os.lstat(full).st_mtime < _LEGACY_TMP_AGE:
                continue
            if os.path.isfile(full) and not os.path.islink(full):
                os.unlink(full)
        except OSError:
            pass


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _checksum(structure_text, arrays):
    """CRC-32 of the structure and every array (in name order), as 8 hex digits."""
    crc = zlib.crc32(structure_text.encode("utf-8"))
    for name in sorted(arrays):
        a = arrays[name]
        crc = zlib.crc32(name.encode("utf-8"), crc)
        crc = zlib.crc32(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).view(np.uint8).reshape(-1)
                         if a.size else b"", crc)
    return f"{crc:08x}"


def _st_dtype(a):
    return next(k for k, v in _ST_DTYPES.items() if np.dtype(v) == a.dtype.newbyteorder("="))


def _header_checksum(meta, entries, arrays):
    """"h:" + CRC-32 of the whole header (every metadata entry but this one; every tensor's name,
    dtype and shape) and of every tensor's bytes. The offsets need no CRC: ``_parse`` requires the
    tensors to tile the data section, so only their order is free, and that moves bytes between
    names, which the CRC sees."""
    head = json.dumps([sorted((k, v) for k, v in meta.items() if k != _CRC_KEY),
                       sorted([k, v[0], v[1]] for k, v in entries.items())], separators=(",", ":"))
    return "h:" + _checksum(head, arrays)


def _write_all(fh, data):
    view = memoryview(data)
    for i in range(0, len(view), _CHUNK):
        fh.write(view[i:i + _CHUNK])


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Load an object written by ``ember.save`` (or any safetensors file) from a path or file object.

    Nothing named in the file is imported or called. ``weights_only=True`` (the default, as in
    PyTorch 2.6+; ``None`` means True) loads data only: tensors, arrays, numbers, strings,
    containers, dtypes, ``Size``, ``device``, plus classes on the allowlist
    (``ember.serialization.add_safe_globals``); a file holding other objects raises
    ``pickle.UnpicklingError``. ``weights_only=False`` also rebuilds objects of ember's own classes
    (modules, optimizers, ...): ``cls.__new__(cls)`` then ``__setstate__`` or the attributes, never
    ``__init__`` or any other function the file names. A file that is truncated, corrupted or not a
    checkpoint raises ``RuntimeError`` naming the file and the problem. ``map_location`` and
    ``mmap`` are accepted for PyTorch compatibility and ignored (ember is CPU-only). A safetensors
    file without ember's structure loads as a flat ``{name: Tensor}`` dict.

    Example:
        >>> model.load_state_dict(ember.load("run/checkpoint")["model"])
        >>> model = ember.load("run/model", weights_only=False)   # a whole module
        >>> model.load_state_dict(ember.load("resnet.pt"))          # written by torch.save

    A file written by ``torch.save`` (zip or legacy format, recognised by its first bytes) is read
    by a restricted pickle reader that runs nothing and accepts only what a weights-only
    checkpoint holds (``ember/_torch_load.py``), whatever ``weights_only`` says.
    """
    if _torch_load.is_torch_file(f):
        return _torch_load.load_torch(f)
    arrays, meta, where = _read(f)
    dec = _Decoder(arrays, where, weights_only=True if weights_only is None else bool(weights_only))
    if _STRUCT_KEY not in meta:
        # a plain safetensors file from another tool: a flat dict of tensors
        return OrderedDict((name, dec._tensor(arr, {})) for name, arr in arrays.items())
    structure = _structure(arrays, meta, dec)
    try:
        return dec.decode(structure)
    except RecursionError:
        raise dec._bad("the structure is nested too deeply") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as e:
        # a crafted structure (non-string entries, lists where names belong, ...): the documented error
        raise dec._bad(f"the structure is invalid ({type(e).__name__}: {str(e)[:120]})") from None


def _read(f):
    """(arrays, metadata, name for messages) of a checkpoint at a path or in a file object."""
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
    arrays, meta, entries = _parse(bytes(raw), where)
    crc = meta.get(_CRC_KEY)
    if crc is not None and crc.startswith("h:") and crc != _header_checksum(meta, entries, arrays):
        raise RuntimeError(f"ember.load: {where} is not a valid ember checkpoint: its checksum does not match "
                           "its header and contents (the file is corrupted)")
    return arrays, meta, where


def _structure(arrays, meta, dec):
    crc = meta.get(_CRC_KEY)
    if crc is not None and not crc.startswith("h:") and crc != _checksum(meta[_STRUCT_KEY], arrays):
        raise dec._bad("its checksum does not match its contents (the file is corrupted)")
    return dec.parse(meta[_STRUCT_KEY])  # bounded by the structure's size (_checkpoint_decode)


# the class or function each node kind names (instance, global and enum nodes name their own)
_KIND_GLOBALS = {"defaultdict": "collections.defaultdict", "frozenset": "builtins.frozenset",
                 "slice": "builtins.slice", "range": "builtins.range",
                 "nprandom": "numpy.random._generator.Generator", "npbits": "numpy.random.bit_generator.BitGenerator",
                 "partial": "functools.partial",
                 "method": "types.MethodType"}


def get_unsafe_globals_in_checkpoint(f):
    """The classes and functions a checkpoint names that ``weights_only=True`` would refuse.

    Those neither allowed by default nor on the allowlist, as ``"module.qualname"`` strings in
    order of appearance. The file is only read: nothing is rebuilt, imported or called.

    Example:
        >>> ember.serialization.get_unsafe_globals_in_checkpoint("model.ckpt")
        ['ember.nn.modules.container.Sequential', 'ember.nn.modules.linear.Linear']
    """
    arrays, meta, where = _read(f)
    if _STRUCT_KEY not in meta:
        return []
    stack, found = [_structure(arrays, meta, _Decoder(arrays, where))], {}
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("$")
            name = (f"{node.get('module')}.{node.get('qualname')}" if kind in ("instance", "global", "enum")
                    else _KIND_GLOBALS.get(kind))
            if name is not None and not _safe_globals.allowed_by_default(name):
                found.setdefault(name, None)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return list(found)
