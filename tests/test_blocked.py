"""ember/_blocked.py: large elementwise ops (classes marked ``elementwise = True``) and full sums
split into blocks on ember's threads give bitwise the plain call's values and gradients, on 1 and
2 threads; every case the split does not handle takes the plain path and stays correct.

Most tests shrink the size limits (``small_blocks``) so that arrays of ~10,000 elements are cut
into ragged blocks; ``test_the_split_is_taken_*`` use the real limits.
"""
import contextlib
import inspect
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import _blocked, _fast, _parallel
from ember.autograd.function import Op
from ember.ops import activation, arithmetic, math_functions

FAST = _fast.ENABLED           # EMBER_FAST=0 never splits (the hooks are in the fast path)
needs_fast = pytest.mark.skipif(not FAST, reason="EMBER_FAST=0: the reference path never splits")
needs_openblas = pytest.mark.skipif(_parallel._openblas() is None, reason="NumPy's BLAS is not OpenBLAS")
RNG = np.random.default_rng(0)
SHAPE = (97, 103)               # 9991 elements: 2 blocks on one thread, 4 on two (ragged)


def bits(a):
    a = np.asarray(a)
    return a.dtype, a.shape, a.tobytes()


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(_blocked, "MIN_ELEMENTS", 4096)
    monkeypatch.setattr(_blocked, "MIN_BLOCK", 1000)
    monkeypatch.setattr(_blocked, "SUM_BLOCK", 1500)


class Spy:
    """Records each op class the split handled (forward / backward) and each block run."""

    def __init__(self, monkeypatch):
        self.forward, self.backward, self.runs = [], [], 0
        fwd, bwd, run = _blocked.forward, _blocked.backward, _blocked._run

        def forward(cls, ctx, raw):
            out = fwd(cls, ctx, raw)
            if out is not None:
                self.forward.append(cls)
            return out

        def backward(node, grad):
            out = bwd(node, grad)
            if out is not None:
                self.backward.append(node.fn)
            return out

        def counting_run(chunks, nw, work):
            self.runs += 1
            return run(chunks, nw, work)
        monkeypatch.setattr(_blocked, "forward", forward)
        monkeypatch.setattr(_blocked, "backward", backward)
        monkeypatch.setattr(_blocked, "_run", counting_run)


@pytest.fixture
def spy(monkeypatch):
    return Spy(monkeypatch)


@contextlib.contextmanager
def threads(n):
    """n = 0: the plain path; else the split on n threads (also on one: FORCE)."""
    saved = _blocked.ENABLED[0], _blocked.FORCE[0], _parallel.workers
    _blocked.ENABLED[0] = n > 0
    _blocked.FORCE[0] = True
    _parallel.workers = lambda: max(n, 1)
    try:
        yield
    finally:
        _blocked.ENABLED[0], _blocked.FORCE[0], _parallel.workers = saved


def run(fn, arrays, grad_seed=1, **backward_kw):
    """fn on tensors made from ``arrays``: (output, gradients) as arrays."""
    xs = [ember.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*xs)
        g = np.random.default_rng(grad_seed).standard_normal(out.shape).astype(out._data.dtype)
        out.backward(ember.tensor(g), **backward_kw)
    return out._data.copy(), [x.grad._data.copy() for x in xs]


def assert_same_everywhere(fn, arrays):
    """Plain, split on 1 thread, split on 2 threads: bitwise the same values and gradients."""
    results = []
    for n in (0, 1, 2):
        with threads(n):
            results.append(run(fn, arrays))
    (o0, g0) = results[0]
    for o, g in results[1:]:
        assert bits(o) == bits(o0)
        assert [bits(x) for x in g] == [bits(x) for x in g0]
    return o0, g0


def uniform(lo, hi, shape=SHAPE, dtype=np.float32):
    return (RNG.random(shape) * (hi - lo) + lo).astype(dtype)


