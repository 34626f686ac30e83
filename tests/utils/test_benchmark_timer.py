"""torch.utils.benchmark on ember: Timer run counts, Measurement fields and repr, Compare, threads."""
import re

import numpy as np
import pytest
import torch.utils.benchmark as tbench

import ember
import ember.utils.benchmark as ebench
from ember import _parallel


def _counted(bench, number):
    c = {"setup": 0, "stmt": 0}
    bench.Timer('c["stmt"] += 1', setup='c["setup"] += 1', globals={"c": c}).timeit(number)
    return c


@pytest.mark.parametrize("number", [1, 10, 500])
def test_timeit_runs_stmt_and_setup_as_often_as_torch(number):
    ours = _counted(ebench, number)
    assert ours == _counted(tbench, number)
    assert ours == {"setup": 2, "stmt": number + max(number // 100, 2)}    # warm-up, then the timed runs


def test_timeit_measurement_fields():
    m = ebench.Timer("x + 1", globals={"x": ember.ones(3)}).timeit(50)
    assert m.number_per_run == 50 and len(m.raw_times) == 1 and len(m.times) == 1
    assert m.times[0] == pytest.approx(m.raw_times[0] / 50)
    assert m.mean == m.median == m.times[0] and m.iqr == 0.0
    assert m.stmt == "x + 1" and m.title == "x + 1" and m.num_threads == 1 and m.label is None


def _fixed(bench, raw, number=10, **spec):
    return bench.Measurement(number, raw, bench.utils.common.TaskSpec(**spec))


@pytest.mark.parametrize("raw", [[1.3e-4], [2e-3, 2.1e-3, 2.05e-3], [1e-5, 2e-5, 3e-5, 7e-5, 4e-5],
                                 [5.0, 5.1, 4.9, 5.2, 9.0, 5.0, 5.05]])
@pytest.mark.parametrize("spec", [dict(stmt="x @ x", setup="pass"),
                                  dict(stmt="y = x @ x\ny.sum()", setup="x = 1\nz = 2", label="mm", sub_label="64",
                                       description="desc", num_threads=2),
                                  dict(stmt="x", setup="x = 1", label="lab")])
def test_measurement_statistics_and_repr_are_torchs(raw, spec):
    ours, ref = _fixed(ebench, raw, **spec), _fixed(tbench, raw, **spec)
    for field in ("median", "mean", "iqr", "times", "significant_figures", "has_warnings", "title", "as_row_name"):
        assert getattr(ours, field) == pytest.approx(getattr(ref, field)), field
    strip = re.compile(r" object at 0x[0-9a-f]+>")
    assert strip.sub("", repr(ours)).replace("ember.", "torch.", 1) == strip.sub("", repr(ref))


def test_blocked_and_adaptive_autorange():
    t = ebench.Timer("x * 2", globals={"x": ember.ones(10)})
    m = t.blocked_autorange(min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and m.number_per_run >= 1 and len(m.times) == len(m.raw_times) >= 1
    assert m.median > 0
    a = t.adaptive_autorange(min_run_time=0.01, max_run_time=0.1)
    assert len(a.times) >= 1 and a.number_per_run >= 1
    calls = []
    t.blocked_autorange(callback=lambda n, s: calls.append((n, s)), min_run_time=0.01)
    assert calls and all(n >= 1 and s > 0 for n, s in calls)


def test_num_threads_is_set_for_the_timing_and_restored():
    before = _parallel.get_num_threads()
    seen = []
    ebench.Timer("seen.append(get())", globals={"seen": seen, "get": _parallel.get_num_threads},
                 num_threads=3).timeit(2)
    assert set(seen) == {3} and _parallel.get_num_threads() == before
    with pytest.raises(ValueError):
        ebench.Timer("pass", num_threads=0)


def test_stmt_must_be_a_string_as_in_torch():
    with pytest.raises(ValueError, match="str"):
        ebench.Timer(lambda: None)
    with pytest.raises(ValueError):
        tbench.Timer(lambda: None)


def test_module_paths_are_torchs():
    from ember.utils.benchmark.utils.common import Measurement
    from ember.utils.benchmark.utils.compare import Compare
    from ember.utils.benchmark.utils.timer import Timer
    assert (Measurement, Compare, Timer) == (ebench.Measurement, ebench.Compare, ebench.Timer)
    for name in ("Timer", "Measurement", "Compare"):
        assert getattr(ebench, name).__module__.replace("ember", "torch", 1) == getattr(tbench, name).__module__


def test_torch_name_in_globals_is_ember():
    m = ebench.Timer("torch.ones(2).sum()").timeit(3)
    assert m.number_per_run == 3


@pytest.mark.parametrize("options", [(), ("trim_significant_figures",), ("colorize",),
                                     ("trim_significant_figures", "highlight_warnings")])
def test_compare_layout_matches_torch(options):
    def table(bench):
        ms = []
        for desc, scale in (("a", 1.0), ("b", 2.0)):
            for sub, threads in (("64", 1), ("128", 1), ("64", 2)):
                raw = list(np.array([1.0, 1.1, 0.9, 1.05]) * scale * 1e-3 * (1 + int(sub) / 64))
                ms.append(_fixed(bench, raw, number=1, stmt="f(x)", setup="pass", label="matmul", sub_label=sub,
                                 description=desc, num_threads=threads))
        ms[0].raw_times[0] *= 3            # one noisy measurement (for highlight_warnings)
        compare = bench.Compare(ms)
        for option in options:
            getattr(compare, option)()
        return str(compare)
    assert table(ebench) == table(tbench)


def test_compare_refuses_non_measurements():
    with pytest.raises(ValueError, match="Measurement"):
        ebench.Compare([1.0])
