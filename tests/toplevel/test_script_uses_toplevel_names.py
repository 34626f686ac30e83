"""A PyTorch script using the top-level names this package adds runs unchanged with ``ember run``
and prints what it prints under real PyTorch."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r'''
import warnings
import numpy as np
import torch

warnings.simplefilter("ignore")
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.set_default_device("cpu")
print("det", torch.are_deterministic_algorithms_enabled(), torch.get_deterministic_debug_mode())
x = torch.randn(2, 4, 8)
mask = torch.ones(8, 8).triu(1).bool()
scores = (x @ x.transpose(-1, -2)).masked_fill(mask[:4, :4], torch.finfo(x.dtype).min)
print("attn", torch.round(torch.softmax(scores, -1).sum(), decimals=3).item())
print("eps", torch.finfo(torch.float32).eps, torch.iinfo(torch.int8).max)
patches = x.unfold(2, 4, 2)
print("unfold", tuple(patches.shape), round(patches.sum().item(), 3))
a = torch.asarray(np.arange(4, dtype=np.float32))
print("asarray", a.tolist(), torch.scalar_tensor(3).item())
print("drop", round(torch.dropout(x, 0.5, True).sum().item(), 3))
print("ln", round(torch.layer_norm(x, (8,)).abs().sum().item(), 3))
print("emb", torch.embedding(torch.arange(6.).reshape(3, 2), torch.tensor([2, 0])).tolist())
print("win", [round(v, 4) for v in torch.hann_window(4).tolist()])
print("grad", [round(v, 4) for v in torch.gradient(torch.tensor([1., 4., 9., 16.]))[0].tolist()])
y = torch.ones(3)
torch.exp_(y)
print("exp_", round(y.sum().item(), 4), torch.is_nonzero(torch.tensor([2])))
'''


def _run(cmd, with_ember, cwd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if with_ember:
        env["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_script_runs_unchanged_and_prints_torchs_numbers(tmp_path):
    script = tmp_path / "uses_toplevel.py"
    script.write_text(SCRIPT)
    ours = _run([sys.executable, "-m", "ember", "run", str(script)], True, str(tmp_path))
    assert ours.returncode == 0, ours.stderr[-3000:]
    theirs = _run([sys.executable, str(script)], False, str(tmp_path))
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    assert ours.stdout == theirs.stdout