def with_specials(a):
    a = a.copy().reshape(-1)
    a[[3, 2500, 5001, 7777]] = [np.nan, np.inf, -np.inf, -0.0]
    a[[11, 4999, 9990]] = 0.0
    return a.reshape(SHAPE)


# Each marked op class, through its public function (a new marked class needs a case here).
CASES = {
    "exp": (ember.exp, (-3, 3)), "log1p": (ember.log1p, (-0.9, 3)), "sin": (ember.sin, (-4, 4)),
    "cos": (ember.cos, (-4, 4)), "tan": (ember.tan, (-1.4, 1.4)), "asin": (ember.asin, (-0.99, 0.99)),
    "acos": (ember.acos, (-0.99, 0.99)), "atan": (ember.atan, (-5, 5)), "sinh": (ember.sinh, (-4, 4)),
    "cosh": (ember.cosh, (-4, 4)), "tanh": (ember.tanh, (-4, 4)), "sigmoid": (ember.sigmoid, (-20, 20)),
    "abs": (ember.abs, (-2, 2)), "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), (-3, 3)),
    "elu": (F.elu, (-3, 3)), "selu": (F.selu, (-3, 3)), "celu": (lambda x: F.celu(x, 0.5), (-3, 3)),
    "gelu": (F.gelu, (-4, 4)), "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), (-4, 4)),
    "silu": (F.silu, (-8, 8)), "hardswish": (F.hardswish, (-5, 5)),
}


def marked_classes():
    found = set()
    for module in (math_functions, activation, arithmetic):
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Op) and obj.__dict__.get("elementwise") is True:
                found.add(obj)
    return found


@needs_fast
def test_every_marked_op_has_a_case(small_blocks, spy):
    with threads(2):
        for fn, (lo, hi) in CASES.values():
            run(fn, [uniform(lo, hi)])
    missing = marked_classes() - set(spy.forward)
    assert not missing, f"marked elementwise but not split by any case in CASES: {sorted(c.__name__ for c in missing)}"
    assert marked_classes() <= set(spy.backward)


@needs_fast
@pytest.mark.parametrize("name", sorted(CASES))
def test_split_is_bitwise_the_plain_call(name, small_blocks, spy):
    fn, (lo, hi) = CASES[name]
    assert_same_everywhere(fn, [uniform(lo, hi)])
    assert spy.forward and spy.backward      # the split did run (1 and 2 threads)


@needs_fast
@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "gelu", "silu", "abs", "elu"])
def test_special_values_and_float64(name, small_blocks):
    fn, (lo, hi) = CASES[name]
    assert_same_everywhere(fn, [with_specials(uniform(lo, hi))])
    assert_same_everywhere(fn, [uniform(lo, hi, dtype=np.float64)])


