"""A restricted unpickler for data files (CIFAR batches) that may come from anywhere.

Pickle can call any importable function while loading, so a crafted file could run code.
``safe_load`` resolves only the few globals a NumPy-array-in-a-dict file needs; anything else
stops the load with ``pickle.UnpicklingError`` before it is called.
"""
import codecs
import pickle

import numpy as np

__all__ = ["safe_load"]

_reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]   # numpy's array rebuilder, whatever its module
_scalar = np.float64(0).__reduce__()[0]                 # numpy's scalar rebuilder


def _encode(obj, encoding="latin1", errors="strict"):
    # Python 3 pickles bytes with protocol < 3 as _codecs.encode(text, 'latin1'); allow only that.
    if codecs.lookup(encoding).name != "iso8859-1" or not isinstance(obj, str):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return obj.encode("latin1", errors)


def _dtype(*args):
    d = np.dtype(*args)
    if d.hasobject:
        raise pickle.UnpicklingError("refusing a NumPy object dtype: data files hold plain numbers")
    return d


def _frombuffer(buf, dtype, shape, order):
    # protocol-5 pickles of arrays: a copy of the bytes viewed as ``dtype``
    arr = np.frombuffer(bytes(buf), dtype=_dtype(dtype)).reshape(shape, order=order)
    return arr.copy(order="K")


class _NDArrayName:
    """What the name ``numpy.ndarray`` resolves to: an argument for ``_reconstruct`` only. The real
    class would let a file call ``ndarray(shape)`` and get memory that no byte of the file backs."""


def _empty_array(subtype, shape, dtype):
    # NumPy pickles ``_reconstruct(ndarray, (0,), b'b')`` and then sets shape and bytes with
    # ``__setstate__``, which checks that the bytes fill the shape. Any other call would return
    # uninitialised memory of the size the file asks for, so it is refused.
    if subtype is not _NDArrayName:
        raise pickle.UnpicklingError("refusing _reconstruct of a class other than numpy.ndarray")
    if not isinstance(shape, tuple) or shape != (0,):
        raise pickle.UnpicklingError(f"refusing an array of shape {str(shape)[:60]} that no bytes in the file back "
                                     f"(a NumPy pickle starts every array empty)")
    return _reconstruct(np.ndarray, (0,), b"b")


_ALLOWED = {
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy.core.multiarray", "_reconstruct"): _empty_array,
    ("numpy._core.multiarray", "_reconstruct"): _empty_array,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy", "ndarray"): _NDArrayName,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source, **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module, name):
        obj = _ALLOWED.get((module, name))
        if obj is None:
            raise pickle.UnpicklingError(
                f"{self._source}: refusing to load '{module}.{name}'. This file should hold only dicts, lists, "
                f"strings, bytes, numbers and NumPy arrays, so it is corrupted or malicious; nothing in it was "
                f"run. Delete it and download the data set again.")
        return obj

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(f"{self._source}: refusing a persistent id in a data file")


def safe_load(path, encoding="latin1"):
    """Unpickle ``path`` allowing only plain containers, numbers, strings and NumPy arrays.

    Example:
        >>> batch = safe_load("cifar-10-batches-py/data_batch_1")
        >>> batch["data"].shape
        (10000, 3072)
    """
    with open(path, "rb") as f:
        try:
            return _RestrictedUnpickler(f, str(path), encoding=encoding).load()
        except pickle.UnpicklingError:
            raise
        except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
            raise pickle.UnpicklingError(f"{path}: not a valid pickle file ({type(e).__name__}: {e}); "
                                         f"delete it and download the data set again") from e
