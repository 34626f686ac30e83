"""ember._parallel: the thread count (ember.set_num_threads / get_num_threads), the BLAS pool held
at one thread (blas_threads) and the worker threads of the batch-chunked kernels (workers,
run_chunks, parallel_batches)."""
import multiprocessing as mp
import threading

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _parallel
from ember.ops import _conv_fast

RNG = np.random.default_rng(0)
needs_openblas = pytest.mark.skipif(_parallel._openblas() is None, reason="NumPy's BLAS is not OpenBLAS")


@pytest.fixture
def restore_threads():
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


@pytest.fixture
def no_blas_env(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_public_names():
    assert ember.set_num_threads is _parallel.set_num_threads
    assert ember.get_num_threads is _parallel.get_num_threads
    assert isinstance(ember.get_num_threads(), int) and ember.get_num_threads() >= 1


@needs_openblas
def test_set_and_get_num_threads(restore_threads):
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(2)
    assert ember.get_num_threads() == 2


@pytest.mark.parametrize("n", [0, -3])
def test_set_num_threads_rejects_non_positive(n):
    with pytest.raises(ValueError, match=f"expected a positive number of threads, got {n}"):
        ember.set_num_threads(n)


def _blas():
    return _parallel._openblas()[0]()


@needs_openblas
def test_blas_threads_lowers_and_restores(restore_threads, no_blas_env):
    _parallel._openblas()[1](2)
    try:
        with _parallel.blas_threads(1):
            assert _blas() == 1
        assert _blas() == 2
        with _parallel.blas_threads(8):          # never raises the count
            assert _blas() == 2
        with pytest.raises(KeyError):
            with _parallel.blas_threads(1):
                raise KeyError("boom")
        assert _blas() == 2
    finally:
        _parallel._openblas()[1](1)


@needs_openblas
def test_user_environment_takes_precedence(restore_threads, no_blas_env, monkeypatch):
    _parallel._openblas()[1](2)
    try:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
        with _parallel.blas_threads(1):          # left alone
            assert _blas() == 2
    finally:
        _parallel._openblas()[1](1)


@needs_openblas
@pytest.mark.parametrize("env", [False, True])
def test_workers_follow_the_thread_count_and_blas_stays_at_one(restore_threads, no_blas_env, monkeypatch, env):
    # One policy: n threads in all. ember's chunk loops use n workers (also when the count came
    # from OPENBLAS_NUM_THREADS) and BLAS runs on one thread.
    ember.set_num_threads(2)
    if env:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert _parallel.workers() == 2 and _blas() == 1
    seen = []
    _parallel.run_chunks([(0, 1), (1, 2)], 2, lambda: None, lambda st, s, e: seen.append(_blas()))
    assert seen == [1, 1]
    assert ember.get_num_threads() == 2 and _blas() == 1
    ember.set_num_threads(1)
    assert _parallel.workers() == 1


@needs_openblas
@pytest.mark.parametrize("var", ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"])
def test_the_environment_sets_the_count_until_set_num_threads(restore_threads, no_blas_env, monkeypatch, var):
    monkeypatch.setattr(_parallel, "_COUNT", [])
    monkeypatch.setenv(var, "3")
    assert ember.get_num_threads() == 3 and _parallel.workers() == 3 and _blas() == 1
    ember.set_num_threads(2)
    assert ember.get_num_threads() == 2


def test_workers_is_one_without_adjustable_blas(monkeypatch):
    monkeypatch.setattr(_parallel, "_openblas", lambda: None)
    assert _parallel.workers() == 1
    with _parallel.blas_threads(1):
        pass


@pytest.mark.parametrize("nw", [1, 2, 3])
def test_run_chunks_does_every_chunk_once(nw):
    chunks = [(s, s + 1) for s in range(10)]
    seen = []
    states = _parallel.run_chunks(chunks, nw, list, lambda st, s, e: (st.append(s), seen.append(s)))
    assert len(states) == min(nw, len(chunks))
    assert sorted(seen) == list(range(10))
    assert sorted(s for st in states for s in st) == list(range(10))   # each worker its own state


def test_run_chunks_uses_other_threads():
    names = set()
    started = threading.Barrier(2, timeout=10)

    def work(st, s, e):
        names.add(threading.current_thread().name)
        if s < 2:
            started.wait()                   # the first two chunks run at the same time
    _parallel.run_chunks([(0, 1), (1, 2)], 2, lambda: None, work)
    assert threading.current_thread().name in names
    assert any(n.startswith("ember-conv") for n in names)


def test_exception_in_a_worker_thread_propagates():
    taken = threading.Event()

    def work(st, s, e):
        if threading.current_thread() is threading.main_thread():
            taken.wait(10)                   # let the pool thread take a chunk
            return
        taken.set()
        raise ValueError(f"bad chunk {s}")
    with pytest.raises(ValueError, match="bad chunk"):
        _parallel.run_chunks([(0, 1), (1, 2)], 2, lambda: None, work)
    # the pool still works afterwards
    assert len(_parallel.run_chunks([(0, 1), (1, 2)], 2, lambda: None, lambda st, s, e: None)) == 2


def test_exception_in_the_calling_thread_propagates():
    taken = threading.Event()

    def work(st, s, e):
        if threading.current_thread() is threading.main_thread():
            taken.set()
            raise ZeroDivisionError("main")
        taken.wait(10)                       # let the calling thread take a chunk
    with pytest.raises(ZeroDivisionError):
        _parallel.run_chunks([(s, s + 1) for s in range(4)], 2, lambda: None, work)


@pytest.mark.parametrize("N", [1, 2, 5, 16])
def test_parallel_batches_covers_the_batch(N, monkeypatch):
    monkeypatch.setattr(_parallel, "workers", lambda: 3)
    ranges = []
    _parallel.parallel_batches(N, lambda s, e: ranges.append((s, e)), 1 << 30)
    covered = sorted(i for s, e in ranges for i in range(s, e))
    assert covered == list(range(N))
    small = []
    _parallel.parallel_batches(N, lambda s, e: small.append((s, e)), 0)    # too little work to share
    assert small == [(0, N)]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("N, block_bytes, runs", [(10, 30, 4), (10, 1, 10), (10, 1000, 1), (1, 1, 1)])
def test_parallel_batches_cuts_ranges_into_cache_sized_runs(N, block_bytes, runs, threads, monkeypatch):
    # 100 bytes over 10 images: blocks of 30 bytes are runs of 3 images
    monkeypatch.setattr(_parallel, "workers", lambda: threads)
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
    ranges = []
    _parallel.parallel_batches(N, lambda s, e: ranges.append((s, e)), 10 * N, block_bytes)
    assert sorted(i for s, e in ranges for i in range(s, e)) == list(range(N))
    assert max(e - s for s, e in ranges) <= -(-N // runs)
    if threads == 1:
        assert len(ranges) == runs


def _conv_pool_step(x, w, g):
    """conv -> max-pool -> conv -> avg-pool, forward and backward: every kernel that shares out
    chunks (and the transposing copies to NCHW, since the grouped conv returns channels-last)."""
    xe = ember.tensor(x, requires_grad=True)
    we = ember.tensor(w, requires_grad=True)
    y = F.avg_pool2d(F.conv2d(F.max_pool2d(F.conv2d(xe, we, padding=1), 2), we, padding=1), 2)
    y = y + F.conv2d(y, ember.tensor(g), groups=2)
    y.backward(ember.ones(*y.shape))
    return y._data, xe.grad._data, we.grad._data


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("chunk_bytes", [1, 2000, 1 << 20])
def test_threads_give_identical_results(n, chunk_bytes, monkeypatch):
    # The cut into chunks depends on the geometry only and the weight gradient's partial sums
    # are added in a fixed order: any number of threads gives bitwise the same numbers.
    # (1 byte: bands of one output row; 2000: bands of a few rows; 1 MiB: whole images.)
    x = RNG.standard_normal((6, 4, 12, 12)).astype(np.float32)
    w = RNG.standard_normal((4, 4, 3, 3)).astype(np.float32)
    g = RNG.standard_normal((4, 2, 1, 1)).astype(np.float32)
    monkeypatch.setattr(_conv_fast, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(_conv_fast, "WGRAD_CHUNK_BYTES", chunk_bytes)
    with _parallel.blas_threads(1):
        monkeypatch.setattr(_parallel, "workers", lambda: 1)
        y1, gx1, gw1 = _conv_pool_step(x, w, g)
        monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(_parallel, "workers", lambda: n)
        y, gx, gw = _conv_pool_step(x, w, g)
    np.testing.assert_array_equal(y, y1)
    np.testing.assert_array_equal(gx, gx1)
    np.testing.assert_array_equal(gw, gw1)


def test_parallel_batches_identical_to_one_call(monkeypatch):
    x = RNG.standard_normal((7, 5, 3)).astype(np.float32)
    ref = np.cumsum(x, axis=1)
    out = np.empty_like(x)

    def fn(s, e):
        np.cumsum(x[s:e], axis=1, out=out[s:e])
    monkeypatch.setattr(_parallel, "workers", lambda: 2)
    _parallel.parallel_batches(len(x), fn, 1 << 30)
    np.testing.assert_array_equal(out, ref)


def test_pool_is_rebuilt_in_a_forked_child(monkeypatch):
    monkeypatch.setattr(_parallel, "workers", lambda: 2)
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_BYTES", 0)

    def sums():
        parts = []
        _parallel.run_chunks([(s, s + 1) for s in range(6)], 2, lambda: None, lambda st, s, e: parts.append(s))
        return sorted(parts)
    expected = sums()                        # creates the pool in this process
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=lambda: q.put(sums()))
    p.start()
    got = q.get(timeout=20)
    p.join(timeout=20)
    assert got == expected


def test_nested_and_concurrent_run_chunks_complete():
    # A call made from inside a worker (or while another thread is sharing out) runs on its own
    # thread instead of waiting for helpers that are busy: it finishes, with every chunk done.
    inner = []

    def outer_work(st, s, e):
        got = []
        _parallel.run_chunks([(k, k + 1) for k in range(3)], 2, lambda: None, lambda st2, a, b: got.append(a))
        inner.append(sorted(got))
    _parallel.run_chunks([(0, 1), (1, 2)], 2, lambda: None, outer_work)
    assert inner == [[0, 1, 2], [0, 1, 2]]
    results = {}

    def user(t):
        seen = []
        for _ in range(20):
            _parallel.run_chunks([(k, k + 1) for k in range(4)], 2, lambda: None, lambda st, a, b: seen.append(a))
        results[t] = sorted(seen)
    threads = [threading.Thread(target=user, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {0: sorted(list(range(4)) * 20), 1: sorted(list(range(4)) * 20)}


# -- split_rows -----------------------------------------------------------------------------------
def _split_everything(monkeypatch, n=2):
    monkeypatch.setattr(_parallel, "SPLIT_MIN_ELEMENTS", 0)
    monkeypatch.setattr(_parallel, "workers", lambda: n)


def test_split_rows_cuts_the_first_axis_and_passes_broadcasts_whole(monkeypatch):
    _split_everything(monkeypatch, 3)
    seen = []

    def fn(a, b, c, scale):
        seen.append((a.shape[0], b.shape, c.shape))
        return a * b + c * scale, None
    a = RNG.standard_normal((7, 7))
    b = RNG.standard_normal((1, 7))          # broadcast along the first axis: whole
    c = RNG.standard_normal((7,))            # fewer dims (though of the same length): whole
    out, none = _parallel.split_rows(fn, (a, b, c), 2.0)
    np.testing.assert_array_equal(out, a * b + c * 2.0)
    assert none is None
    assert sorted(s[0] for s in seen) == [1, 1, 1, 1, 1, 2]       # 6 ranges of 7 rows
    assert all(s[1] == (1, 7) and s[2] == (7,) for s in seen)


def test_split_rows_runs_whole_when_an_array_does_not_line_up(monkeypatch):
    _split_everything(monkeypatch)
    calls = []

    def fn(a, b):
        calls.append(a.shape)
        return a.sum(axis=1, keepdims=True) + b[:1, :1]
    _parallel.split_rows(fn, (np.ones((6, 3)), np.ones((5, 3))))        # first axes 6 and 5
    _parallel.split_rows(fn, (np.ones((6, 3)), np.ones((2, 6, 3))))     # more dims than the first
    assert calls == [(6, 3), (6, 3)]


def test_split_rows_small_work_or_one_thread_is_one_call(monkeypatch):
    calls = []
    monkeypatch.setattr(_parallel, "workers", lambda: 2)
    _parallel.split_rows(lambda a: calls.append(a.shape), (np.ones((8, 2)),))   # below SPLIT_MIN_ELEMENTS
    monkeypatch.setattr(_parallel, "SPLIT_MIN_ELEMENTS", 0)
    monkeypatch.setattr(_parallel, "workers", lambda: 1)
    _parallel.split_rows(lambda a: calls.append(a.shape), (np.ones((8, 2)),))
    assert calls == [(8, 2), (8, 2)]


def test_split_rows_writes_into_outputs_and_keeps_the_callers_errstate(monkeypatch):
    _split_everything(monkeypatch)
    x = np.arange(10, dtype=np.float32)
    out = np.empty_like(x)

    def double_into(a, o):
        np.multiply(a, 2, out=o)
    assert _parallel.split_rows(double_into, (x, out)) is None
    np.testing.assert_array_equal(out, x * 2)
    big = np.full(10, 3e38, np.float32)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        _parallel.split_rows(lambda a: a * 10, (big,))


def _attention_step(q, k, v, mask, is_causal):
    qe, ke, ve = (ember.tensor(a, requires_grad=True) for a in (q, k, v))
    m = None if mask is None else ember.tensor(mask, requires_grad=mask.dtype != np.bool_)
    y = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=m, is_causal=is_causal)
    y.backward(ember.tensor(RNG.standard_normal(y.shape).astype(np.float32)))
    grads = [t.grad._data for t in (qe, ke, ve)] + ([m.grad._data] if m is not None and m.requires_grad else [])
    return [y._data] + grads


@pytest.mark.parametrize("mask", ["none", "causal", "bool (T, S)", "float per head", "bool (1, H, T, S)"])
def test_attention_on_threads_is_bitwise_one_thread(mask, monkeypatch):
    # The batch of heads is shared out over the threads (split_rows): the same NumPy calls per
    # head, so the same numbers, for every kind of mask.
    B, H, T, S, D = 5, 3, 7, 6, 4
    q = RNG.standard_normal((B, H, T, D)).astype(np.float32)
    k, v = (RNG.standard_normal((B, H, S, D)).astype(np.float32) for _ in range(2))
    m = {"none": None, "causal": None, "bool (T, S)": RNG.random((T, S)) > 0.3,
         "float per head": RNG.standard_normal((B, H, T, S)).astype(np.float32),
         "bool (1, H, T, S)": RNG.random((1, H, T, S)) > 0.3}[mask]
    state = RNG.bit_generator.state
    monkeypatch.setattr(_parallel, "workers", lambda: 1)
    one = _attention_step(q, k, v, m, mask == "causal")
    RNG.bit_generator.state = state
    _split_everything(monkeypatch)
    two = _attention_step(q, k, v, m, mask == "causal")
    assert len(one) == len(two)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(131073 + 7,), (3, 5, 7)])
def test_gelu_on_threads_is_bitwise_one_thread(shape, monkeypatch):
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    g = RNG.standard_normal(shape).astype(np.float32)

    def run():
        xe = ember.tensor(x, requires_grad=True)
        y = F.gelu(xe)
        y.backward(ember.tensor(g))
        return y._data, xe.grad._data
    monkeypatch.setattr(_parallel, "workers", lambda: 1)
    y1, g1 = run()
    _split_everything(monkeypatch, 3)
    y2, g2 = run()
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(g1, g2)


def test_gelu_keeps_a_transposed_inputs_layout_and_values():
    import torch
    x = RNG.standard_normal((6, 9)).astype(np.float32).T
    y = F.gelu(ember.tensor(x))
    yt = torch.nn.functional.gelu(torch.tensor(x))
    assert y.stride() == yt.stride()
    np.testing.assert_allclose(y._data, yt.numpy(), rtol=1e-6, atol=1e-6)