@needs_fast
def test_split_matches_torch(small_blocks):
    x = uniform(-4, 4)
    with threads(2):
        out, (g,) = run(lambda t: F.silu(t.tanh()), [x])
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.nn.functional.silu(tx.tanh())
    tout.backward(torch.tensor(np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g, tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@needs_fast
def test_sigmoid_blocks_taking_different_formulas_fall_back(small_blocks, spy):
    # _math.sigmoid picks a formula from the array's minimum: one block below -88, the others not
    x = uniform(-5, 5)
    x.reshape(-1)[9000] = -100.0
    out, _ = assert_same_everywhere(ember.sigmoid, [x])
    assert math_functions.Sigmoid not in spy.forward
    assert bits(out) == bits(ember.sigmoid(ember.tensor(x))._data)
    x = uniform(-200, -90)                  # every block below: all take the stable formula
    assert_same_everywhere(F.silu, [x])
    assert activation.Silu in spy.forward


@needs_fast
@pytest.mark.parametrize("op", ["add", "sub", "mul", "square", "div", "neg", "pow", "relu", "hardtanh"])
def test_the_machinery_on_unmarked_ops(op, small_blocks, spy, monkeypatch):
    """Ops left unmarked only because the split does not pay (one cheap pass) are still handled
    exactly: inputs saved, the gradient passed through (Add), ctx attributes (Hardtanh)."""
    cls, fn, n = {"add": (arithmetic.Add, lambda a, b: a + b, 2), "sub": (arithmetic.Sub, lambda a, b: a - b, 2),
                  "mul": (arithmetic.Mul, lambda a, b: a * b * 2.0, 2), "square": (arithmetic.Mul, lambda a: a * a, 1),
                  "div": (arithmetic.Div, lambda a, b: a / b / 3.0, 2), "neg": (arithmetic.Neg, lambda a: -a, 1),
                  "pow": (arithmetic.Pow, lambda a: a ** 2.5, 1), "relu": (activation.Relu, F.relu, 1),
                  "hardtanh": (activation.Hardtanh, lambda a: F.hardtanh(a, -0.5, 0.7), 1)}[op]
    monkeypatch.setattr(cls, "elementwise", True, raising=False)
    assert_same_everywhere(fn, [uniform(0.5, 2) for _ in range(n)])
    assert cls in spy.forward and (cls in spy.backward or op in ("add", "sub"))


@needs_fast
def test_what_the_split_does_not_handle_runs_plain(small_blocks, spy, monkeypatch):
    monkeypatch.setattr(arithmetic.Mul, "elementwise", True, raising=False)
    x = uniform(-2, 2)
    cases = {
        "non-contiguous": (lambda t: t.t().tanh(), [x]),
        "broadcast": (lambda a, b: a * b, [x, uniform(-2, 2, (1, SHAPE[1]))]),
        "mixed dtypes": (lambda a, b: arithmetic.Mul.apply(a, b), [x, uniform(-2, 2, dtype=np.float64)]),
        "small": (lambda t: t.tanh(), [uniform(-2, 2, (10, 10))]),
    }
    for name, (fn, arrays) in cases.items():
        spy.forward.clear(), spy.backward.clear()
        assert_same_everywhere(fn, arrays)
        assert not spy.forward and not spy.backward, name
    # a NumPy scalar of another dtype would promote: plain path
    assert _blocked._layout([x, np.float64(2.0)]) is None
    assert _blocked._layout([x, np.float32(2.0), 2, 2.5, None, np.array(1.0, np.float32)]) == (SHAPE, np.float32)
    assert _blocked._layout([x.astype(np.int32)]) is None
    assert _blocked._layout([x, "a string"]) is None


@needs_fast
def test_no_grad_forward_is_split(small_blocks, spy):
    x = uniform(-3, 3)
    outs = []
    for n in (0, 2):
        with threads(n), ember.no_grad():
            outs.append(F.gelu(ember.tensor(x))._data)
    assert bits(outs[0]) == bits(outs[1]) and activation.Gelu in spy.forward


@needs_fast
def test_create_graph_takes_the_plain_backward(small_blocks, spy):
    x = uniform(-2, 2)
    results = []
    for n in (0, 2):
        with threads(n):
            t = ember.tensor(x, requires_grad=True)
            y = (t.tanh() * t).sin().sum()
            g, = ember.autograd.grad(y, t, create_graph=True)
            assert not spy.backward                  # create_graph=True: the reference loop, plain
            gg, = ember.autograd.grad(g.sum(), t)    # first order through that graph (may split)
            results.append((g._data.copy(), gg._data.copy()))
    assert bits(results[0][0]) == bits(results[1][0]) and bits(results[0][1]) == bits(results[1][1])
    assert math_functions.Cos in spy.forward         # sin's backward recorded cos, split


@needs_fast
def test_hooks_retain_grad_and_retain_graph(small_blocks):
    x = uniform(-2, 2)
    results = []
    for n in (0, 2):
        with threads(n):
            t = ember.tensor(x, requires_grad=True)
            y = t.tanh()
            y.register_hook(lambda g: g * 2)
            y.retain_grad()
            z = y.sigmoid().exp()
            z.backward(ember.ones_like(z), retain_graph=True)
            first = t.grad._data.copy()
            z.backward(ember.ones_like(z))
            results.append((first, t.grad._data.copy(), y.grad._data.copy()))
            with pytest.raises(RuntimeError, match="second time"):
                z.backward(ember.ones_like(z))
    assert [bits(a) for a in results[0]] == [bits(a) for a in results[1]]


@needs_fast
def test_in_place_change_of_a_saved_output_is_caught(small_blocks, spy):
    for n in (0, 2):
        with threads(n):
            t = ember.tensor(uniform(-2, 2), requires_grad=True)
            y = t.tanh()                         # saves its output
            y.add_(1)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                y.sum().backward()
    assert math_functions.Tanh in spy.forward
    with threads(2):                             # an in-place activation on a non-leaf
        t = ember.tensor(uniform(-2, 2), requires_grad=True)
        y = t * 1.0
        F.silu(y, inplace=True).sum().backward()
    with threads(0):
        t0 = ember.tensor(t._data, requires_grad=True)
        y0 = t0 * 1.0
        F.silu(y0, inplace=True).sum().backward()
    assert bits(y._data) == bits(y0._data) and bits(t.grad._data) == bits(t0.grad._data)


@needs_fast
def test_anomaly_mode_runs_plain(small_blocks, spy):
    x = uniform(-2, 2)
    with threads(2), ember.autograd.detect_anomaly():
        out, (g,) = run(lambda t: t.tanh().exp(), [x])
    assert not spy.forward and not spy.backward
    with threads(0):
        out0, (g0,) = run(lambda t: t.tanh().exp(), [x])
    assert bits(out) == bits(out0) and bits(g) == bits(g0)


@needs_fast
def test_errstate_holds_in_the_blocks(small_blocks):
    x = ember.tensor(uniform(100, 200))
    for n in (0, 2):
        with threads(n), np.errstate(over="raise"):
            with pytest.raises(FloatingPointError):
                ember.exp(x)


@needs_fast
def test_an_op_breaking_the_promise_runs_plain(small_blocks, spy):
    class SavesAView(Op):                     # saves a view of its input: not an input, output or fresh array
        elementwise = True

        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a[::2])
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class ReturnsTheInput(Op):
        elementwise = True

        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, grad):
            return grad
    class KeepsADataDependentNumber(Op):      # a ctx attribute that differs from block to block
        elementwise = True

        @staticmethod
        def forward(ctx, a):
            ctx.top, ctx.first = a.max(), (a[:1],)
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2
    x = ember.tensor(uniform(-1, 1), requires_grad=True)
    with threads(2):
        SavesAView.apply(x)
        y = ReturnsTheInput.apply(x)
        z = KeepsADataDependentNumber.apply(x)
    assert not spy.forward
    assert z.grad_fn.top == x._data.max()          # the plain call: the whole array's maximum
    assert np.shares_memory(y._data, x._data)   # as the plain call: the input itself


