"""torch.profiler on ember: what is recorded (names, counts, nesting) against real torch."""
import json

import pytest
import torch

import ember
from ember.autograd import engine
from ember.autograd.function import Function, Op

from ._scenario import counts, header_cells, profiled_step

EXPECTED = {   # every name ember records for the step, with its count (torch records these too, same counts)
    "model_inference": 1, "aten::linear": 1, "aten::relu": 1, "aten::mse_loss": 1,
    "autograd::engine::evaluate_function: MseLossBackward0": 1, "MseLossBackward0": 1,
    "autograd::engine::evaluate_function: ReluBackward0": 1, "ReluBackward0": 1,
    "autograd::engine::evaluate_function: AddmmBackward0": 1, "AddmmBackward0": 1,
    "autograd::engine::evaluate_function: torch::autograd::AccumulateGrad": 2,
    "torch::autograd::AccumulateGrad": 2, "Optimizer.step#SGD.step": 1,
}


def test_training_step_names_and_counts_are_torchs():
    got, ref = counts(profiled_step(ember)), counts(profiled_step(torch))
    assert got == EXPECTED
    for name, n in got.items():          # a subset of torch's events, with torch's counts
        assert ref.get(name) == n, name


def test_table_header_and_separators_match_torch():
    for kwargs in ({}, {"profile_memory": True}):
        ours = profiled_step(ember, **kwargs).key_averages().table(sort_by="cpu_time_total", row_limit=10)
        ref = profiled_step(torch, **kwargs).key_averages().table(sort_by="cpu_time_total", row_limit=10)
        assert ours.splitlines()[:3] == ref.splitlines()[:3]
        assert ours.splitlines()[-1].startswith("Self CPU time total: ")
    assert "CPU Mem" in header_cells(ours) and "Self CPU Mem" in header_cells(ours)


def test_input_shapes_column_and_grouping():
    ours = profiled_step(ember, record_shapes=True).key_averages(group_by_input_shape=True)
    ref = profiled_step(torch, record_shapes=True).key_averages(group_by_input_shape=True)
    shapes = {e.key: e.input_shapes for e in ours}
    assert shapes["aten::linear"] == {e.key: e.input_shapes for e in ref}["aten::linear"] == [[5, 4], [3, 4], [3]]
    assert header_cells(ours.table(row_limit=3))[-1] == header_cells(ref.table(row_limit=3))[-1] == "Input Shapes"
    with pytest.raises(AssertionError):
        profiled_step(ember).key_averages(group_by_input_shape=True)


def test_memory_of_an_op_is_its_output_bytes_like_torch():
    ours = {e.key: e.cpu_memory_usage for e in profiled_step(ember, profile_memory=True).key_averages()}
    ref = {e.key: e.cpu_memory_usage for e in profiled_step(torch, profile_memory=True).key_averages()}
    assert ours["aten::relu"] == ref["aten::relu"] == 5 * 3 * 4
    assert ours["aten::linear"] == ref["aten::linear"] == 5 * 3 * 4


def test_nesting_self_and_total_time():
    events = profiled_step(ember).events()
    by_name = {e.name: e for e in events}
    outer = by_name["model_inference"]
    assert [c.name for c in outer.cpu_children] == ["aten::linear", "aten::relu", "aten::mse_loss"]
    assert by_name["aten::linear"].cpu_parent is outer
    children = sum(c.cpu_time_total for c in outer.cpu_children)
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - children)
    assert 0 <= outer.self_cpu_time_total <= outer.cpu_time_total
    node = by_name["autograd::engine::evaluate_function: AddmmBackward0"]
    assert [c.name for c in node.cpu_children] == ["AddmmBackward0"]
    for e in events:                      # children lie inside their parent
        for c in e.cpu_children:
            assert e.time_range[0] <= c.time_range[0] and c.time_range[1] <= e.time_range[1]
    avg = {e.key: e for e in profiled_step(ember).key_averages()}
    assert avg["torch::autograd::AccumulateGrad"].cpu_time == pytest.approx(
        avg["torch::autograd::AccumulateGrad"].cpu_time_total / 2)


