"""Real PyTorch programs, run unchanged: each script in ``tests/dropin_programs/`` (written for
PyTorch in the style of a well-known source: a nanoGPT/makemore character model, the "NLP from
scratch" seq2seq-with-attention tutorial, d2l.ai's regression chapters, ...) prints the same
stdout under ``python script.py`` with the real torch and under ``python -m ember run script.py``:
losses, sampled text, tensors printed, parameter counts, all character for character."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = os.path.join(ROOT, "tests", "dropin_programs")
SCRIPTS = sorted(f for f in os.listdir(PROGRAMS) if f.endswith(".py"))


def _env(with_ember):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"            # torch's threads on a shared machine: the same numbers, less waiting
    if with_ember:
        env["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    return env


def _run(cmd, with_ember, cwd):
    p = subprocess.run(cmd, capture_output=True, text=True, env=_env(with_ember), cwd=cwd, timeout=300)
    assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}"
    return p.stdout


def test_the_programs_are_there():
    assert {"char_gpt.py", "seq2seq_attention.py", "d2l_regression.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_same_stdout_as_pytorch(name, tmp_path):
    pytest.importorskip("torch")
    expected = _run([sys.executable, os.path.join(PROGRAMS, name)], False, str(tmp_path))   # the oracle
    assert expected.count("\n") >= 10, "the script should print enough to compare"
    got = _run([sys.executable, "-m", "ember", "run", os.path.join(PROGRAMS, name)], True, str(tmp_path))
    assert got.splitlines() == expected.splitlines()
