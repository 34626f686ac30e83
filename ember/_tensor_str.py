"""Tensor printing in PyTorch's format: ``tensor([1., 2.], requires_grad=True)``."""
import numpy as np

_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80


def _float_formatter(values):
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    int_mode = bool(np.all(finite == np.ceil(finite))) if finite.size else True
    sci = False
    if nonzero.size:
        hi, lo = nonzero.max(), nonzero.min()
        if int_mode:
            sci = hi > 1e8
        else:
            sci = hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4
    if int_mode and not sci:
        def fmt(v):
            return _special(v) or f"{v:.0f}."
    elif sci:
        def fmt(v):
            return _special(v) or f"{v:.{_PRECISION}e}"
    else:
        def fmt(v):
            return _special(v) or f"{v:.{_PRECISION}f}"
    width = max((len(fmt(v)) for v in values.reshape(-1)), default=1)
    return lambda v: fmt(v).rjust(width)


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _body(arr, indent):
    summarize = arr.size > _THRESHOLD
    sample = arr
    if summarize:
        sample = _edges(arr)
    if arr.dtype.kind == "f":
        fmt = _float_formatter(sample.astype(np.float64))
        formatter = {"float_kind": fmt}
    elif arr.dtype.kind == "b":
        formatter = {"bool": lambda v: "True" if v else "False"}
    else:
        w = max((len(str(v)) for v in sample.reshape(-1)), default=1)
        formatter = {"int": lambda v: str(v).rjust(w)}
    return np.array2string(arr, separator=", ", prefix=" " * indent, formatter=formatter,
                           threshold=_THRESHOLD, edgeitems=_EDGEITEMS, max_line_width=_LINEWIDTH)


def _edges(arr):
    for axis in range(arr.ndim):
        if arr.shape[axis] > 2 * _EDGEITEMS:
            arr = np.concatenate([np.take(arr, range(_EDGEITEMS), axis),
                                  np.take(arr, range(arr.shape[axis] - _EDGEITEMS, arr.shape[axis]), axis)], axis)
    return arr


_DEFAULT_DTYPES = ("float32", "int64", "bool")


def tensor_repr(t, prefix="tensor("):
    arr = t.data
    suffixes = []
    if arr.size == 0 and arr.ndim:
        body = "[]"
        if arr.shape != (0,):
            suffixes.append(f"size={tuple(arr.shape)}")
    elif arr.ndim == 0:
        body = _body(arr.reshape(1), len(prefix))[1:-1].strip()
    else:
        body = _body(arr, len(prefix))
    from ._dtype import get_default_dtype
    default_float = get_default_dtype().name
    name = arr.dtype.name
    if not (name in ("int64", "bool") or name == default_float):
        suffixes.append(f"dtype=ember.{name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
