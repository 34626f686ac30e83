"""Write files ``torch.load(path, weights_only=True)`` reads: ``ember.save(obj, f, format="torch")``.

The file is PyTorch's zip layout, written with :mod:`zipfile` (records stored uncompressed, each
storage's bytes aligned to 64 bytes as PyTorch aligns them): ``archive/data.pkl``,
``archive/byteorder``, ``archive/data/<key>`` (one per tensor), ``archive/version``.

``data.pkl`` is a protocol-2 pickle whose opcodes ``_Writer`` emits itself (nothing goes through
``pickle.dump``), and it names only globals PyTorch's weights-only loader allows: every tensor
is ``torch._utils._rebuild_tensor_v2`` over a persistent id ``('storage', torch.FloatStorage, key,
'cpu', numel)``, a Parameter wraps it in ``torch._utils._rebuild_parameter``, an ``OrderedDict`` is
``collections.OrderedDict``, dtypes are ``torch.float32``..., ``Size`` is ``torch.Size``.

What can be written: Tensors and Parameters (any ember dtype), NumPy arrays (as tensors), dicts,
OrderedDicts (their ``_metadata`` too), lists, tuples, sets, str, bytes, int, float, bool, None,
complex, ember dtypes, ``Size`` and ``device``: the contents of model and optimizer state dicts.
Anything else raises ``TypeError`` naming it. A tensor object that appears twice is written once
(the memo), so ``torch.load`` gives one tensor for both places, as with ``torch.save``.

Example:
    >>> ember.save(model.state_dict(), "model.pt", format="torch")
    >>> # in PyTorch: net.load_state_dict(torch.load("model.pt", weights_only=True))
"""
import io
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from ._dtype import dtype as _ember_dtype
from ._tensor import Size, Tensor, device
from .nn.parameter import Parameter

__all__ = ["save_torch"]

# NumPy dtype name -> PyTorch storage class (numpy's float16/bool/... map one to one)
_STORAGE_OF = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
               "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage",
               "uint8": "ByteStorage", "bool": "BoolStorage"}
_ALIGN = 64


