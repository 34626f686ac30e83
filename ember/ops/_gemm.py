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

from .._parallel import blas_core, run_chunks, workers

# Below this many multiply-adds a product is not worth a hand-off (about 0.1 ms on one core).
MIN_MULTIPLY_ADDS = 1 << 23
ROW_ALIGN = 64
# OpenBLAS's AVX-512 cores run a float32 product of at most SMALL_MULTIPLY_ADDS multiply-adds on
# "small-matrix" kernels that skip packing, much faster on the skinny products of few-channel
# convs (measured, 1 thread: (32, 75) @ (75, 1024) at 56 GFLOP/s whole, 95 as three column blocks
# of 416; a block of 32 x 1024 x 32 already takes the packed path). Other cores (Haswell, Zen)
# have no such kernels: there blocks only add calls.
SMALL_KERNEL_CORES = ("skylakex", "cooperlake", "sapphirerapids")
SMALL_MULTIPLY_ADDS = 1_000_000
# Cut a product's columns into at most this many blocks (beyond it the small kernels lost, e.g. a
# (96, 363) @ (363, 225) product in 9 blocks of 28 columns).
SMALL_MAX_BLOCKS = 4
# Blocks of rows of a (rows, K) @ (K, Cout) product win in any number down to blocks of 16 rows,
# best as whole multiples of 16 (OpenBLAS's row tile) multiplied in one stacked call
# (``matmul_row_blocks``; ``benchmarks/conv_kernels.py`` times a (512, 800) @ (800, 32) chunk
# whole, in blocks of 39 rows one call each, and in stacked blocks of 32).
SMALL_MIN_ROWS = 16


def small_block(n, other, max_blocks=SMALL_MAX_BLOCKS, min_block=1):
    """Block length along one dimension (length ``n``) of a product whose other two dimensions
    multiply to ``other``, so that each block runs on OpenBLAS's small-matrix kernels; ``n``
    (one block) when those kernels do not exist here, or the blocks would be more than
    ``max_blocks`` (None: any number) or shorter than ``min_block``.

    Example:
        >>> small_block(1024, 32 * 75)     # 416 on SkylakeX-class OpenBLAS, else 1024
    """
    if blas_core() not in SMALL_KERNEL_CORES:
        return n
    b = SMALL_MULTIPLY_ADDS // max(1, other)
    if b < max(1, min_block) or b >= n or (max_blocks is not None and -(-n // b) > max_blocks):
        return n
    return b


def small_rows(n, other):
    """``small_block`` for the rows of a (rows, K) @ (K, Cout) product (``other = K * Cout``),
    rounded down to a multiple of ``SMALL_MIN_ROWS``."""
    b = small_block(n, other, max_blocks=None, min_block=SMALL_MIN_ROWS)
    return b if b >= n else b // SMALL_MIN_ROWS * SMALL_MIN_ROWS


def matmul_row_blocks(a, b, out, step):
    """``out[...] = a @ b`` for ``a`` (..., n, K) (any strides, e.g. a transposed view) and ``out``
    (..., n, N), as products of blocks of ``step`` rows: the whole blocks in one stacked
    ``np.matmul`` call (NumPy loops over them in C), the remaining rows in a second. Bitwise the
    blocks' products one by one.

    Example:
        >>> a, b = np.ones((100, 8), np.float32), np.ones((8, 4), np.float32)
        >>> matmul_row_blocks(a, b, np.empty((100, 4), np.float32), 32)[99, 3]
        np.float32(8.0)
    """
    n = a.shape[-2]
    if step >= n:
        return np.matmul(a, b, out=out)
    whole = n - n % step
    np.matmul(_row_blocks(a, step, whole), b, out=_row_blocks(out, step, whole))
    if whole < n:
        np.matmul(a[..., whole:, :], b, out=out[..., whole:, :])
    return out


def _row_blocks(a, step, whole):
    """The first ``whole`` rows of ``a`` (..., rows, columns) as a (..., whole / step, step,
    columns) view (splitting one axis never needs a copy; ``copy=False`` makes sure)."""
    return a[..., :whole, :].reshape(a.shape[:-2] + (whole // step, step, a.shape[-1]), copy=False)


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
