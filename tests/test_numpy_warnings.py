"""NumPy's floating-point warnings inside ember's ops stay silent, as PyTorch is (inf/nan are
results, not warnings); the user's own NumPy warnings are untouched."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = """
import numpy as np, ember
x = ember.tensor([3e38, 1.0, 0.0], requires_grad=True)
y = (x * 10).exp() - ember.tensor([float("inf"), 1.0, 0.0])
z = ember.nn.functional.mse_loss(x, -x) + x.log().sum() + (x / 0.0).sum()
ember.nn.functional.layer_norm(ember.full((2, 9), 3e38), (9,))
ember.nn.functional.layer_norm(ember.tensor([[float("inf"), float("-inf"), 1.0]]), (3,))
z.backward()
np.float32(3e38) * np.float32(10)
"""


def test_ops_do_not_print_numpy_warnings_but_user_numpy_code_still_does():
    run = subprocess.run([sys.executable, "-W", "default", "-c", SCRIPT], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if "Warning" in line]
    assert len(lines) == 1 and "overflow encountered in scalar multiply" in lines[0], run.stderr
