"""A profiler-recipe-style script runs unchanged under ``ember run`` and prints torch's table header."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    import torch
    import torch.nn as nn
    from torch.profiler import profile, record_function, ProfilerActivity

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    inputs = torch.randn(2, 3, 8, 8)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            out = model(inputs)
        out.sum().backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    with torch.autograd.profiler.profile(use_cuda=False) as old:
        model(inputs)
    import torch.utils.benchmark as benchmark
    m = benchmark.Timer(stmt="model(inputs)", globals={"model": model, "inputs": inputs}).timeit(3)
    print(repr(m).splitlines()[0].split(" object at ")[0])
    from functorch import vmap
    print(vmap(torch.sum)(torch.ones(3, 2)).tolist())
""")


def test_recipe_script_prints_torchs_header(tmp_path):
    script = tmp_path / "recipe.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ours = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    ref = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ref.returncode == 0, ref.stderr
    our_lines, ref_lines = ours.stdout.splitlines(), ref.stdout.splitlines()
    assert our_lines[:3] == ref_lines[:3]          # separator, column names, separator
    assert our_lines[1].split() == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%", "CPU", "total",
                                    "CPU", "time", "avg", "#", "of", "Calls"]
    assert our_lines[-2:] == ref_lines[-2:] == ["<torch.utils.benchmark.utils.common.Measurement", "[2.0, 2.0, 2.0]"]