class _Writer:
    """Emits protocol-2 pickle opcodes for the allowed object kinds into ``self.out``."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")           # PROTO 2
        self.memo = {}                               # id(obj) -> memo index (tensors, containers)
        self.keep = []                               # keep memoised objects alive (ids stay unique)
        self.storages = []                           # the arrays, in key order

    # ---- primitives --------------------------------------------------------------------------
    def put(self, obj):
        idx = len(self.memo)
        self.memo[id(obj)] = idx
        self.keep.append(obj)
        self.out += b"q" + bytes([idx]) if idx < 256 else b"r" + struct.pack("<I", idx)

    def get(self, obj):
        idx = self.memo[id(obj)]
        self.out += b"h" + bytes([idx]) if idx < 256 else b"j" + struct.pack("<I", idx)

    def glob(self, module, name):
        self.out += b"c" + f"{module}\n{name}\n".encode("ascii")

    def int_(self, v):
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)
        elif -2 ** 31 <= v < 2 ** 31:
            self.out += b"J" + struct.pack("<i", v)
        else:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
            if len(raw) > 255:
                raise ValueError(f"ember.save(format='torch'): the integer {v} is too large to save")
            self.out += b"\x8a" + bytes([len(raw)]) + raw

    def str_(self, s):
        raw = s.encode("utf-8", "surrogatepass")
        self.out += b"X" + struct.pack("<I", len(raw)) + raw

    def tuple_(self, items):
        if not items:
            self.out += b")"
            return
        if len(items) > 3:
            self.out += b"("
        for x in items:
            self.value(x)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t")

    def call(self, module, name, args):
        self.glob(module, name)
        self.tuple_(args)
        self.out += b"R"

    # ---- values ----------------------------------------------------------------------------
    def value(self, obj, depth=0):
        if depth > 200:
            raise ValueError("ember.save(format='torch'): the object is nested more than 200 levels deep")
        if obj is None:
            self.out += b"N"
        elif obj is True or obj is False:
            self.out += b"\x88" if obj else b"\x89"
        elif isinstance(obj, (bool, np.bool_)):
            self.value(bool(obj))
        elif isinstance(obj, (int, np.integer)):
            self.int_(int(obj))
        elif isinstance(obj, (float, np.floating)):
            self.out += b"G" + struct.pack(">d", float(obj))
        elif isinstance(obj, str):
            self.str_(obj)
        elif isinstance(obj, (bytes, bytearray)):
            if isinstance(obj, bytearray):
                raise TypeError("ember.save(format='torch'): bytearray is not supported; convert it to bytes")
            self.call("_codecs", "encode", (obj.decode("latin1"), "latin1"))
        elif isinstance(obj, complex):
            self.call("__builtin__", "complex", (obj.real, obj.imag))
        elif isinstance(obj, _ember_dtype):
            self.glob("torch", obj.name)
        elif isinstance(obj, device):
            self.call("torch", "device", (str(obj),))
        elif isinstance(obj, (Tensor, np.ndarray)):
            self.tensor(obj)
        elif id(obj) in self.memo:
            self.get(obj)
        elif isinstance(obj, Size):
            self.call("torch", "Size", (tuple(int(s) for s in obj),))
        elif isinstance(obj, OrderedDict):
            self.glob("collections", "OrderedDict")
            self.out += b")R"
            self.put(obj)
            self.items(obj, depth)
            meta = getattr(obj, "_metadata", None)
            if meta is not None:            # state_dict()._metadata, set by BUILD as PyTorch does
                self.out += b"}("
                self.str_("_metadata")
                self.value(meta, depth + 1)
                self.out += b"ub"
        elif isinstance(obj, dict):
            self.out += b"}"
            self.put(obj)
            self.items(obj, depth)
        elif isinstance(obj, list):
            self.out += b"]"
            self.put(obj)
            if obj:
                self.out += b"("
                for x in obj:
                    self.value(x, depth + 1)
                self.out += b"e"
        elif isinstance(obj, tuple):
            if len(obj) > 3:
                self.out += b"("
            for x in obj:
                self.value(x, depth + 1)
            self.out += {0: b")", 1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(obj), b"t")
        elif isinstance(obj, (set, frozenset)):
            self.glob("__builtin__", type(obj).__name__)
            self.out += b"]"
            if obj:
                self.out += b"("
                for x in obj:
                    self.value(x, depth + 1)
                self.out += b"e"
            self.out += b"\x85R"
        else:
            raise TypeError(f"ember.save(format='torch'): cannot write a {type(obj).__module__}.{type(obj).__qualname__}"
                            " into a file torch.load(weights_only=True) accepts; save tensors, numbers, strings and "
                            "containers of them (a state_dict()), or use ember's own format (no format=)")

    def items(self, d, depth):
        if not d:
            return
        self.out += b"("
        for k, v in d.items():
            self.value(k, depth + 1)
            self.value(v, depth + 1)
        self.out += b"u"

    def tensor(self, t):
        if id(t) in self.memo:
            self.get(t)
            return
        arr = t._data if isinstance(t, Tensor) else t
        name = _STORAGE_OF.get(arr.dtype.name)
        if name is None:
            raise TypeError(f"ember.save(format='torch'): a tensor of dtype {arr.dtype} has no PyTorch storage type "
                            f"(supported: {', '.join(_STORAGE_OF)})")
        param = isinstance(t, Parameter)
        if param:                                   # _rebuild_parameter(tensor, requires_grad, OrderedDict())
            self.glob("torch._utils", "_rebuild_parameter")
        key = str(len(self.storages))
        self.storages.append(np.ascontiguousarray(arr))
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("                           # args; the persistent id tuple
        self.str_("storage")
        self.glob("torch", name)
        self.str_(key)
        self.str_("cpu")
        self.int_(int(arr.size))
        self.out += b"tQ"                           # TUPLE, BINPERSID
        self.int_(0)                                # storage offset
        self.value(tuple(int(s) for s in arr.shape))
        self.value(_contiguous_strides(arr.shape))
        self.value(bool(isinstance(t, Tensor) and t.requires_grad and not param))
        self.glob("collections", "OrderedDict")     # backward hooks
        self.out += b")RtR"                         # EMPTY_TUPLE REDUCE; TUPLE REDUCE
        if param:
            self.value(bool(t.requires_grad))
            self.glob("collections", "OrderedDict")
            self.out += b")R\x87R"                 # TUPLE3 REDUCE
        self.put(t)


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(int(s), 1)
    return tuple(reversed(strides))


def save_torch(obj, fh):
    """Write ``obj`` in PyTorch's zip format to the binary file object ``fh``.

    Example:
        >>> with open("model.pt", "wb") as fh:
        ...     ember._torch_save.save_torch(model.state_dict(), fh)
    """
    w = _Writer()
    w.value(obj)
    w.out += b"."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        _record(zf, buf, "archive/data.pkl", bytes(w.out))
        _record(zf, buf, "archive/byteorder", b"little")
        for key, arr in enumerate(w.storages):
            data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            _record(zf, buf, f"archive/data/{key}", data, align=True)
        _record(zf, buf, "archive/version", b"3\n")
    fh.write(buf.getvalue())


def _record(zf, buf, name, data, align=False):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    if align:       # pad the local header's extra field so the bytes start on a 64-byte boundary
        start = buf.tell() + 30 + len(name.encode()) + 4
        pad = -start % _ALIGN
        info.extra = struct.pack("<HH", 0xCAFE, pad) + b"\0" * pad
    zf.writestr(info, data)
