"""The fast replay's buffer reuse (``ember/compiler/codegen.py``, ``kernels.py``): arrays the user
holds (outputs, views of them, gradients, ``.grad``) never change when a later call reuses the
program's buffers, and every kernel gives eager ember's numbers bitwise (and torch's to round-off)."""
import numpy as np
import pytest
import torch

import ember
from ember import _fast


def _rand(*shape, seed=0, dtype=np.float32, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def _leaf(a):
    return ember.tensor(a, requires_grad=True)


def _np(t):
    return t.detach().numpy().copy()


def _compare_calls(fn, arrays, calls=4, out_index=None):
    """Run ``fn`` compiled and eagerly on fresh leaves for several inputs; values and gradients
    must be equal bitwise, on every call (recording and replays)."""
    compiled = ember.compile(fn)
    for call in range(calls):
        inputs = [a + np.float32(call) * np.float32(0.25) if a.dtype.kind == "f" else a for a in arrays]
        got_leaves = [_leaf(a) for a in inputs]
        want_leaves = [_leaf(a) for a in inputs]
        got, want = compiled(*got_leaves), fn(*want_leaves)
        got_t = got if isinstance(got, tuple) else (got,)
        want_t = want if isinstance(want, tuple) else (want,)
        for g, w in zip(got_t, want_t):
            np.testing.assert_array_equal(_np(g), _np(w))
        pick = range(len(got_t)) if out_index is None else [out_index]
        sum(got_t[i].sum() for i in pick).backward()
        sum(want_t[i].sum() for i in pick).backward()
        for g, w in zip(got_leaves, want_leaves):
            np.testing.assert_array_equal(_np(g.grad), _np(w.grad))
    return compiled


def test_output_held_across_calls_does_not_change():
    x, w = _leaf(_rand(16, 128)), _leaf(_rand(16, 128, seed=1))
    f = ember.compile(lambda a, b: ((a * b + 1.0).tanh() * 2.0).exp())
    f(x, w).sum().backward()                  # recording
    first = f(x, w)
    kept = _np(first)
    first.sum().backward()
    for k in range(3):                        # replays reuse the program's buffers
        x2 = _leaf(_rand(16, 128, seed=10 + k))
        f(x2, w).sum().backward()
    np.testing.assert_array_equal(_np(first), kept)
    with ember.no_grad():
        f(x, w)                               # recording (no-grad is another guard)
        held = f(x, w)
        kept = _np(held)
        f(_leaf(_rand(16, 128, seed=5)), w)
        np.testing.assert_array_equal(_np(held), kept)


def test_returned_view_of_an_intermediate_is_not_a_reused_buffer():
    def fn(a, b):
        y = (a * b).tanh()
        return y.t(), (y * 3.0).sum()
    x, w = _leaf(_rand(8, 5)), _leaf(_rand(8, 5, seed=1))
    f = ember.compile(fn)
    f(x, w)
    view, total = f(x, w)
    kept = _np(view)
    total.backward()                          # the graph is done: its buffers go back to the pool
    f(_leaf(_rand(8, 5, seed=2)), w)[1].backward()
    np.testing.assert_array_equal(_np(view), kept)
    with ember.no_grad():
        f(x, w)
        view, _ = f(x, w)
        kept = _np(view)
        f(_leaf(_rand(8, 5, seed=3)), w)
        np.testing.assert_array_equal(_np(view), kept)
    _compare_calls(fn, [_rand(8, 5), _rand(8, 5, seed=1)])


def test_two_forwards_before_backward_get_separate_buffers():
    f = ember.compile(lambda a, b: (a * b).sigmoid() * a)
    g = lambda a, b: (a * b).sigmoid() * a        # noqa: E731
    xs = [_rand(4, 6, seed=s) for s in range(3)]
    w1, w2 = _leaf(_rand(4, 6, seed=9)), _leaf(_rand(4, 6, seed=9))
    f(_leaf(xs[0]), w1)                           # recording
    got = [f(_leaf(x), w1) for x in xs]           # three graphs alive at once
    want = [g(_leaf(x), w2) for x in xs]
    sum(o.sum() for o in got).backward()
    sum(o.sum() for o in want).backward()
    np.testing.assert_array_equal(_np(w1.grad), _np(w2.grad))
    w1.grad = None
    w2.grad = None
    a = f(_leaf(xs[1]), w1)
    b = f(_leaf(xs[2]), w1)
    a.sum().backward()
    b.sum().backward()
    c = g(_leaf(xs[1]), w2)
    d = g(_leaf(xs[2]), w2)
    c.sum().backward()
    d.sum().backward()
    np.testing.assert_array_equal(_np(w1.grad), _np(w2.grad))


def test_retain_graph_backward_after_a_later_call():
    x, w = _leaf(_rand(3, 7)), _leaf(_rand(3, 7, seed=1))
    f = ember.compile(lambda a, b: (a * b).exp().sum())
    f(x, w)
    out = f(x, w)
    out.backward(retain_graph=True)
    first = _np(x.grad)
    f(_leaf(_rand(3, 7, seed=4)), w).backward()   # another call while out's graph is retained
    x.grad = None
    out.backward()
    np.testing.assert_array_equal(_np(x.grad), first)


def test_gradients_held_by_the_user_do_not_change():
    w = _leaf(_rand(16, 32, seed=1))
    f = ember.compile(lambda a, b: (a + b).relu() * 2.0)   # Add passes its gradient through
    grads = []
    for k in range(4):
        x = _leaf(_rand(16, 32, seed=k))
        w.grad = None
        f(x, w).sum().backward()
        grads.append((x.grad, _np(x.grad), w.grad, _np(w.grad)))
    for xg, xk, wg, wk in grads:
        np.testing.assert_array_equal(_np(xg), xk)
        np.testing.assert_array_equal(_np(wg), wk)
    assert grads[0][0]._data is not grads[1][0]._data


def test_autograd_grad_results_are_not_buffers():
    f = ember.compile(lambda a, b: ((a * b).tanh() + a).sum())
    x, w = _leaf(_rand(5, 5)), _leaf(_rand(5, 5, seed=1))
    f(x, w)
    gx, gw = ember.autograd.grad(f(x, w), (x, w))
    kept = _np(gx), _np(gw)
    for k in range(3):
        ember.autograd.grad(f(_leaf(_rand(5, 5, seed=k + 2)), w), (w,))
    np.testing.assert_array_equal(_np(gx), kept[0])
    np.testing.assert_array_equal(_np(gw), kept[1])


def test_only_some_outputs_get_gradients():
    def fn(a, b):
        y = a * b
        return y.exp(), (y + 1.0).tanh()
    _compare_calls(fn, [_rand(4, 4), _rand(4, 4, seed=1)], out_index=1)
    _compare_calls(fn, [_rand(4, 4), _rand(4, 4, seed=1)], out_index=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_kernel_equals_eager_bitwise(dtype):
    def fn(a, b):
        y = 1.0 - a * b                  # Mul, Sub with a number first
        y = y + b                        # Add of two arrays
        y = 2.0 * y.sigmoid() - b        # Sigmoid, Mul with a number first, Sub of two arrays
        y = (y * y).relu() / 4.0         # Mul of an array by itself, Relu, Div by a number
        return y.exp().tanh() + 0.5
    _compare_calls(fn, [_rand(6, 9, dtype=dtype), _rand(6, 9, seed=1, dtype=dtype)])


def test_sigmoid_replays_the_stable_branch_when_exp_would_overflow():
    def fn(a):
        return (a * 1.0).sigmoid()
    f = ember.compile(fn)
    small, large = _rand(3, 4), _rand(3, 4, seed=1, scale=200.0)
    for a in (small, large, small, large):
        got, want = _leaf(a), _leaf(a)
        out = f(got)
        ref = fn(want)
        np.testing.assert_array_equal(_np(out), _np(ref))
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_array_equal(_np(got.grad), _np(want.grad))
    t = torch.tensor(large, requires_grad=True)
    np.testing.assert_allclose(_np(f(_leaf(large))), torch.sigmoid(t).detach().numpy(), rtol=1e-6, atol=1e-30)


def test_linear_kernel_matches_eager_and_torch():
    ember.manual_seed(0)
    lin = ember.nn.Linear(7, 5)
    f = ember.compile(lambda a: (lin(a).relu() * 1.5).sum())
    xs = _rand(4, 7)
    for _ in range(3):
        lin.zero_grad()
        x = _leaf(xs)
        f(x).backward()
        got = [_np(x.grad), _np(lin.weight.grad), _np(lin.bias.grad)]
        lin.zero_grad()
        x2 = _leaf(xs)
        (lin(x2).relu() * 1.5).sum().backward()
        want = [_np(x2.grad), _np(lin.weight.grad), _np(lin.bias.grad)]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    tl = torch.nn.Linear(7, 5)
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(_np(lin.weight)))
        tl.bias.copy_(torch.tensor(_np(lin.bias)))
    tx = torch.tensor(xs, requires_grad=True)
    (tl(tx).relu() * 1.5).sum().backward()
    np.testing.assert_allclose(got[0], tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], tl.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_parameter_replaced_by_another_shape_records_again():
    lin = ember.nn.Linear(3, 2)
    f = ember.compile(lambda a: lin(a).tanh())
    x = ember.randn(4, 3)
    f(x)
    f(x)
    lin.weight.data = ember.randn(6, 3)
    lin.bias.data = ember.randn(6)
    out = f(x)
    assert tuple(out.shape) == (4, 6)
    np.testing.assert_array_equal(_np(out), _np(lin(x).tanh()))


@pytest.mark.skipif(not _fast.ENABLED, reason="the generated replay is the fast path (EMBER_FAST=1)")
def test_generated_source_writes_into_buffers_and_returns_fresh_outputs():
    f = ember.compile(lambda a, b: (a * b).tanh().sum())
    x, w = _leaf(_rand(2, 3)), _leaf(_rand(2, 3, seed=1))
    f(x, w)
    program = next(iter(f._cache.values()))
    src = program.source
    assert "multiply(x0, x1, out=b0)" in src and "tanh(x2, out=b1)" in src
    assert "def backward(" in src
    with ember.no_grad():
        ember.compile(lambda a: a.exp())(x)     # the returned result: no out=
    g = ember.compile(lambda a: a.exp())
    g(x)
    assert "exp(x0)" in next(iter(g._cache.values())).source


@pytest.mark.skipif(not _fast.ENABLED, reason="buffer pools belong to the generated replay (EMBER_FAST=1)")
def test_buffer_pool_is_bounded_and_sets_come_back_after_backward():
    from ember.compiler.codegen import POOL_LIMIT
    w = _leaf(_rand(4, 4, seed=1))
    f = ember.compile(lambda a, b: (a * b).tanh() * 3.0)
    f(_leaf(_rand(4, 4)), w)
    gen = next(iter(f._cache.values())).generated
    outs = [f(_leaf(_rand(4, 4, seed=k)), w) for k in range(POOL_LIMIT + 3)]   # all graphs alive
    assert len(gen.pool) == 0
    sum(o.sum() for o in outs).backward()
    assert len(gen.pool) == POOL_LIMIT
    with ember.no_grad():
        f(_leaf(_rand(4, 4)), w)
    b = gen.pool[-1]
    out = f(_leaf(_rand(4, 4)), w)
    assert len(gen.pool) == POOL_LIMIT - 1 and all(x is not y for x in gen.pool for y in [b])
    del out                                    # the graph dropped without backward: its set comes back
    assert len(gen.pool) == POOL_LIMIT and gen.pool[-1] is b


def test_special_values_through_kernels_equal_eager_bitwise():
    special = np.array([[np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-45, -3.0, 2.5]], np.float32)
    gscale = np.array([[1.0, np.inf, -2.0, -1.0, 3.0, -np.inf, 0.0, np.nan]], np.float32)

    def fn(a, b):
        return ((a * b).relu() * (a - b)).exp() / 7.0

    def relu_of_nan(a, b):
        return (a * b).relu() * 2.0                  # as torch, relu(nan) passes its gradient
    for fn in (fn, relu_of_nan):
        _compare_special(fn, special, gscale)


def _compare_special(fn, special, gscale):
    f = ember.compile(fn)
    for _ in range(3):
        x, y = _leaf(special), _leaf(gscale)
        x2, y2 = _leaf(special), _leaf(gscale)
        with np.errstate(all="ignore"):
            out, ref = f(x, y), fn(x2, y2)
            out.backward(ember.tensor(gscale))
            ref.backward(ember.tensor(gscale))
        for got, want in ((out, ref), (x.grad, x2.grad), (y.grad, y2.grad)):
            got, want = _np(got), _np(want)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_direct_backward_into_leaves_follows_the_engine():
    """Tensor.backward() on a compiled call's output whose inputs are leaves skips the engine's
    graph walk (graph.py ``_direct_backward``): same .grad values, accumulation, distinct arrays."""
    fn = lambda a, b: ((a + b) * 2.0).sum()          # noqa: E731  Add hands one array to both leaves
    f = ember.compile(fn)
    xs, ws = _rand(3, 4), _rand(3, 4, seed=1)
    x, w, x2, w2 = _leaf(xs), _leaf(ws), _leaf(xs), _leaf(ws)
    for k in range(3):                                # grads accumulate over calls, as eager
        f(x, w).backward()
        fn(x2, w2).backward()
        np.testing.assert_array_equal(_np(x.grad), _np(x2.grad))
        np.testing.assert_array_equal(_np(w.grad), _np(w2.grad))
        assert not np.shares_memory(x.grad._data, w.grad._data)
    x.grad = w.grad = None
    out = f(x, w)
    out.backward(retain_graph=True)
    out.backward()                                    # retained: a second backward works, adds up
    np.testing.assert_array_equal(_np(x.grad), np.full((3, 4), 4.0, np.float32))
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()
    g = ember.compile(lambda a, b: a + b)             # the root gradient itself reaches both leaves
    a, b = _leaf(np.float32(1.5)), _leaf(np.float32(2.0))
    for k in range(3):
        a.grad = b.grad = None
        g(a, b).backward()
        assert not np.shares_memory(a.grad._data, b.grad._data)
        g(a, b).backward()
        assert float(a.grad) == 2.0 and float(b.grad) == 2.0
    t = torch.tensor(xs, requires_grad=True)
    ((t + torch.tensor(ws)) * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full((3, 4), 2.0, np.float32))


def test_direct_backward_falls_back_for_hooks_retain_grad_and_repeated_leaves():
    f = ember.compile(lambda a, b: (a * b).sum())
    x, w = _leaf(_rand(2, 3)), _leaf(_rand(2, 3, seed=1))
    f(x, w)
    seen = []
    h = x.register_hook(lambda g: seen.append(_np(g)) or g * 2.0)
    f(x, w).backward()
    h.remove()
    assert len(seen) == 1
    np.testing.assert_array_equal(_np(x.grad), 2.0 * _np(w))
    x.grad = None
    out = f(x, x)                                     # one leaf twice: the engine sums both
    f(x, x)
    out = f(x, x)
    out.backward()
    np.testing.assert_array_equal(_np(x.grad), 2.0 * _np(x))
    x.grad = w.grad = None
    out = f(x, w)
    out.retain_grad()
    out.backward()
    assert out.grad is not None and float(out.grad) == 1.0
    np.testing.assert_array_equal(_np(w.grad), _np(x))