def test_chrome_trace_structure(tmp_path):
    prof = profiled_step(ember)
    prof.export_chrome_trace(str(tmp_path / "ember.json"))
    profiled_step(torch).export_chrome_trace(str(tmp_path / "torch.json"))
    ours, ref = (json.loads((tmp_path / f).read_text()) for f in ("ember.json", "torch.json"))
    assert isinstance(ours["traceEvents"], list) and ours["schemaVersion"] == ref["schemaVersion"] == 1
    x_ours = [e for e in ours["traceEvents"] if e["ph"] == "X"]
    x_ref = [e for e in ref["traceEvents"] if e["ph"] == "X"]
    assert set(x_ours[0]) == set(x_ref[0]) == {"ph", "cat", "name", "pid", "tid", "ts", "dur", "args"}
    assert {e["name"] for e in x_ours} == set(EXPECTED)
    assert {e["cat"] for e in x_ours if e["name"] in ("model_inference", "Optimizer.step#SGD.step")} == \
        {e["cat"] for e in x_ref if e["name"] in ("model_inference", "Optimizer.step#SGD.step")} == {"user_annotation"}
    assert {e["cat"] for e in x_ours if e["name"] == "aten::relu"} == {"cpu_op"}
    durations = {e.id: e.cpu_time_total for e in prof.events()}
    for e in x_ours:                      # microseconds, as the events
        assert isinstance(e["ts"], (int, float)) and e["dur"] == pytest.approx(durations[e["args"]["External id"]],
                                                                               abs=1e-3)


def test_factories_are_recorded_like_torch():
    def run(lib):
        with lib.profiler.profile(record_shapes=True) as prof:
            lib.zeros(2, 3)
            lib.randn(4)
            lib.ones_like(lib.arange(3))
        return {e.key: e.count for e in prof.key_averages()}
    ours, ref = run(ember), run(torch)
    assert ours == {"aten::zeros": 1, "aten::randn": 1, "aten::arange": 1, "aten::ones_like": 1}
    assert set(ours) <= set(ref)       # torch's aten::arange calls itself once more (its out= overload)
    assert all(ref[k] == n for k, n in ours.items() if k != "aten::arange")
    zeros = ember.zeros
    with ember.profiler.profile():
        assert ember.zeros is not zeros and ember.zeros(1).shape == (1,)
    assert ember.zeros is zeros


def test_in_place_methods_have_torchs_names():
    def run(lib):
        x, w = lib.ones(3), lib.ones(3, requires_grad=True)
        with lib.profiler.profile() as prof:
            x.add_(1)
            x.mul_(2)
            x.zero_()
            x.fill_(2.0)
            x.relu_()
            x += 1
            with lib.no_grad():
                w.sub_(0.1)
        return {e.key: e.count for e in prof.key_averages()}, x
    (ours, x), (ref, tx) = run(ember), run(torch)
    assert ours == {"aten::add_": 2, "aten::mul_": 1, "aten::zero_": 1, "aten::fill_": 1, "aten::relu_": 1,
                    "aten::sub_": 1}
    assert all(ref[k] == n for k, n in ours.items())
    assert x.tolist() == tx.tolist() == [3.0, 3.0, 3.0]


def test_zero_grad_and_step_ranges_like_torch():
    def run(lib):
        model = lib.nn.Linear(2, 2)
        opt = lib.optim.Adam(model.parameters())
        with lib.profiler.profile() as prof:
            opt.zero_grad()
            model(lib.ones(1, 2)).sum().backward()
            opt.step()
        return [e.key for e in prof.key_averages() if e.key.startswith("Optimizer.")]
    assert run(ember) == run(torch) == ["Optimizer.zero_grad#Adam.zero_grad", "Optimizer.step#Adam.step"]


