"""The benchmark runner's plumbing (not its timings): workers per library, alternated blocks,
the table and its Markdown rows."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_runner_times_each_library_in_its_own_worker(tmp_path):
    md = tmp_path / "table.md"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "elementwise chain", "--min-time", "0.06",
         "--coretype", "unset", "--markdown", str(md)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert any(line.startswith("elementwise chain") for line in run.stdout.splitlines())
    assert "ember worker, 1 thread(s): BLAS" in run.stdout
    assert "the ember worker imported torch" not in run.stderr
    text = md.read_text()
    assert text.startswith("Measured with OPENBLAS_CORETYPE unset")
    row = next(line for line in text.splitlines() if line.startswith("| elementwise chain"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "1" and cells[5:7] == ["≤ 1.0", "≤ 0.5"]
    ember_s, torch_s, ratio = _seconds(cells[2]), _seconds(cells[3]), float(cells[4])
    assert abs(ratio - ember_s / torch_s) < 0.02 * ratio + 0.01


def _seconds(text):
    value, unit = text.split()
    return float(value) * {"us": 1e-6, "ms": 1e-3}[unit]


def test_a_workload_may_set_its_targets_per_thread_count():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from run import Workload
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    w = Workload("w", None, None, required={1: 1.2, 2: 1.5}, goal=1.0)
    assert (w.target("required", 1), w.target("required", 2), w.target("required", 4)) == (1.2, 1.5, None)
    assert w.target("goal", 2) == 1.0 and Workload("v", None, None).target("required", 1) is None
