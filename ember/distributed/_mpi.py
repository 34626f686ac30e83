"""The one place that imports mpi4py (an optional dependency: ``pip install ember[distributed]``).

Importing ``mpi4py.MPI`` initialises MPI, so it happens on first use, never at ``import ember``.
"""
import importlib.util

import numpy as np

_INSTALL = ("ember.distributed needs mpi4py and an MPI library: pip install 'ember[distributed]' "
            "(it installs the mpi4py and mpich wheels)")


def is_available():
    """True when mpi4py can be imported (without initialising MPI)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def mpi():
    """The ``mpi4py.MPI`` module, or an ImportError that says how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"{_INSTALL} ({e})") from None
    return MPI


# NumPy dtypes mpi4py can reduce directly; float16 (and bool for MAX/MIN) go through a float32/uint8 copy
_NATIVE = {np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8)}


def is_native(dtype):
    return np.dtype(dtype) in _NATIVE
