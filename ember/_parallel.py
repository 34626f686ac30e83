"""Threads: ember's own worker threads for the big kernels, and the BLAS pool behind NumPy.

One policy for a whole training step: ``ember.set_num_threads(n)`` (default: the environment's
``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``, else all cores) lets ember's batch-chunked kernels
(convolution, pooling, layout copies) share their chunks out to n threads (``run_chunks``,
``parallel_batches``; NumPy releases the GIL in copies and GEMMs), while NumPy's BLAS (OpenBLAS)
is held at one thread, so ember never runs more threads than asked for and no idle BLAS thread
spins on a core ember's threads need. Without OpenBLAS (whose pool ember cannot resize) the
kernels run on the calling thread. ``blas_threads(k)`` lowers the BLAS pool for a ``with`` block.
"""
import contextlib
import contextvars
import ctypes
import os
import threading

import numpy as np

__all__ = ["set_num_threads", "get_num_threads"]

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")
_CORE_NAMES = ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
               "openblas_get_corename")

# Smallest batch-parallel copy/pool worth handing to the worker threads.
PARALLEL_MIN_BYTES = 1 << 20
# Smallest ``split_rows`` call (elements it touches) worth sharing out. Below it the parts' many
# small NumPy calls, each holding the GIL, make the threads queue for it: measured at 2 threads,
# GELU's forward on 2^17 elements took 504 us split against 381 us whole, on 2^19 964 against
# 1665; attention at batch 4 x 4 heads x 64 x 32 1145 against 618 us, at batch 16 1773 against 2224.
SPLIT_MIN_ELEMENTS = 1 << 19

_CACHE = []
_CORE = []         # OpenBLAS's core name, once asked for
_POOL = []         # [helper threads, the pid that made them]
_COUNT = []        # ember's thread count, once decided
_RUNNING = threading.Lock()      # held while helpers run a hand-off (a nested or concurrent call runs alone)


# -- the BLAS pool ----------------------------------------------------------------------------
def _openblas():
    if not _CACHE:
        _CACHE.append(_find_openblas())
    return _CACHE[0]


def _openblas_paths():
    """The OpenBLAS libraries loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return []
    return [p for p in sorted(paths) if os.path.exists(p)]


def _find_openblas():
    for path in _openblas_paths():
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


def blas_core():
    """The kernel set OpenBLAS runs (``"skylakex"``, ``"haswell"``, ...; lower case), or ``""``
    without OpenBLAS."""
    if not _CORE:
        _CORE.append(_core_name())
    return _CORE[0]


def _core_name():
    if _openblas() is None:
        return ""
    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        name = next((getattr(lib, n) for n in _CORE_NAMES if hasattr(lib, n)), None)
        if name is not None:
            name.restype = ctypes.c_char_p
            return (name() or b"").decode("ascii", "replace").lower()
    return ""


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


def _from_environment():
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        try:
            n = int(os.environ.get(var, ""))
        except ValueError:
            continue
        if n >= 1:
            return n
    return None


def _thread_count():
    """ember's thread count: ``set_num_threads``, else the environment, else the BLAS pool's size
    (all cores by default). Decided once; deciding it applies the policy below."""
    if not _COUNT:
        lib = _openblas()
        _apply(_from_environment() or (lib[0]() if lib is not None else os.cpu_count() or 1))
    return _COUNT[0]


def _apply(n):
    """One policy for the whole step: with OpenBLAS, BLAS runs on one thread and ember's own
    threads (``workers``) split the big kernels n ways. (BLAS threads that are left spinning
    after one GEMM take the cores ember's threads need: the CIFAR-10 step at 2 threads took 78 ms
    with both pools, 47 ms with this.)"""
    _COUNT[:] = [n]
    lib = _openblas()
    if lib is not None and lib[0]() != 1:
        lib[1](1)


def set_num_threads(n):
    """Use at most ``n`` threads: ember's kernels (convolution, pooling, layout copies) split
    their work ``n`` ways; NumPy's BLAS (OpenBLAS) runs on one thread.

    Example:
        >>> ember.set_num_threads(1)
    """
    if int(n) < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _apply(int(n))


def get_num_threads():
    """The number of threads ember's kernels may use."""
    return _thread_count()


# -- ember's worker threads -------------------------------------------------------------------
def workers():
    """Threads for the chunk loops: the thread count when BLAS can be held at one thread
    (OpenBLAS), else 1."""
    if _openblas() is None:
        return 1
    return _thread_count()


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


class _Helper:
    """A persistent helper thread that runs one function per hand-off: two locks and no queue,
    so a hand-off costs a lock release and a wake-up (about half of a thread pool's submit and
    result)."""
    __slots__ = ("_go", "_done", "_fn", "_result", "_error")

    def __init__(self, i):
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._fn = self._result = self._error = None
        threading.Thread(target=self._loop, name=f"ember-conv-{i}", daemon=True).start()

    def _loop(self):
        while True:
            self._go.acquire()
            try:
                self._result = self._fn()
            except BaseException as e:       # handed to the caller by wait()
                self._error = e
            self._fn = None
            self._done.release()

    def start(self, fn):
        self._fn, self._result, self._error = fn, None, None
        self._go.release()

    def wait(self):
        self._done.acquire()
        error, self._error = self._error, None
        if error is not None:
            raise error
        return self._result


