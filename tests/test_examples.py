"""Every script in examples/ runs (as a subprocess, with short settings) and prints what it should."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from tests.paths import PHONE_CSV

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
DATA = PHONE_CSV


def _run(name, *args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")   # this tree's ember, not an installed one
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_example_is_tested_and_uses_ember_as_torch():
    scripts = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py"))
    tested = {"losses.py", "backprop.py", "simple_network.py", "phone_price.py", "cifar10_network.py", "graph.py",
              "checkpoint.py", "higher_order.py", "reinforce.py", "lstm_sequence.py", "tiny_gpt.py"}
    tested |= {"per_sample_gradients.py"}
    assert set(scripts) == tested, "add a test for each new example"
    for f in scripts:
        with open(os.path.join(EXAMPLES, f)) as fh:
            assert "import ember as torch" in fh.read(), f


def test_higher_order_newton_converges_and_penalty_step_runs():
    out = _run("higher_order.py")
    last = re.findall(r"newton step \d+: x = ([+-][\d.]+), y = ([+-][\d.]+)", out)[-1]
    assert abs(float(last[0]) - 1) < 1e-6 and abs(float(last[1]) - 1) < 1e-6
    penalty = float(re.search(r"gradient penalty ([\d.]+)", out).group(1))
    assert np.isfinite(penalty) and penalty > 0


def test_reinforce_learns_the_corridor():
    out = _run("reinforce.py")
    final = float(re.search(r"final average reward (-?[\d.]+)", out).group(1))
    assert final > 0.6    # a random policy averages below 0; the best possible is 0.75


def test_losses():
    out = _run("losses.py")
    assert "L1Loss(sum): tensor(2.)" in out
    assert "MSELoss:     tensor(1.3333)" in out
    assert "CrossEntropyLoss: tensor(1.1019)" in out  # torch.nn.CrossEntropyLoss gives 1.1019 too


def test_backprop():
    out = _run("backprop.py")
    assert "loss = 36.1250" in out
    assert "dL/dw1 = -8.5000" in out and "dL/dw2 = -25.5000" in out


def test_simple_network_learns():
    out = _run("simple_network.py", "--epochs", "150")
    losses = [float(v) for v in re.findall(r"loss ([\d.]+)", out)]
    assert losses[-1] < 0.05 * losses[0]
    assert abs(float(re.search(r"f\(0.5\) = (-?[\d.]+)", out).group(1)) + 0.5) < 0.1


def test_phone_price_training_loop():
    if not os.path.exists(DATA):
        pytest.skip(f"{DATA} not present")
    out = _run("phone_price.py", DATA, "--epochs", "3")
    acc = float(re.search(r"final test accuracy: ([\d.]+)", out).group(1))
    assert acc > 0.8
    assert len(re.findall(r"^epoch", out, re.M)) == 3


def test_cifar10_network_forward_backward():
    out = _run("cifar10_network.py", "--batch", "8", "--steps", "2")
    assert "output shape: (8, 10)" in out
    assert "145578 parameters" in out  # the tutorial's network size
    losses = [float(v) for v in re.findall(r"loss ([\d.]+)", out)]
    assert len(losses) == 2 and all(1.0 < v < 4.0 for v in losses)


def test_graph(tmp_path):
    out = _run("graph.py", str(tmp_path / "g.dot"))
    assert out.startswith("digraph {") and "w1" in out and "MulBackward0" in out
    assert (tmp_path / "g.dot").read_text().startswith("digraph {")


def test_checkpoint_resume(tmp_path):
    out = _run("checkpoint.py", str(tmp_path / "ckpt"))
    assert "identical: True" in out
    from safetensors.numpy import load_file
    assert "model.0.weight" in load_file(str(tmp_path / "ckpt"))  # weights readable by other tools


def test_tiny_gpt_learns_characters():
    out = _run("tiny_gpt.py", "--steps", "60", "--sample", "40", "--batch", "8")
    unigram = float(re.search(r"unigram entropy ([\d.]+)", out).group(1))
    losses = [float(v) for v in re.findall(r"step +\d+ +loss ([\d.]+)", out)]
    assert losses[0] > 4.0 and losses[-1] < 0.85 * losses[0]     # from ~log(vocab) to well below
    assert losses[-1] < unigram
    assert len(re.search(r"sample: (.*)", out, re.S).group(1)) >= 40


def test_lstm_sequence_classifier_learns():
    out = _run("lstm_sequence.py")
    before = float(re.search(r"before training: test accuracy ([\d.]+)", out).group(1))
    losses = [float(v) for v in re.findall(r"epoch \d+: loss ([\d.]+)", out)]
    final = float(re.search(r"final test accuracy ([\d.]+)", out).group(1))
    assert before < 0.45                  # three classes: chance is 1/3
    assert losses[-1] < 0.5 * losses[0]
    assert final > 0.9


def test_per_sample_gradients_agree_with_a_loop_and_the_ensemble_with_each_model():
    out = _run("per_sample_gradients.py")
    assert "'0.weight': (16, 32, 20)" in out
    assert float(re.search(r"loop of backward\(\) calls: ([\d.e+-]+)", out).group(1)) < 1e-5
    assert float(re.search(r"from running each model: ([\d.e+-]+)", out).group(1)) < 1e-5
