"""Threads: ``ember.set_num_threads``/``get_num_threads`` control the BLAS (OpenBLAS) pool
behind NumPy, as ``torch.set_num_threads`` controls PyTorch's intra-op pool.

Small GEMMs (the phone-price MLP: 64x20 @ 20x128) gain nothing from BLAS threads, and on a busy
machine spinning BLAS threads make each step many times slower. ``blas_threads(1)`` lowers the
count for the duration of a ``with`` block when NumPy uses OpenBLAS; elsewhere it does nothing.
Setting ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` yourself takes precedence.
"""
import contextlib
import ctypes
import os

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")


_CACHE = []


def _openblas():
    if not _CACHE:
        _CACHE.append(_find_openblas())
    return _CACHE[0]


def _find_openblas():
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        if not os.path.exists(path):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        get = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        put = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        if get is not None and put is not None:
            get.restype = ctypes.c_int
            put.argtypes = [ctypes.c_int]
            return get, put
    return None


@contextlib.contextmanager
def blas_threads(n):
    """Run the block with at most ``n`` OpenBLAS threads (no-op without OpenBLAS or when the
    user set ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``)."""
    lib = None if ("OPENBLAS_NUM_THREADS" in os.environ or "OMP_NUM_THREADS" in os.environ) else _openblas()
    if lib is None:
        yield
        return
    get, put = lib
    before = get()
    put(max(1, min(n, before)))
    try:
        yield
    finally:
        put(before)


def set_num_threads(n):
    """Use at most ``n`` BLAS threads for matrix products (no-op if NumPy's BLAS is not OpenBLAS).

    Small products (an MLP at batch 16) run fastest on one thread, big convolutions on all cores.

    Example:
        >>> ember.set_num_threads(1)
    """
    if int(n) < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    lib = _openblas()
    if lib is not None:
        lib[1](int(n))


def get_num_threads():
    """The number of BLAS threads matrix products may use."""
    lib = _openblas()
    return lib[0]() if lib is not None else (os.cpu_count() or 1)
