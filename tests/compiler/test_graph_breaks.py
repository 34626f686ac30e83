"""ember.compile: what cannot be replayed is found while recording; the function then runs eagerly
with one warning naming the line (fullgraph=True: an error). Guards and the recompile limit."""
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from ember.compiler import Unsupported


def _item(x):
    s = x.sum()
    if s.item() > 0:                       # BREAK
        return x * 2.0
    return x * 3.0


def _bool(x):
    if (x.sum() > 0):                      # BREAK
        return x * 2.0
    return x * 3.0


def _numpy(x):
    y = x * 2.0
    return y * float(y.detach().numpy().max())     # BREAK


def _inplace_input(x):
    x.add_(1.0)                            # BREAK
    return x * 2.0


def _random(x):
    return x + ember.randn(*x.shape)       # BREAK


def _tensor_hook(x):
    y = x * 2.0
    y.register_hook(lambda g: g * 10)      # BREAK
    return (y * y).sum()


def _line_of(fn):
    import inspect
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if "# BREAK" in line)


@pytest.mark.parametrize("fn, what", [(_item, "item"), (_bool, "bool"), (_numpy, "numpy"),
                                      (_inplace_input, "in-place"), (_random, "random"),
                                      (_tensor_hook, "register_hook")])
def test_graph_break_warns_once_with_the_line_and_runs_eagerly(fn, what):
    compiled = ember.compile(fn)
    inputs = [np.ones((2, 3), np.float32), -np.ones((2, 3), np.float32), np.full((2, 3), 2, np.float32)]
    with pytest.warns(UserWarning) as record:
        got = []
        for a in inputs:
            ember.manual_seed(1)
            x = ember.tensor(a, requires_grad=fn is _tensor_hook)
            got.append(compiled(x))
    breaks = [str(w.message) for w in record if "graph break" in str(w.message)]
    assert len(breaks) == 1
    assert what in breaks[0]
    assert f"{__file__}:{_line_of(fn)}" in breaks[0]
    assert compiled.__wrapped__ is fn
    for a, g in zip(inputs, got):
        ember.manual_seed(1)
        x = ember.tensor(a, requires_grad=fn is _tensor_hook)
        np.testing.assert_array_equal(g.detach().numpy(), fn(x).detach().numpy())
        assert g.grad_fn is None or type(g.grad_fn).__name__ != "CompiledFunctionBackward"


@pytest.mark.parametrize("fn", [_item, _bool, _numpy, _inplace_input, _random, _tensor_hook])
def test_fullgraph_raises(fn):
    compiled = ember.compile(fn, fullgraph=True)
    with pytest.raises(Unsupported, match=f"{_line_of(fn)}") as info:
        compiled(ember.ones(2, 3, requires_grad=fn is _tensor_hook))
    assert isinstance(info.value, RuntimeError)
    assert "fullgraph=True" in str(info.value)


def test_item_of_a_captured_tensor_breaks_since_its_value_could_change():
    lr = ember.tensor(0.5)
    f = ember.compile(lambda x: x * lr.item())
    with pytest.warns(UserWarning, match="item"):
        assert f(ember.ones(2)).tolist() == [0.5, 0.5]
    lr.fill_(2.0)
    assert f(ember.ones(2)).tolist() == [2.0, 2.0]


def test_tensor_made_outside_the_ops_breaks():
    def masked(x):
        return x * (x > 0)                 # the comparison is not an op: its mask must not be frozen
    f = ember.compile(masked)
    with pytest.warns(UserWarning, match="comparison"):
        f(ember.tensor([1.0, -1.0]))
    assert f(ember.tensor([-1.0, 1.0])).tolist() == [-0.0, 1.0]


def test_detached_and_captured_tensors_are_read_at_replay():
    scale = ember.tensor([1.0, 2.0])

    def f(x):
        y = x * 2.0
        return y * y.detach() * scale
    compiled = ember.compile(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for a in ([1.0, 2.0], [3.0, -1.0], [0.5, 0.5]):
            scale.mul_(2.0)
            x = ember.tensor(a, requires_grad=True)
            out = compiled(x)
            out.sum().backward()
            x2 = ember.tensor(a, requires_grad=True)
            want = f(x2)
            want.sum().backward()
            np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())
            np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())
    assert len(compiled._cache) == 1 and not compiled._eager


def test_module_hooks_break():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    calls = []
    model[0].register_forward_hook(lambda m, i, o: calls.append(1))
    compiled = ember.compile(model)
    with pytest.warns(UserWarning, match="hooks"):
        compiled(ember.ones(1, 3))
    compiled(ember.ones(1, 3))
    assert calls == [1, 1]


def test_optimizer_step_inside_the_compiled_function_breaks():
    model = nn.Linear(3, 1)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)

    @ember.compile
    def step(x):
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        return loss.detach() * 1.0
    with pytest.warns(UserWarning, match="graph break"):
        first = step(ember.ones(2, 3)).item()
    second = step(ember.ones(2, 3)).item()
    assert second < first


def _spy(compiled):
    return compiled._compiled if hasattr(compiled, "_compiled") else compiled


