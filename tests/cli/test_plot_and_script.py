"""`ember plot` (curves and their autograd derivatives) and the installed console script."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ember.cli.main import main
from ember.cli.plots import activation_curves, loss_curves


def _by_name(curves):
    return {name: (x, y, dy) for name, x, y, dy in curves}


def test_activation_derivatives_match_closed_forms():
    c = _by_name(activation_curves())
    assert {"Sigmoid", "Tanh", "ReLU", "LeakyReLU(0.1)", "PReLU (a=0.25)"} <= set(c)
    assert any(n.startswith("Softmax") for n in c)
    x, y, dy = c["Sigmoid"]
    np.testing.assert_allclose(dy, y * (1 - y), atol=1e-6)
    x, y, dy = c["Tanh"]
    np.testing.assert_allclose(dy, 1 - y ** 2, atol=1e-6)
    x, y, dy = c["ReLU"]
    np.testing.assert_array_equal(dy[x > 0], 1), np.testing.assert_array_equal(dy[x < 0], 0)
    x, y, dy = c["LeakyReLU(0.1)"]
    np.testing.assert_allclose(dy[x < 0], 0.1)
    x, y, dy = c["PReLU (a=0.25)"]
    np.testing.assert_allclose(dy[x < 0], 0.25)
    name = next(n for n in c if n.startswith("Softmax"))
    x, y, dy = c[name]
    np.testing.assert_allclose(dy, y * (1 - y), atol=1e-6)  # d p0 / d x0 = p0 (1 - p0)


def test_loss_derivatives_match_closed_forms():
    c = _by_name(loss_curves())
    x, y, dy = c["MSELoss, target 0"]
    np.testing.assert_allclose(y, x ** 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dy, 2 * x, rtol=1e-5, atol=1e-6)
    x, y, dy = c["L1Loss, target 0"]
    np.testing.assert_array_equal(dy[x > 0], 1)
    x, y, dy = c["BCELoss, prob p, target 1"]
    np.testing.assert_allclose(dy, -1 / x, rtol=1e-4)
    x, y, dy = c["BCEWithLogitsLoss, logit, target 1"]
    np.testing.assert_allclose(dy, 1 / (1 + np.exp(-x)) - 1, atol=1e-6)


@pytest.mark.parametrize("what", ["activations", "losses"])
def test_plot_writes_png(tmp_path, capsys, what):
    out = tmp_path / f"{what}.png"
    assert main(["plot", what, "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert "wrote" in capsys.readouterr().out


def _ember_script():
    exe = os.path.join(os.path.dirname(sys.executable), "ember")
    return exe if os.path.exists(exe) else shutil.which("ember")


def test_installed_console_script(tmp_path):
    exe = _ember_script()
    if exe is None:
        pytest.skip("the ember console script is not installed (pip install -e .)")
    out = tmp_path / "run"
    proc = subprocess.run([exe, "train", "phone-price", "--epochs", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "final test accuracy" in proc.stdout
    assert len(json.loads((out / "metrics.json").read_text())["epochs"]) == 2
    bad = subprocess.run([exe, "train", "phone-price", "--data", str(tmp_path / "nope.csv")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and bad.stderr.startswith("ember: error: --data: no such file")
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