def _helpers(n):
    """``n`` helper threads of this process (made again in a forked child, which inherits the
    objects but not their threads)."""
    if not _POOL or _POOL[1] != os.getpid():
        _POOL[:] = [[], os.getpid()]
    helpers = _POOL[0]
    while len(helpers) < n:
        helpers.append(_Helper(len(helpers) + 1))
    return helpers[:n]


def run_chunks(chunks, nw, init, work):
    """``work(state, *chunk)`` for every chunk (e.g. ``(start, stop)``); each worker has its
    own ``state = init()``.

    With several workers the chunks are shared out dynamically (a slow or descheduled thread
    takes fewer), each GEMM runs single-threaded, and NumPy releases the GIL in copies and GEMMs.
    The calling thread is one of the workers. A call made while another is sharing out (from a
    worker, or from a second user thread) runs on its own thread. Returns the workers' states.
    An exception in any worker is raised here, after every worker has stopped.
    """
    nw = min(nw, len(chunks))
    it = iter(chunks)

    def worker():
        state = init()
        for c in it:             # list iterators hand out each item once, also across threads
            work(state, *c)
        return state
    if nw <= 1 or not _RUNNING.acquire(blocking=False):
        return [worker()]
    try:
        helpers = _helpers(nw - 1)
        with _single_threaded_blas():
            for h in helpers:
                h.start(worker)
            try:
                states = [worker()]
            finally:
                error, others = None, []
                for h in helpers:                # every helper has finished before anything is raised
                    try:
                        others.append(h.wait())
                    except BaseException as e:
                        error = error or e
            if error is not None:
                raise error
    finally:
        _RUNNING.release()
    return states + others


def parallel_batches(N, fn, nbytes, block_bytes=None):
    """``fn(start, stop)`` over ranges of the batch, on ember's threads when there is enough
    work (``nbytes`` touched in all) to pay for the hand-off. With ``block_bytes``, each range
    is run in sub-ranges touching about that many bytes, so a multi-pass kernel (a max-pool's
    compare, copy and mask) finds each pass's input still in cache."""
    nw = workers() if nbytes >= PARALLEL_MIN_BYTES and N > 1 else 1
    if block_bytes and nbytes > block_bytes and N > 1:
        k = max(1, block_bytes * N // nbytes)
        whole = fn

        def fn(start, stop):
            for s in range(start, stop, k):
                whole(s, min(stop, s + k))
    if nw <= 1:
        fn(0, N)
        return
    n = -(-N // (2 * nw))
    run_chunks([(s, min(N, s + n)) for s in range(0, N, n)], nw, lambda: None, lambda st, s, e: fn(s, e))


def split_rows(fn, arrays, *rest, elements=None):
    """``fn(*arrays, *rest)`` with ``arrays`` cut along their first axis into ranges shared out to
    ember's threads, and the results (an array, or a tuple of arrays and Nones, each with that
    first axis) joined back along it.

    For kernels whose every row comes from the same rows of their inputs (GELU, a layer norm's
    rows, attention's batch of heads): each range runs the very same NumPy calls on its rows, so
    the result is bitwise the whole call's. The whole call runs on the calling thread when one
    thread is set, when an array neither is cut nor broadcasts, or when the work (``elements``,
    default the first array's size) is below ``SPLIT_MIN_ELEMENTS``. Each range runs in a copy of
    the caller's context (NumPy's ``errstate`` holds there too).

    Example:
        >>> split_rows(np.add, (np.ones((4, 3)), np.ones((4, 3))))[0]
        array([2., 2., 2.])
    """
    first = arrays[0]
    n, nd = (first.shape[0], first.ndim) if first.ndim else (1, 0)
    if elements is None:
        elements = first.size
    nw = workers() if elements >= SPLIT_MIN_ELEMENTS and n > 1 else 1
    if nw > 1:
        split = [a is not None and a.ndim == nd and a.shape[0] == n for a in arrays]
        if any(a is not None and not s and (a.ndim > nd or a.ndim == nd and a.shape[0] != 1)
               for a, s in zip(arrays, split)):
            nw = 1                # an array neither cut like the first nor broadcast against it
    if nw <= 1:
        return fn(*arrays, *rest)
    parts = min(n, 2 * nw)
    cuts = [i * n // parts for i in range(parts + 1)]
    results = [None] * parts
    contexts = [contextvars.copy_context() for _ in range(nw)]

    def work(ctx, i):
        s, e = cuts[i], cuts[i + 1]
        sliced = [a[s:e] if cut else a for a, cut in zip(arrays, split)]
        results[i] = ctx.run(fn, *sliced, *rest)
    run_chunks([(i,) for i in range(parts)], nw, contexts.pop, work)
    if results[0] is None:
        return None
    if not isinstance(results[0], tuple):
        return np.concatenate(results)
    return tuple(None if r is None else np.concatenate([p[j] for p in results])
                 for j, r in enumerate(results[0]))


_thread_count()        # the policy holds from import on