def test_hooks_are_removed_when_the_profiler_stops():
    apply_before = (Op.__dict__.get("apply"), Function.__dict__.get("apply"))
    loop, policy = engine.first_order_loop, engine.leaf_grad_policy
    zero_grad = ember.optim.Optimizer.zero_grad
    inplace = ember.Tensor.__dict__["_inplace_apply"]
    with ember.profiler.profile():
        assert Op.__dict__.get("apply") is not apply_before[0]
    assert (Op.__dict__.get("apply"), Function.__dict__.get("apply")) == apply_before
    assert (engine.first_order_loop, engine.leaf_grad_policy) == (loop, policy)
    assert ember.optim.Optimizer.zero_grad is zero_grad and ember.Tensor.__dict__["_inplace_apply"] is inplace
    ember.ones(2).relu()                 # nothing recorded, nothing fails


def test_start_stop_and_a_second_profiler_is_refused():
    prof = ember.profiler.profile()
    prof.start()
    try:
        with pytest.raises(RuntimeError, match="already"):
            ember.profiler.profile().start()
        ember.ones(3).exp()
    finally:
        prof.stop()
    assert counts(prof) == {"aten::ones": 1, "aten::exp": 1}


def test_record_function_as_decorator_and_outside_a_profiler():
    @ember.profiler.record_function("preprocess")
    def pre(x):
        return x * 2

    assert pre(ember.ones(2)).tolist() == [2.0, 2.0]          # no profiler: just runs
    with ember.profiler.profile() as prof:
        pre(ember.ones(2))
    (outer,) = [e for e in prof.events() if e.name == "preprocess"]
    assert [c.name for c in outer.cpu_children] == ["aten::mul"]
    with pytest.raises(TypeError):
        ember.profiler.record_function(3)


def test_op_names_for_common_layers():
    conv, x = ember.nn.Conv2d(1, 2, 3), ember.randn(1, 1, 6, 6)
    with ember.profiler.profile() as prof:
        y = ember.nn.functional.max_pool2d(conv(x), 2).flatten(1)
        ember.nn.functional.cross_entropy(y, ember.tensor([1])).backward()
    names = set(counts(prof))
    assert {"aten::conv2d", "aten::max_pool2d", "aten::cross_entropy_loss"} <= names
    assert any(n.startswith("autograd::engine::evaluate_function: ") for n in names)


def test_autograd_profiler_aliases():
    from ember.autograd import profiler as old
    assert old.record_function is ember.profiler.record_function
    assert ember.autograd.profiler is old
    x = ember.ones(2, 3)
    with old.profile(use_cuda=False, record_shapes=True) as prof:
        x.relu()
    assert [e.name for e in prof.function_events] == ["aten::relu"]
    assert header_cells(str(prof))[0] == "Name" and "Input Shapes" in header_cells(prof.table())
    with old.profile(enabled=False) as nothing:
        ember.ones(1).relu()
    with torch.autograd.profiler.profile(enabled=False) as ref:
        torch.ones(1).relu()
    assert nothing is None and ref is None


def test_sort_by_an_unknown_column_says_which_exist():
    prof = profiled_step(ember)
    with pytest.raises(AttributeError, match="cpu_time_total"):
        prof.key_averages().table(sort_by="bogus")
    assert prof.key_averages().table(sort_by="self_cpu_memory_usage")
    assert prof.key_averages().table(sort_by="cuda_time_total")    # CPU only: device columns are 0


def test_op_names_are_among_torchs_for_common_functions():
    def run(lib):
        F = lib.nn.functional
        x, idx = lib.ones(2, 3, 4), lib.tensor([[0, 1], [2, 1]])
        w, emb = lib.ones(4), lib.ones(5, 4)
        with lib.profiler.profile() as prof:
            F.softmax(x, -1)
            F.log_softmax(x, -1)
            F.layer_norm(x, (4,), w, w)
            F.gelu(x)
            x.tanh()
            x.sigmoid()
            F.embedding(idx, emb)
            x.transpose(0, 1)
            lib.matmul(x, x.transpose(1, 2))
            lib.cat([x, x])
            x.sum()
            x.mean(dim=1)
            x.view(6, 4)
            x.exp()
            F.cross_entropy(x[0], lib.tensor([0, 1, 2]))
            F.dropout(x, 0.5, training=False)
            F.scaled_dot_product_attention(x, x, x)
        return set(e.key for e in prof.key_averages())
    ours, ref = run(ember), run(torch)
    assert len(ours) >= 15 and ours <= ref, ours - ref
