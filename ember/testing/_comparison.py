"""``torch.testing.assert_close``: compare tensors, numbers and nested sequences/mappings of them.

Default tolerances by dtype (PyTorch's): float16 ``rtol=1e-3, atol=1e-5``; bfloat16 ``1.6e-2, 1e-5``;
float32 ``1.3e-6, 1e-5``; float64 ``1e-7, 1e-7`` (complex as their real parts); integers and bool
exact. An element matches when ``|actual - expected| <= atol + rtol * |expected|``.
"""
import collections.abc
import math

import numpy as np

from .._creation import as_tensor
from .._tensor import Tensor

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


def _default_tolerances(*dtypes):
    pairs = [_TOLERANCES.get(d.name, (0.0, 0.0)) for d in dtypes]
    return max(r for r, _ in pairs), max(a for _, a in pairs)


class _Mismatch(Exception):
    def __init__(self, message, exc_type=AssertionError):
        super().__init__(message)
        self.message, self.exc_type, self.located = message, exc_type, False


def _fmt(x):
    return repr(x) if isinstance(x, float) else str(x)


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype):
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    if rtol is None:
        kind = max(({bool: 0, int: 0, float: 1, complex: 1}.get(type(v), 1) for v in (actual, expected)))
        rtol, atol = (1e-7, 1e-7) if kind else (0.0, 0.0)
    if actual == expected or (equal_nan and _isnan(actual) and _isnan(expected)):
        return
    abs_diff = abs(actual - expected)
    if abs_diff <= atol + rtol * abs(expected):
        return
    if isinstance(actual, bool) or (isinstance(actual, int) and isinstance(expected, int)):
        raise _Mismatch(f"Scalars are not equal!\n\nExpected {expected} but got {actual}.\n"
                        f"Absolute difference: {abs_diff}\n"
                        f"Relative difference: {abs_diff / abs(expected) if expected else math.inf}")
    rel = abs_diff / abs(expected) if expected else math.inf
    raise _Mismatch(f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
                    f"Absolute difference: {_fmt(abs_diff)} (up to {atol} allowed)\n"
                    f"Relative difference: {_fmt(rel)} (up to {rtol} allowed)")


def _isnan(x):
    return isinstance(x, (float, complex)) and x != x


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride):
    for attr in ("shape",) + (("device",) if check_device else ()) + (("dtype",) if check_dtype else ()):
        a, e = getattr(actual, attr), getattr(expected, attr)
        if a != e:
            raise _Mismatch(f"The values for attribute '{attr}' do not match: {a} != {e}.")
    if check_stride and actual.numel() > 1 and actual.stride() != expected.stride():
        raise _Mismatch(f"The values for attribute 'stride()' do not match: {actual.stride()} != {expected.stride()}.")
    if rtol is None:
        rtol, atol = _default_tolerances(actual.dtype, expected.dtype)
    a, e = np.asarray(actual.detach()._data), np.asarray(expected.detach()._data)
    if a.dtype != e.dtype:
        common = np.result_type(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    exact = a.dtype.kind in "biu"
    if a.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    elif exact:
        a, e = a.astype(np.int64), e.astype(np.int64)
    if exact:
        matches = a == e
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            matches = (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e))
        if equal_nan:
            matches |= np.isnan(a) & np.isnan(e)
    if matches.all():
        return
    if a.ndim == 0:
        av, ev = a.item(), e.item()
        _compare_numbers(av, ev, rtol, atol, equal_nan, False)
        return
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        rel_diff = (abs_diff / np.abs(e)) if not exact else (abs_diff.astype(np.float32) / np.abs(e).astype(np.float32))
    total, bad = a.size, int((~matches).sum())
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {bad} / {total} ({bad / total * 100:.1f}%)"]
    for name, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        flat = diff.reshape(-1)
        nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
        i = int(np.argmax(nan)) if nan.any() else int(np.argmax(flat))
        idx = tuple(int(j) for j in np.unravel_index(i, diff.shape))
        value = flat[i].item()
        line = f"Greatest {name} difference: {_fmt(value)} at index {idx}"
        lines.append(line if exact else line + f" (up to {tol} allowed)")
    raise _Mismatch("\n".join(lines))


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return as_tensor(x)
    return None


def _compare(actual, expected, path, kw, allow_subclasses):
    try:
        _compare_leaf_or_nested(actual, expected, path, kw, allow_subclasses)
    except _Mismatch as m:
        if path and not m.located:
            m.message += _where(path)
        m.located = True
        raise


def _compare_leaf_or_nested(actual, expected, path, kw, allow_subclasses):
    ta, te = _as_tensor(actual), _as_tensor(expected)
    if ta is not None and te is not None:
        _compare_tensors(ta, te, kw["rtol"], kw["atol"], kw["equal_nan"], kw["check_device"], kw["check_dtype"],
                         kw["check_stride"])
        return
    numbers = (bool, int, float, complex)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        _compare_numbers(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"], kw["check_dtype"])
        return
    if actual is None and expected is None:
        return
    strings = (str, bytes)
    if (isinstance(actual, collections.abc.Sequence) and isinstance(expected, collections.abc.Sequence)
            and not isinstance(actual, strings) and not isinstance(expected, strings)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + [i], kw, allow_subclasses)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        ka, ke = list(actual.keys()), list(expected.keys())
        if set(ka) != set(ke):
            missing, extra = sorted(set(ke) - set(ka), key=repr), sorted(set(ka) - set(ke), key=repr)
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: {missing}\n"
                            f"Extra keys in the actual mapping: {extra}")
        for k in ka:
            _compare(actual[k], expected[k], path + [k], kw, allow_subclasses)
        return
    if type(actual) is type(expected) and not isinstance(actual, (Tensor, numbers)) and actual == expected:
        return
    raise _Mismatch(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.",
                    TypeError)


def _where(path):
    return "" if not path else "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (as ``torch.testing.assert_close``).

    Tensors must agree in shape, device and dtype (``check_dtype=False`` compares in the common
    dtype); elements match when ``|a - e| <= atol + rtol * |e|`` (defaults by dtype, see the module
    docstring; pass both ``rtol`` and ``atol`` or neither). Sequences and mappings are compared
    item by item. ``msg`` (a string, or a callable taking the generated message) replaces the
    message.

    Example:
        >>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
    """
    if (rtol is None) ^ (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, "
                         f"but got no {'rtol' if rtol is None else 'atol'}.")
    kw = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
              check_stride=check_stride)
    try:
        _compare(actual, expected, [], kw, allow_subclasses)
    except _Mismatch as m:
        text = m.message
        if m.exc_type is AssertionError:
            if callable(msg):
                text = msg(text)
            elif msg is not None:
                text = msg
        raise m.exc_type(text) from None
