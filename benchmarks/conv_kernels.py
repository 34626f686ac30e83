"""The kernel choices inside ember's convolution and pooling path, each timed against the
alternative it replaced, on the CIFAR-10 network's shapes at batch 64 (ember only; the ratios
against PyTorch come from ``run.py``).

- GEMM forms: a plain 1024^3 product (OpenBLAS's rate here), a conv chunk's rows-form product (512, 800) @ (800, 32) whole, in blocks of rows one
  call each, and in blocks of whole 16s in one stacked call (``_gemm.matmul_row_blocks``); a
  weight-gradient chunk (32, 512) @ (512, 800) whole and as ``cols.T @ G.T`` in blocks of result rows.
- Skipping the kernel rows that fall on the padding (``_conv_fast.SKIP_PADDING_MIN``): the 8x8
  layer's forward (32 -> 64 channels, 5x5, padding 2).
- Max pools in cache-sized runs of images (``_pool_layout.BLOCK_BYTES``): the first 2x2 pool,
  forward and backward, on (64, 32, 32, 32).
- BatchNorm2d(64) forward and backward on (32, 64, 16, 16) with its per-channel sums through BLAS
  (``channel_sums``) or NumPy's reduction.

Each figure is the first quartile of the time of many calls (the calling thread's CPU time at one
thread, wall time at more), the variants of a pair alternated in blocks. Run with ``OPENBLAS_CORETYPE`` as you want it (the core type in use
is printed; the small-matrix blocks apply to SkylakeX-class cores only).

    python benchmarks/conv_kernels.py [--threads 1] [--rounds 15]
"""
import argparse
import time

import numpy as np

import ember
from ember import _parallel
from ember.ops import _conv_fast, _gemm, _im2col, _norm_kernels, _pool_layout, normalization, pool


