"""More factories, as PyTorch's: ``asarray``, ``frombuffer``, ``empty_strided``, ``scalar_tensor``
and the deprecated end-inclusive ``range``.

Example:
    >>> a = numpy.zeros(3, dtype=numpy.float32)
    >>> t = ember.asarray(a)        # shares a's memory
    >>> t[0] = 1.0                  # a[0] is now 1.0
"""
import math
import numbers
import warnings

import numpy as np

from . import _dtype
from ._creation import _check_device, _out, _size, tensor
from ._tensor import Tensor, _wrap, to_array


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """A tensor of ``obj`` (a Tensor, NumPy array, buffer, scalar or nested sequence) that shares
    ``obj``'s memory when it can: unless ``copy=True`` or the dtype has to change. ``copy=False``
    raises where a copy is needed. A tensor is returned itself when no copy is needed (its
    ``requires_grad`` set if given); a copy is a new leaf, requiring grad only if asked.

    Example: ``ember.asarray(np.arange(3.0), dtype=ember.float32)`` (a copy: the dtype changes)."""
    _check_device(device)
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else None
    if isinstance(obj, Tensor):
        if requires_grad is None and obj.requires_grad:
            warnings.warn("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                          "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                          "warning.", UserWarning, stacklevel=2)
        if (npd is None or npd == obj._data.dtype) and not copy:
            if requires_grad is not None and obj.requires_grad != requires_grad:
                obj.requires_grad_(requires_grad)
            return obj
        if copy is False:
            raise ValueError(f"can't alias tensor with dtype {obj.dtype} into dtype {dtype} (copy=False); "
                             "pass copy=None to allow a converted copy")
        data = obj._data.astype(npd if npd is not None else obj._data.dtype, copy=True)
        return _out_grad(_wrap(data), requires_grad)        # a copy is a new leaf, as PyTorch's
    if isinstance(obj, np.ndarray) or hasattr(obj, "__array_interface__") or isinstance(obj, (memoryview, bytearray)):
        arr = np.asarray(obj)
        if arr.dtype in _dtype._BY_NP and (npd is None or npd == arr.dtype) and not copy:
            out = _wrap(arr)
        else:
            if copy is False:
                raise ValueError(f"can't alias an array of dtype {arr.dtype} into dtype {dtype} (copy=False); "
                                 "pass copy=None to allow a converted copy")
            out = _wrap(to_array(arr, dtype=dtype))
        return _out_grad(out, requires_grad)
    if copy is False:
        raise ValueError(f"asarray(copy=False): {type(obj).__name__} has no memory to share; pass copy=None")
    return _out_grad(tensor(obj, dtype=dtype), requires_grad)


def _out_grad(out, requires_grad):
    if requires_grad:
        out.requires_grad_(True)
    return out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor of ``count`` elements of ``dtype`` read from ``buffer`` (bytes, bytearray, array,
    memoryview) from byte ``offset`` on, sharing its memory (``count=-1``: up to the end).

    Example: ``ember.frombuffer(bytearray(8), dtype=ember.int32)`` is ``tensor([0, 0], dtype=ember.int32)``."""
    npd = _dtype.to_numpy_dtype(dtype)
    view = memoryview(buffer)
    nbytes, size = view.nbytes, npd.itemsize
    if nbytes <= 0 or count == 0:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if offset < 0 or offset >= nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({nbytes} bytes) minus 1")
    if count < 0:
        if (nbytes - offset) % size:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({size})")
        count = (nbytes - offset) // size
    elif offset + count * size > nbytes:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) must "
                         f"not be greater than actual buffer length ({nbytes} bytes)")
    if view.readonly:
        warnings.warn("The given buffer is not writable, and ember does not support non-writable tensors "
                      "being written to: copy the buffer first if you mean to write into the tensor.",
                      UserWarning, stacklevel=2)
    arr = np.frombuffer(buffer, dtype=npd, count=count, offset=offset)
    return _out(arr, requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised (here: zero) tensor of ``size`` whose elements are ``stride`` elements apart.

    Example: ``ember.empty_strided((2, 3), (1, 2)).stride()`` is ``(1, 2)``."""
    _check_device(device)
    if layout is not None and str(layout).split(".")[-1] != "strided":
        raise NotImplementedError(f"empty_strided: layout={layout} is not supported by ember (tensors are dense)")
    if pin_memory:
        raise NotImplementedError("empty_strided: pin_memory=True is not supported by ember (no accelerator)")
    size, stride = _size((size,)), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"empty_strided: strides must be non-negative, got {stride}")
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().np
    n = 0 if 0 in size else 1 + sum((k - 1) * s for k, s in zip(size, stride))
    base = np.zeros(n, dtype=npd)
    arr = np.lib.stride_tricks.as_strided(base, size, tuple(s * npd.itemsize for s in stride), writeable=True)
    return _out(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-d tensor of the number ``s`` (the default float dtype unless ``dtype``; bools too, as PyTorch).

    Example: ``ember.scalar_tensor(3)`` is ``tensor(3.)``."""
    _check_device(device)
    if not isinstance(s, (numbers.Number, np.generic)) and not (isinstance(s, Tensor) and s.ndim == 0):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().np
    return _out(np.array(s.item() if isinstance(s, Tensor) else s, dtype=npd), requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Deprecated (warns, as PyTorch): ``start, start + step, ...`` up to and including ``end``, in the
    default float dtype unless ``dtype``. Use ``ember.arange(start, end + step, step)``.

    Example: ``ember.range(1, 4)`` is ``tensor([1., 2., 3., 4.])``."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if out is not None:
        raise NotImplementedError("range: out= is not supported by ember; assign the result instead")
    _check_device(device)
    if end is None:
        raise TypeError("range() missing required argument 'end'")
    start, end, step = (x.item() if isinstance(x, Tensor) else x for x in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().np
    if npd.kind == "f":
        arr = (start + step * np.arange(n, dtype=np.float64)).astype(npd)
    else:
        arr = (int(start) + int(step) * np.arange(n, dtype=np.int64)).astype(npd)
    return _out(arr, requires_grad)
