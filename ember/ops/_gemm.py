"""Big matrix products shared out over ember's threads: the speed-up beside ``linalg.py``'s math.

ember's thread policy (``ember/_parallel.py``) holds OpenBLAS at one thread, so that no idle BLAS
thread spins on a core ember's own threads need. A big product would then use one core:
``gemm(a, b)`` cuts the rows of ``a @ b`` into parts on 64-row boundaries and runs the parts on
ember's threads, each a single-threaded GEMM writing its rows of the result. Every element is
still a dot product over the whole of K: with OpenBLAS's SkylakeX and Sandybridge kernels the
result is bitwise ``a @ b``; the Haswell and Zen kernels round a part's rows differently from the
whole's, so there results on 2 threads differ from 1 thread's by float32 round-off
(``tests/ops/test_gemm.py``). Small products, one thread, and other dtypes than float32 are
``a @ b`` itself (float64's kernels are not bitwise under a split even on SkylakeX).

Example:
    >>> gemm(np.ones((2048, 512), np.float32), np.ones((512, 512), np.float32))[0, 0]
    np.float32(512.0)
"""
import numpy as np

from .._parallel import run_chunks, workers

# Below this many multiply-adds a product is not worth a hand-off (about 0.1 ms on one core).
MIN_MULTIPLY_ADDS = 1 << 23
ROW_ALIGN = 64


def gemm(a, b):
    """``a @ b``; for 2-D float32 arrays above ``MIN_MULTIPLY_ADDS`` its rows shared out over ember's threads."""
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype != np.float32:
        return a @ b
    m, k = a.shape
    n = b.shape[1]
    nw = workers()
    if nw <= 1 or m * n * k < MIN_MULTIPLY_ADDS or m < 2 * ROW_ALIGN or k != b.shape[0]:
        return a @ b
    step = -(-m // nw)             # one even part per thread (a third part would leave one waiting)
    step = -(-step // ROW_ALIGN) * ROW_ALIGN
    out = np.empty((m, n), a.dtype)
    run_chunks([(s, min(m, s + step)) for s in range(0, m, step)], nw, lambda: None,
               lambda _, s, e: np.matmul(a[s:e], b, out=out[s:e]))
    return out
