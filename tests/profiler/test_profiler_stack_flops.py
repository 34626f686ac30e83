"""profile(with_stack=True) stacks, export_stacks, with_flops counts (PyTorch's formulas), acc_events."""
import numpy as np
import pytest
import torch

import ember


def _flops_by_name(lib, fn):
    with lib.profiler.profile(with_flops=True) as prof:
        fn(lib)
    return {e.key: e.flops for e in prof.key_averages()}


def _layers(lib):
    lib.manual_seed(0)
    lin, conv = lib.nn.Linear(4, 3), lib.nn.Conv2d(2, 5, 3, padding=1, groups=1)
    a, b = lib.ones(5, 4), lib.ones(1, 2, 6, 7)
    lin(a)
    conv(b)
    a * a
    a + a


def test_flops_are_torchs():
    ours, ref = _flops_by_name(ember, _layers), _flops_by_name(torch, _layers)
    assert ours["aten::linear"] == ref["aten::addmm"] == 2 * 5 * 4 * 3       # one op in ember, addmm in torch
    assert ours["aten::conv2d"] == ref["aten::conv2d"]
    assert ours["aten::mul"] == ref["aten::mul"] and ours["aten::add"] == ref["aten::add"]
    with ember.profiler.profile(with_flops=True) as prof:
        _layers(ember)
    header = prof.key_averages().table().splitlines()[1]
    assert header.split()[-2:] == ["Total", "FLOPs"]


def test_stack_is_recorded_innermost_first_and_exported(tmp_path):
    def inner(x):
        return x.relu()

    x = ember.ones(3)
    with ember.profiler.profile(with_stack=True) as prof:
        inner(x)
    (ev,) = prof.events()
    assert ev.stack[0].endswith(": inner") and __file__ in ev.stack[0]
    assert ev.stack[1].endswith(": test_stack_is_recorded_innermost_first_and_exported")
    table = prof.key_averages(group_by_stack_n=2).table()
    assert "Source Location" in table.splitlines()[1] and "inner" in table
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path), "self_cpu_time_total")
    (line,) = path.read_text().splitlines()
    frames, value = line.rsplit(" ", 1)
    assert frames.split(";")[-1].endswith(":_inner") and int(value) >= 0 and " " not in frames
    with pytest.raises(ValueError):
        prof.export_stacks(str(path), "bogus")
    with ember.profiler.profile() as plain:
        inner(x)
    with pytest.raises(RuntimeError, match="with_stack"):
        plain.export_stacks(str(path))


def test_acc_events_keeps_every_cycle():
    def run(acc):
        sched = ember.profiler.schedule(wait=0, warmup=1, active=1, repeat=2)
        seen = []
        with ember.profiler.profile(schedule=sched, acc_events=acc,
                                    on_trace_ready=lambda p: seen.append(len(p.events()))) as prof:
            for _ in range(4):
                ember.ones(2).exp()
                prof.step()
        return seen
    single, accumulated = run(False), run(True)
    assert single[0] == single[1] and accumulated[1] == 2 * accumulated[0]


def test_kineto_only_options_are_refused():
    with pytest.raises(NotImplementedError, match="experimental_config"):
        ember.profiler.profile(experimental_config=object())


def test_gradients_are_unchanged_by_profiling():
    x = ember.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    w = ember.tensor(np.ones((4, 2), dtype=np.float32) * 0.5, requires_grad=True)
    (x @ w).tanh().sum().backward()
    plain = (x.grad.numpy().copy(), w.grad.numpy().copy())
    x.grad = w.grad = None
    with ember.profiler.profile():
        (x @ w).tanh().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), plain[0])
    np.testing.assert_array_equal(w.grad.numpy(), plain[1])