# -- full sums -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1501, 9991, 40000, 2 ** 15 + 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_all_is_bitwise_numpys(n, dtype, small_blocks):
    a = (RNG.standard_normal(n) * 1000 + 3).astype(dtype)
    a[::97] = RNG.standard_normal(a[::97].shape) * 1e7
    for k in (0, 1, 2):
        with threads(k):
            assert bits(_blocked.sum_all(a)) == bits(a.sum())
            assert bits(_blocked.mean_all(a)) == bits(a.mean())
            assert bits(_blocked.sum_all(a.reshape(1, -1))) == bits(a.sum())


def test_sum_all_special_values(small_blocks):
    for values in ([-0.0], [np.nan], [np.inf], [np.inf, -np.inf], [3e38, 3e38]):
        a = np.zeros(9991, np.float32) - 0.0
        a[[5, 4000, 9000][:len(values)]] = values
        with threads(2), np.errstate(over="ignore", invalid="ignore"):
            assert bits(_blocked.sum_all(a)) == bits(a.sum())


@needs_fast
def test_sum_and_mean_through_the_api(small_blocks, spy):
    x = uniform(-3, 3)
    for reduce in (ember.sum, ember.mean, lambda t: t.sum(), lambda t: t.tanh().mean()):
        assert_same_everywhere(reduce, [x])
    assert spy.runs
    tx = torch.tensor(x.astype(np.float64))
    assert abs(float(ember.sum(ember.tensor(x))) - float(tx.sum())) <= 1e-6 * float(tx.abs().sum())
    with threads(2):                             # a sum over dims and a strided array: plain
        spy.runs = 0
        ember.sum(ember.tensor(x), dim=1)
        ember.sum(ember.tensor(x).t())
        ember.sum(ember.tensor(x.astype(np.float16)))
        assert spy.runs == 0


