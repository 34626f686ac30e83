"""Tensor printing in PyTorch's format: ``tensor([1., 2.], requires_grad=True)``.

One width for all elements (from the finite non-zero values), three float styles chosen from
the whole tensor: integers (``1.``), fixed (``1.2500``) or scientific (``1.2500e+03``).
Tensors with more than ``threshold`` elements show ``edgeitems`` entries at each end.
"""
import math

import numpy as np

from . import _dtype
from ._dtype import get_default_dtype

_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80
_SCI_MODE = None


class _Formatter:
    """Chooses the number style and the common width from the values that will be shown."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        mags = np.abs(finite)
        hi, lo = float(mags.max()), float(mags.min())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        vals = finite.tolist()
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if _SCI_MODE is not None:
            self.sci_mode = _SCI_MODE
        if self.sci_mode:
            self.width = max(len(f"{v:.{_PRECISION}e}") for v in vals)
        elif self.int_mode:  # integers print with a trailing '.', hence the +1
            self.width = max(len(f"{v:.0f}") + 1 for v in vals)
        else:
            self.width = max(len(f"{v:.{_PRECISION}f}") for v in vals)

    def format(self, v):
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:.{_PRECISION}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{_PRECISION}f}"
        return s.rjust(self.width)


def _summarized(arr):
    """The entries that will be printed: ``edgeitems`` from each end of every long dim."""
    for axis in range(arr.ndim):
        n = arr.shape[axis]
        if n > 2 * _EDGEITEMS:
            keep = list(range(_EDGEITEMS)) + list(range(n - _EDGEITEMS, n))
            arr = np.take(arr, keep, axis=axis)
    return arr


def _vector(arr, indent, summarize, fmt):
    per_line = max(1, int(math.floor((_LINEWIDTH - indent) / (fmt.width + 2))))
    vals = arr.tolist()
    if summarize and len(vals) > 2 * _EDGEITEMS:
        items = [fmt.format(v) for v in vals[:_EDGEITEMS]] + [" ..."] + \
                [fmt.format(v) for v in vals[-_EDGEITEMS:]]
    else:
        items = [fmt.format(v) for v in vals]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr, indent, summarize, fmt):
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        parts = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(_EDGEITEMS)] + ["..."] + \
                [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n - _EDGEITEMS, n)]
    else:
        parts = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _body(arr, indent):
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    summarize = arr.size > _THRESHOLD
    fmt = _Formatter(_summarized(arr) if summarize else arr)
    if arr.ndim == 0:
        return fmt.format(arr.item())
    return _nested(arr, indent, summarize, fmt)


def tensor_repr(t, prefix="tensor("):
    arr = t._data
    indent = len(prefix)
    suffixes = []
    name = arr.dtype.name
    default = name == get_default_dtype().name
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if not default:
            suffixes.append(f"dtype={_dtype.DISPLAY_NAMESPACE}.{name}")
        body = "[]"
    else:
        if not (default or name in ("int64", "bool")):
            suffixes.append(f"dtype={_dtype.DISPLAY_NAMESPACE}.{name}")
        body = _body(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last = len(out) - out.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _LINEWIDTH:
            out += ",\n" + " " * indent + s
            last = indent + len(s)
        else:
            out += ", " + s
            last += len(s) + 2
    return out + ")"


_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """How tensors print, as ``torch.set_printoptions``: a ``profile`` ('default', 'short',
    'full') sets all four numbers, then any given one overrides it; ``sci_mode`` True/False forces
    or forbids scientific notation (None: chosen from the values)."""
    global _PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH, _SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        _PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        _PRECISION = precision
    if threshold is not None:
        _THRESHOLD = threshold
    if edgeitems is not None:
        _EDGEITEMS = edgeitems
    if linewidth is not None:
        _LINEWIDTH = linewidth
    _SCI_MODE = sci_mode
