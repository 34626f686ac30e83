"""Big products shared out over ember's threads (ember/ops/_gemm.py): ``a @ b`` on any thread
count (bitwise with OpenBLAS's SkylakeX and Sandybridge kernels, to float32 round-off with the
Haswell and Zen ones), and the split is really taken above the threshold."""
import numpy as np
import pytest
import torch

import ember
from ember.ops import _gemm


def _blas_architecture():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return next((i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"), None)


# OpenBLAS kernels whose float32 GEMM gives a row block of the product bitwise as the whole does
BITWISE = _blas_architecture() in ("SkylakeX", "Sandybridge", "Cooperlake", "SapphireRapids")


def _same(a, b):
    if BITWISE:
        return np.array_equal(a, b)
    return np.allclose(a, b, rtol=1e-5, atol=1e-5 * float(np.abs(b).max()))


@pytest.fixture
def threads():
    before = ember.get_num_threads()
    yield ember.set_num_threads
    ember.set_num_threads(before)


@pytest.fixture
def splits(monkeypatch):
    seen = []
    real = _gemm.run_chunks

    def counting(chunks, nw, init, work):
        seen.append(len(chunks))
        return real(chunks, nw, init, work)
    monkeypatch.setattr(_gemm, "run_chunks", counting)
    return seen


SHAPES = [(1024, 256, 512), (1000, 333, 517), (700, 200, 1000), (130, 1024, 1024)]


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("layout", ["NN", "TN", "NT"])
def test_split_product_is_bitwise_the_plain_one(threads, splits, m, k, n, layout, dtype=np.float32):
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    if layout[0] == "T":
        a = np.ascontiguousarray(a.T).T
    if layout[1] == "T":
        b = np.ascontiguousarray(b.T).T
    threads(2)
    out = _gemm.gemm(a, b)
    assert splits and _same(out, a @ b)
    threads(1)
    assert _same(_gemm.gemm(a, b), out)


def test_small_mixed_and_batched_products_are_plain(threads, splits):
    threads(2)
    rng = np.random.default_rng(0)
    small = rng.standard_normal((64, 64)).astype(np.float32)
    mixed = (rng.standard_normal((1024, 512)).astype(np.float32), rng.standard_normal((512, 512)))
    wide = (rng.standard_normal((1024, 512)), rng.standard_normal((512, 512)))      # float64: plain
    batched = rng.standard_normal((4, 256, 256)).astype(np.float32)
    for a, b in [(small, small), mixed, wide, (batched, batched), (np.ones((512, 512), np.int64),) * 2]:
        assert np.array_equal(_gemm.gemm(a, b), a @ b)
    assert splits == []


@pytest.mark.parametrize("shape", [(1024, 512), (8, 128, 512)])
def test_linear_on_two_threads_matches_one_thread_and_torch(threads, splits, shape):
    rng = np.random.default_rng(1)
    xs = rng.standard_normal(shape).astype(np.float32)
    results = []
    for n in (1, 2):
        threads(n)
        ember.manual_seed(0)
        m = ember.nn.Linear(512, 256)
        x = ember.tensor(xs, requires_grad=True)
        y = m(x)
        (y * y).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()))
    assert splits
    for a, b in zip(*results):
        assert _same(a, b)
    torch.manual_seed(0)
    tm = torch.nn.Linear(512, 256)
    tx = torch.tensor(xs, requires_grad=True)
    ty = tm(tx)
    (ty * ty).sum().backward()
    for a, b in zip(results[1], (ty.detach(), tx.grad, tm.weight.grad, tm.bias.grad)):
        np.testing.assert_allclose(a, b.numpy(), rtol=2e-4, atol=2e-3)


def test_blas_core_names_the_kernels_openblas_runs():
    arch = _blas_architecture()
    if arch is None:
        pytest.skip("threadpoolctl does not see OpenBLAS here")
    assert ember._parallel.blas_core() == arch.lower()


@pytest.mark.parametrize("core, n, other, block", [
    ("skylakex", 1024, 32 * 75, 416),      # a few-channel conv's planes: three blocks of 416 pixels
    ("skylakex", 75, 1024 * 32, 30),       # its weight gradient: blocks of 30 taps x channels
    ("skylakex", 225, 96 * 363, 225),      # 9 blocks of 28 would be too many: one product
    ("skylakex", 200, 1000, 200),          # small already: one product
    ("sapphirerapids", 1024, 2400, 416),
    ("haswell", 1024, 32 * 75, 1024),      # no small-matrix kernels: one product
    ("", 1024, 32 * 75, 1024),             # no OpenBLAS
])
def test_small_block_keeps_blocks_on_the_small_matrix_kernels(core, n, other, block, monkeypatch):
    monkeypatch.setattr(_gemm, "blas_core", lambda: core)
    assert _gemm.small_block(n, other) == block
    assert block * other <= _gemm.SMALL_MULTIPLY_ADDS or block == n


@pytest.mark.parametrize("core, n, other, block", [
    ("skylakex", 512, 800 * 32, 32),       # a 32 -> 32 5x5 conv's rows: 39 fit, cut to 32 (whole 16s)
    ("skylakex", 640, 800 * 64, 16),       # 19 fit: 16
    ("skylakex", 20, 800 * 32, 20),        # fewer rows than a block: one product
    ("skylakex", 512, 1152 * 128, 512),    # blocks of 6 rows would be too short: one product
    ("haswell", 512, 800 * 32, 512),
])
def test_small_rows_blocks_any_number_down_to_sixteen_rows(core, n, other, block, monkeypatch):
    monkeypatch.setattr(_gemm, "blas_core", lambda: core)
    assert _gemm.small_rows(n, other) == block


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("n, step", [(100, 32), (96, 32), (20, 32), (7, 1), (64, 64)])
def test_matmul_row_blocks_is_the_product_block_by_block(n, step, transposed):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((11, n) if transposed else (n, 11)).astype(np.float32)
    a = a.T if transposed else a
    b = rng.standard_normal((11, 6)).astype(np.float32)
    out = np.full((n, 6), np.nan, np.float32)
    assert _gemm.matmul_row_blocks(a, b, out, step) is out
    expected = np.concatenate([a[s:s + step] @ b for s in range(0, n, step)])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