def _alternate(variants, rounds, calls=4):
    """{name: q25 time in ms} of ``variants`` ({name: (setup, fn)}), blocks alternated."""
    clock = time.thread_time if ember.get_num_threads() == 1 else time.perf_counter
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (setup, fn) in variants.items():
            setup()
            fn()
            for _ in range(calls):
                t = clock()
                fn()
                times[name].append(clock() - t)
    return {name: sorted(v)[len(v) // 4] * 1e3 for name, v in times.items()}


def _report(title, result, flops=None):
    parts = []
    for name, ms in result.items():
        rate = f", {flops / ms / 1e6:.0f} GFLOP/s" if flops else ""
        parts.append(f"{name} {ms:.3f} ms{rate}")
    print(f"{title}: " + "; ".join(parts))


def gemm_forms(rng, rounds):
    big = rng.standard_normal((1024, 1024)).astype(np.float32)
    big_out = np.empty_like(big)
    _report("plain (1024, 1024) @ (1024, 1024)", _alternate({
        "OpenBLAS": (lambda: None, lambda: np.matmul(big, big, out=big_out))}, rounds), 2 * 1024 ** 3)
    a = rng.standard_normal((512, 800)).astype(np.float32)
    w = rng.standard_normal((800, 32)).astype(np.float32)
    out = np.empty((512, 32), np.float32)
    step = _gemm.small_rows(512, 800 * 32)

    def loop(n=39):
        for s in range(0, 512, n):
            np.matmul(a[s:s + n], w, out=out[s:s + n])
    nothing = (lambda: None)
    _report(f"rows-form chunk (512, 800) @ (800, 32), block {step}", _alternate({
        "whole": (nothing, lambda: np.matmul(a, w, out=out)),
        "blocks of 39, a call each": (nothing, loop),
        f"stacked blocks of {step}": (nothing, lambda: _gemm.matmul_row_blocks(a, w, out, step))}, rounds * 10),
        2 * 512 * 800 * 32)

    g = rng.standard_normal((32, 512)).astype(np.float32)
    out_t = np.empty((800, 32), np.float32)
    out_g = np.empty((32, 800), np.float32)
    step = _gemm.small_rows(800, 512 * 32)
    _report(f"weight-gradient chunk (32, 512) @ (512, 800), block {step}", _alternate({
        "G @ cols": (nothing, lambda: np.matmul(g, a, out=out_g)),
        "cols.T @ G.T in blocks": (nothing, lambda: _gemm.matmul_row_blocks(a.T, g.T, out_t, step))}, rounds * 10),
        2 * 512 * 800 * 32)


def padding_skip(rng, rounds):
    x = rng.standard_normal((64, 32, 8, 8)).astype(np.float32)
    w = rng.standard_normal((64, 32, 5, 5)).astype(np.float32)
    geo = _im2col.Geometry(64, 32, 8, 8, 64, 5, 5, (1, 1), (1, 1), (2, 2, 2, 2), 1)
    wm = _im2col.wmat(w, 1)
    xp = _conv_fast.padded_input(x, geo, keep=True)
    default = _conv_fast.SKIP_PADDING_MIN

    def run():
        _conv_fast.conv_forward(xp, wm, geo, np.float32)
    _report("conv 32 -> 64, 5x5 padding 2, on (64, 32, 8, 8), forward", _alternate({
        "every kernel row": (lambda: setattr(_conv_fast, "SKIP_PADDING_MIN", float("inf")), run),
        "padding rows skipped": (lambda: setattr(_conv_fast, "SKIP_PADDING_MIN", default), run)}, rounds))
    _conv_fast.SKIP_PADDING_MIN = default


def pool_runs(rng, rounds):
    v = rng.standard_normal((64, 32, 32, 32)).astype(np.float32)
    geo = _pool_layout.PoolGeometry(32, 32, (2, 2), (2, 2), (0, 0), (1, 1), False)
    out = pool._max_taps(v, 2, geo)
    g = rng.standard_normal(out.shape).astype(np.float32)
    default = _pool_layout.BLOCK_BYTES

    def setting(value):
        return lambda: setattr(_pool_layout, "BLOCK_BYTES", value)
    for what, fn in (("forward", lambda: pool._max_taps(v, 2, geo)),
                     ("backward", lambda: _pool_layout.max_backward_tiled(v, out, g, 2, geo))):
        _report(f"max pool 2x2 on (64, 32, 32, 32), {what}", _alternate({
            "whole batch per pass": (setting(None), fn),
            f"runs of {default >> 10} kB": (setting(default), fn)}, rounds))
    _pool_layout.BLOCK_BYTES = default


def batch_norm(rng, rounds):
    x = ember.tensor(rng.standard_normal((32, 64, 16, 16)).astype(np.float32), requires_grad=True)
    g = ember.tensor(rng.standard_normal((32, 64, 16, 16)).astype(np.float32))
    bn = ember.nn.BatchNorm2d(64)
    fast = _norm_kernels.channel_sums

    def numpy_sums(a):
        return np.add.reduce(a, axis=(0,) + tuple(range(2, a.ndim)))

    def run():
        bn(x).backward(g)
    _report("BatchNorm2d(64) forward + backward on (32, 64, 16, 16)", _alternate({
        "NumPy reductions": (lambda: setattr(normalization, "channel_sums", numpy_sums), run),
        "channel_sums": (lambda: setattr(normalization, "channel_sums", fast), run)}, rounds))
    normalization.channel_sums = fast


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="ember's thread count (default 1)")
    ap.add_argument("--rounds", type=int, default=15, help="alternated blocks per variant")
    args = ap.parse_args()
    ember.set_num_threads(args.threads)
    print(f"threads {ember.get_num_threads()}; OpenBLAS core {_parallel.blas_core() or 'unknown'}")
    rng = np.random.default_rng(0)
    gemm_forms(rng, args.rounds)
    padding_skip(rng, args.rounds)
    pool_runs(rng, args.rounds)
    batch_norm(rng, args.rounds)


if __name__ == "__main__":
    main()