@pytest.mark.parametrize("change", ["shape", "dtype", "requires_grad", "train_eval"])
def test_guards_record_again(change):
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.0), nn.Tanh())
    compiled = ember.compile(model)
    x = ember.randn(3, 4)
    compiled(x)
    compiled(x)
    assert len(_spy(compiled)._cache) == 1
    if change == "shape":
        y = ember.randn(5, 4)
    elif change == "dtype":
        model.double()
        y = x.double()
    elif change == "requires_grad":
        y = x.clone().requires_grad_()
    else:
        model.eval()
        y = x
    first = compiled(y)
    again = compiled(y)
    assert len(_spy(compiled)._cache) == 2
    np.testing.assert_array_equal(again.detach().numpy(), model(y).detach().numpy())
    np.testing.assert_array_equal(first.detach().numpy(), again.detach().numpy())
    assert again.dtype == y.dtype


def test_dtype_guard_on_a_function():
    f = ember.compile(lambda a: (a * 2).sum())
    assert f(ember.ones(3)).dtype == ember.float32
    assert f(ember.ones(3)).dtype == ember.float32
    assert f(ember.ones(3, dtype=ember.float64)).dtype == ember.float64
    assert f(ember.ones(3, dtype=ember.float64)).dtype == ember.float64
    assert len(_spy(f)._cache) == 2


def test_frozen_parameter_records_again():
    model = nn.Linear(3, 2)
    compiled = ember.compile(model)
    x = ember.ones(4, 3)
    compiled(x).sum().backward()
    model.weight.requires_grad_(False)
    model.bias.grad = None
    for _ in range(2):
        compiled(x).sum().backward()
    np.testing.assert_array_equal(model.bias.grad.numpy(), [8.0, 8.0])


def test_cache_limit_warns_once_and_stays_correct():
    f = ember.compile(lambda a: (a * a).sum())
    limit = ember.compiler.config.cache_size_limit
    assert limit == 8
    for n in range(1, limit + 1):
        f(ember.ones(n))
    with pytest.warns(UserWarning, match="cache_size_limit") as record:
        for n in range(limit + 1, limit + 4):
            assert f(ember.ones(n)).item() == n
    assert len(record) == 1
    assert len(_spy(f)._cache) == limit
    assert f(ember.ones(3)).item() == 3      # still replays the recorded ones


def test_batchnorm_cumulative_average_breaks_and_matches_eager():
    def make():
        ember.manual_seed(0)
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=None))
    eager, model = make(), make()
    compiled = ember.compile(model)
    with pytest.warns(UserWarning, match="momentum=None"):
        for i in range(3):
            x = ember.randn(5, 3)
            np.testing.assert_array_equal(compiled(x).detach().numpy(), eager(x).detach().numpy())
    np.testing.assert_array_equal(model[1].running_mean.numpy(), eager[1].running_mean.numpy())


def test_a_hook_added_after_recording_is_seen():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    compiled = ember.compile(model)
    compiled(ember.ones(1, 3))
    compiled(ember.ones(1, 3))
    calls = []
    model[1].register_forward_hook(lambda m, i, o: calls.append(1))
    with pytest.warns(UserWarning, match="hooks"):
        compiled(ember.ones(1, 3))
    assert calls == [1]


def test_ops_of_other_threads_are_not_recorded():
    import threading
    started, release = threading.Event(), threading.Event()

    def other():
        started.set()
        while not release.is_set():
            (ember.ones(2) * 2.0).sum().item()

    worker = threading.Thread(target=other)
    worker.start()
    started.wait()
    try:
        import time

        def fn(a):
            b = a * 3.0
            time.sleep(0.02)               # the other thread runs ops (and .item()) while this is recorded
            return b.tanh()
        f = ember.compile(fn)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(20):
                f(ember.ones(2))
            out = f(ember.tensor([0.5, 1.0]))
    finally:
        release.set()
        worker.join()
    np.testing.assert_array_equal(out.numpy(), np.tanh(np.array([1.5, 3.0], np.float32)))
    assert len(f._cache) == 1 and [s.cls.__name__ for s in next(iter(f._cache.values())).steps] == ["Mul", "Tanh"]


def test_a_function_guards_on_the_train_flag_of_modules_it_uses():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    f = ember.compile(lambda a: model(a) * 2.0)
    g = ember.compile(model.forward)
    x = ember.randn(6, 4)
    for fn in (f, g):
        model.train()
        fn(x), fn(x)
        model.eval()
        np.testing.assert_array_equal(fn(x).detach().numpy(), model(x).detach().numpy() * (2.0 if fn is f else 1.0))
        assert len(fn._cache) == 2


def test_a_parameter_passed_as_an_input_is_read_from_the_input():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ember.ones(3))

        def forward(self, w, a):
            return (a * w).sum()
    model = Scale()
    compiled = ember.compile(model)
    x = ember.ones(3)
    compiled(model.w, x)
    compiled(model.w, x)
    other = ember.full((3,), 2.0, requires_grad=True)
    assert compiled(other, x).item() == 6.0
