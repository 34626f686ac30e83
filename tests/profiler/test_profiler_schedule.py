"""profile(schedule=..., on_trace_ready=...), schedule() and tensorboard_trace_handler against torch."""
import json
import os
import re

import pytest
import torch

import ember


@pytest.mark.parametrize("kw", [dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=2, active=1, repeat=2),
                                dict(wait=2, warmup=1, active=3, repeat=1, skip_first=3),
                                dict(wait=1, warmup=1, active=1, repeat=3, skip_first_wait=1)])
def test_schedule_actions_are_torchs(kw):
    ours, ref = ember.profiler.schedule(**kw), torch.profiler.schedule(**kw)
    assert [ours(i).name for i in range(20)] == [ref(i).name for i in range(20)]


def test_schedule_rejects_bad_arguments():
    with pytest.raises(AssertionError):
        ember.profiler.schedule(wait=0, warmup=1, active=0)


def _run(lib, tmp_path):
    m, x = lib.nn.Linear(4, 3), lib.ones(5, 4)
    cycles = []
    handler = lib.profiler.tensorboard_trace_handler(str(tmp_path), worker_name="w")

    def ready(prof):
        cycles.append((sorted(e.key for e in prof.key_averages()),
                       sorted(e.name for e in prof.events() if e.name.startswith("ProfilerStep"))))
        handler(prof)
        newest = max(os.listdir(tmp_path), key=lambda f: int(f.split(".")[1]))    # the file just written
        steps = [e["name"] for e in json.loads((tmp_path / newest).read_text())["traceEvents"]
                 if e.get("name", "").startswith("ProfilerStep")]
        cycles[-1] += (steps,)

    sched = lib.profiler.schedule(wait=1, warmup=1, active=2, repeat=2)
    with lib.profiler.profile(schedule=sched, on_trace_ready=ready) as prof:
        for _ in range(10):
            m(x).relu()
            prof.step()
    return cycles, sorted(os.listdir(tmp_path))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_scheduled_cycles_and_trace_files_like_torch(tmp_path):
    ours, our_files = _run(ember, tmp_path / "ember")
    ref, ref_files = _run(torch, tmp_path / "torch")
    assert len(ours) == len(ref) == 2
    for (keys, steps, in_trace), (ref_keys, ref_steps, ref_in_trace) in zip(ours, ref):
        assert in_trace == ref_in_trace
        assert "ProfilerStep*" in keys and "ProfilerStep*" in ref_keys
        assert {"aten::linear", "aten::relu"} <= set(keys) & set(ref_keys)
        assert steps == ref_steps
    pattern = re.compile(r"^w\.\d+\.pt\.trace\.json$")
    assert len(our_files) == len(ref_files) == 2 and all(pattern.match(f) for f in our_files + ref_files)


def test_trace_ready_without_a_schedule_runs_once_at_exit(tmp_path):
    seen = []
    with ember.profiler.profile(on_trace_ready=seen.append) as prof:
        ember.ones(2).exp()
    assert seen == [prof]
    handler = ember.profiler.tensorboard_trace_handler(str(tmp_path / "logs"))
    handler(prof)
    (name,) = os.listdir(tmp_path / "logs")
    assert re.match(rf"^.+_{os.getpid()}\.\d+\.pt\.trace\.json$", name)