# -- the real limits -------------------------------------------------------------------------------
@pytest.fixture
def two_threads():
    before = ember.get_num_threads()
    enabled = _blocked.ENABLED[0]
    _blocked.ENABLED[0] = True                   # as EMBER_SPLIT_ELEMENTWISE=1
    ember.set_num_threads(2)
    yield
    ember.set_num_threads(before)
    _blocked.ENABLED[0] = enabled


@needs_fast
@needs_openblas
def test_the_split_is_taken_for_a_large_marked_op(two_threads, spy):
    x = ember.tensor(RNG.standard_normal((1024, 1024)).astype(np.float32), requires_grad=True)
    y = x.tanh()
    y.sigmoid().sum().backward()
    assert math_functions.Tanh in spy.forward and math_functions.Sigmoid in spy.forward
    assert math_functions.Tanh in spy.backward and math_functions.Sigmoid in spy.backward
    assert spy.runs >= 5                         # and the full sum
    g = x.grad._data.copy()
    ember.set_num_threads(1)
    x.grad = None
    spy.forward.clear()
    x.tanh().sigmoid().sum().backward()
    assert not spy.forward                       # one thread: the plain call
    assert bits(x.grad._data) == bits(g)


@needs_fast
@needs_openblas
def test_the_split_is_not_taken_below_the_limit(two_threads, spy):
    x = ember.tensor(RNG.standard_normal((16, 128)).astype(np.float32), requires_grad=True)
    x.tanh().sum().backward()
    assert not spy.forward and not spy.backward and spy.runs == 0


@pytest.mark.skipif(FAST, reason="EMBER_FAST=1: checked by the tests above")
def test_the_reference_path_never_splits(spy, small_blocks, monkeypatch):
    monkeypatch.setattr(_parallel, "workers", lambda: 2)
    monkeypatch.setattr(_blocked, "FORCE", [True])
    x = ember.tensor(uniform(-2, 2), requires_grad=True)
    x.tanh().sigmoid().sum().backward()
    assert not spy.forward and not spy.backward and spy.runs == 0


WARNINGS_SCRIPT = """
import numpy as np, ember
from ember import _blocked, _parallel
assert _blocked.ENABLED[0] == (ember._fast.ENABLED and __import__("os").environ["EMBER_SPLIT_ELEMENTWISE"] == "1")
_parallel.workers = lambda: 2
x = ember.full((1024, 1024), 100.0, requires_grad=True)
y = x.exp()                                  # overflows in the blocks (worker threads too)
s = ember.full((1024, 1024), 3e38).sum()     # overflows in the pieces of the sum
y.sum().backward()
print(float(s), float(y[0, 0]))
"""


def test_numpy_warnings_in_the_blocks_stay_silent():
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-W", "default", "-c", WARNINGS_SCRIPT], capture_output=True, text=True,
                         cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "EMBER_SPLIT_ELEMENTWISE": "1",
                                        "EMBER_FAST": "1" if FAST else "0"}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["inf", "inf"]
    assert "Warning" not in run.stderr, run.stderr


def test_off_unless_asked_for():
    """The split is opt-in (EMBER_SPLIT_ELEMENTWISE=1): measured on the benchmarks here, it does
    not pay (see ember/_blocked.py)."""
    import os
    if os.environ.get("EMBER_SPLIT_ELEMENTWISE", "0") != "1":
        assert _blocked.ENABLED[0] is False
