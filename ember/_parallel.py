"""Threads: the BLAS pool behind NumPy and ember's own worker threads for batch-chunked kernels.

``ember.set_num_threads``/``get_num_threads`` control the BLAS (OpenBLAS) pool behind NumPy, as
``torch.set_num_threads`` controls PyTorch's intra-op pool.

Small GEMMs (the phone-price MLP: 64x20 @ 20x128) gain nothing from BLAS threads, and on a busy
machine spinning BLAS threads make each step many times slower. ``blas_threads(1)`` lowers the
count for the duration of a ``with`` block when NumPy uses OpenBLAS; elsewhere it does nothing.
Setting ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` yourself takes precedence.

Big batch-chunked kernels (conv, pooling, layout copies) share their chunks out to
``workers()`` threads instead (``run_chunks``, ``parallel_batches``): as many as the thread
count (``set_num_threads`` or the environment), and meanwhile BLAS runs on one thread, so ember
never runs more threads than asked for. NumPy releases the GIL in copies and GEMMs, so the
threads run side by side.
"""
import contextlib
import ctypes
import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["set_num_threads", "get_num_threads"]

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")

# Smallest batch-parallel copy/pool worth handing to the worker threads.
PARALLEL_MIN_BYTES = 1 << 20

_CACHE = []
_POOL = []


# -- the BLAS pool ----------------------------------------------------------------------------
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


def _adjustable_blas():
    """OpenBLAS's (get, set) pair when ember may change its thread count: None without OpenBLAS
    or when the user set ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``."""
    if "OPENBLAS_NUM_THREADS" in os.environ or "OMP_NUM_THREADS" in os.environ:
        return None
    return _openblas()


@contextlib.contextmanager
def blas_threads(n):
    """Run the block with at most ``n`` OpenBLAS threads (no-op without OpenBLAS or when the
    user set ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``)."""
    lib = _adjustable_blas()
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


# -- ember's worker threads -------------------------------------------------------------------
def workers():
    """Threads for the chunk loops: the thread count (``set_num_threads``, or the BLAS pool's
    size from ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``) when ember can lower BLAS to one
    thread while its own threads run (OpenBLAS); else 1."""
    if _openblas() is None:
        return 1
    return get_num_threads()


@contextlib.contextmanager
def _single_threaded_blas():
    """One policy for the step: while ember's own threads share out chunks, BLAS runs on one
    thread (also when the user set the thread count by environment: the total stays theirs)."""
    lib = _openblas()
    if lib is None:
        yield
        return
    get, put = lib
    before = get()
    if before != 1:
        put(1)
    try:
        yield
    finally:
        if before != 1:
            put(before)


def run_chunks(chunks, nw, init, work):
    """``work(state, *chunk)`` for every chunk (e.g. ``(start, stop)``); each worker has its
    own ``state = init()``.

    With several workers the chunks are shared out dynamically (a slow or descheduled thread
    takes fewer), each GEMM runs single-threaded, and NumPy releases the GIL in copies and GEMMs.
    Returns the workers' states. An exception in any worker is raised here.
    """
    nw = min(nw, len(chunks))
    it = iter(chunks)

    def worker():
        state = init()
        for c in it:             # list iterators hand out each item once, also across threads
            work(state, *c)
        return state
    if nw <= 1:
        return [worker()]
    # (A forked child, e.g. a DataLoader worker, inherits the pool object but not its threads.)
    if not _POOL or _POOL[0]._max_workers < nw - 1 or _POOL[1] != os.getpid():
        _POOL[:] = [ThreadPoolExecutor(max_workers=nw - 1, thread_name_prefix="ember-conv"), os.getpid()]
    with _single_threaded_blas():
        futures = [_POOL[0].submit(worker) for _ in range(nw - 1)]
        states = [worker()]
        states += [f.result() for f in futures]
    return states


def parallel_batches(N, fn, nbytes):
    """``fn(start, stop)`` over ranges of the batch, on ember's threads when there is enough
    work (``nbytes`` touched in all) to pay for the hand-off."""
    nw = workers() if nbytes >= PARALLEL_MIN_BYTES and N > 1 else 1
    if nw <= 1:
        fn(0, N)
        return
    n = -(-N // (2 * nw))
    run_chunks([(s, min(N, s + n)) for s in range(0, N, n)], nw, lambda: None, lambda st, s, e: fn(s, e))
